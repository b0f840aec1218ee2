/**
 * Several GPUs in the environment report: the session proposes the accelerate
 * config next to train.py (reviewable, origin 'recipe') and launches with
 * `python -m accelerate.commands.launch --num_processes N --config_file …`.
 * One GPU (or none) stays `python train.py`. The launch is a double that
 * records what it was asked to start (accelerate cannot run here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { RunStore } from '../../../src/core/runs/runStore';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { FineTuneSession, scriptFolder } from '../../../src/core/session/fineTuneSession';
import { DetachedRun, DetachedSpec } from '../../../src/core/exec/detached';
import { fsdpAccelerateConfig } from '../../../src/core/exec/launchers';
import { EnvReport, GpuInfo } from '../../../src/core/python/types';
import { FineTuneRequest } from '../../../src/core/session/types';
import { planLaunch, sbatchOutput } from '../../../src/core/session/launchPlan';

const PY = '/opt/venv/bin/python';

function gpu(index: number): GpuInfo {
  return { index, name: 'NVIDIA H100 80GB HBM3', memoryTotalMiB: 81559, memoryFreeMiB: 81000, computeCapability: '9.0', bf16: true, flashAttention: true };
}

function envReport(gpus: number): EnvReport {
  const lib = (v: string | null) => v;
  return {
    gpus: Array.from({ length: gpus }, (_, i) => gpu(i)),
    gpuSource: gpus ? 'nvidia-smi' : null,
    cudaVersion: '12.4',
    driverVersion: '550.54',
    python: { version: '3.11.9', executable: PY },
    platform: 'Linux-x86_64',
    libraries: {
      torch: lib('2.4.0'),
      transformers: lib('4.46.0'),
      trl: lib('0.12.0'),
      peft: lib('0.13.0'),
      datasets: lib('3.0.0'),
      accelerate: lib('1.0.0'),
      bitsandbytes: lib('0.44.0'),
      flash_attn: null,
      lighteval: null,
      mergekit: null,
      huggingface_hub: lib('0.26.0'),
      trackio: null,
      wandb: null,
      tensorboard: null,
    },
    disk: { path: '/', freeMiB: 500000, totalMiB: 1000000 },
    hfToken: false,
    cpuCount: 32,
    ramMiB: 256000,
    ramAvailableMiB: 200000,
    problems: [],
  };
}

/** A run that already finished with exit 0 and printed nothing. */
function finishedRun(spec: DetachedSpec): DetachedRun {
  return {
    detached: true,
    pid: 4242,
    name: spec.name,
    runDir: spec.runDir,
    logFile: join(spec.runDir, 'logs', 'train.log'),
    follow: () => () => undefined,
    exit: Promise.resolve({ code: 0 }),
    stop: async () => ({ code: 0 }),
    interrupt: () => undefined,
    dispose: () => undefined,
  };
}

const base: FineTuneRequest = {
  baseModel: 'Qwen/Qwen2.5-0.5B-Instruct',
  dataset: 'data/medical_qa.jsonl',
  method: 'sft',
  adapter: 'lora',
  evalSplit: 0.05,
  columnMapping: { user: 'patient_query', assistant: 'doctor_response' },
  datasetFormat: 'custom_qa',
};

async function run(gpus: number, request: FineTuneRequest = base) {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-multigpu-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  const files = new NodeFileStore(ws);
  const reviewer = new ScriptedReviewer();
  const launched: DetachedSpec[] = [];
  const approvals: string[][] = [];
  const session = await FineTuneSession.create(request, {
    files,
    reviewer,
    events: new RecordingEventSink(),
    runs: new RunStore(files),
    settings: () => DEFAULT_SETTINGS,
    python: PY,
    environment: envReport(gpus),
    launch: async (spec) => {
      launched.push(spec);
      return finishedRun(spec);
    },
    approveCommand: async (req) => {
      approvals.push(req.argv);
      return { approved: true };
    },
  });
  const outcome = await session.execute();
  return { ws, session, outcome, reviewer, launched, approvals, folder: scriptFolder(request) };
}

test('2 GPUs: the FSDP accelerate config is proposed next to train.py and the run uses accelerate with 2 processes', { timeout: 30_000 }, async () => {
  const r = await run(2);
  try {
    assert.equal(r.outcome.kind, 'succeeded', JSON.stringify(r.outcome));
    const config = r.reviewer.seen.find((c) => c.path === `${r.folder}/accelerate_fsdp.yaml`);
    assert.ok(config, 'the accelerate config was proposed');
    assert.equal(config.origin, 'recipe');
    assert.equal(config.proposed, fsdpAccelerateConfig({ numProcesses: 2, mixedPrecision: 'bf16' }));
    assert.ok(r.reviewer.seen.findIndex((c) => c.path === `${r.folder}/train.py`) < r.reviewer.seen.indexOf(config), 'after train.py');
    assert.equal(readFileSync(join(r.ws, r.folder, 'accelerate_fsdp.yaml'), 'utf8'), config.proposed);
    const argv = [PY, '-m', 'accelerate.commands.launch', '--num_processes', '2', '--config_file', 'accelerate_fsdp.yaml', '--num_machines', '1', 'train.py'];
    assert.deepEqual(r.approvals, [argv], 'the user approves the exact command');
    assert.equal(r.launched.length, 1);
    assert.deepEqual(r.launched[0].argv, argv);
    assert.equal(r.launched[0].cwd, join(r.ws, r.folder));
    assert.equal(r.launched[0].python, PY);
    const plan = JSON.parse(readFileSync(join(r.ws, r.session.handle.folder, 'launch.json'), 'utf8'));
    assert.deepEqual(plan, { target: 'local', gpus: 2, argv, configFile: 'accelerate_fsdp.yaml' });
  } finally {
    rmSync(r.ws, { recursive: true, force: true });
  }
});

test('1 GPU stays `python train.py` with no accelerate config', { timeout: 30_000 }, async () => {
  const r = await run(1);
  try {
    assert.equal(r.outcome.kind, 'succeeded');
    assert.ok(!r.reviewer.seen.some((c) => /accelerate_/.test(c.path)));
    assert.deepEqual(r.launched.map((s) => s.argv), [[PY, 'train.py']]);
  } finally {
    rmSync(r.ws, { recursive: true, force: true });
  }
});

test('a rejected multi-GPU config stops the run before anything starts', { timeout: 30_000 }, async () => {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-multigpu-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  try {
    const files = new NodeFileStore(ws);
    let launched = 0;
    const session = await FineTuneSession.create(base, {
      files,
      reviewer: {
        propose: async (c) => (c.path.endsWith('accelerate_fsdp.yaml') ? { kind: 'rejected', reason: 'one GPU is enough' } : { kind: 'accepted', text: c.proposed, userPatch: '', auto: false }),
      },
      events: new RecordingEventSink(),
      runs: new RunStore(files),
      settings: () => DEFAULT_SETTINGS,
      python: PY,
      environment: envReport(4),
      launch: async (spec) => {
        launched++;
        return finishedRun(spec);
      },
      approveCommand: async () => ({ approved: true }),
    });
    const outcome = await session.execute();
    assert.equal(outcome.kind, 'rejected');
    assert.match(outcome.summary, /accelerate_fsdp\.yaml rejected \(one GPU is enough\)/);
    assert.equal(launched, 0);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('launch plans: QLoRA on several GPUs uses data parallel; a multi-GPU Slurm job runs accelerate inside the job', () => {
  const common = { python: PY, script: 'train.py', folder: 'sft-x', folderAbs: '/ws/sft-x', runId: 'r1', runDirAbs: '/ws/.ml-intern/runs/r1' };
  const q = planLaunch({ ...common, request: { ...base, adapter: 'qlora' }, settings: DEFAULT_SETTINGS, environment: envReport(4) });
  assert.deepEqual(q.files.map((f) => f.name), ['accelerate_ddp.yaml']);
  assert.match(q.files[0].content, /^distributed_type: MULTI_GPU$/m);
  assert.match(q.files[0].content, /^num_processes: 4$/m);
  assert.deepEqual(q.plan.argv.slice(3, 7), ['--num_processes', '4', '--config_file', 'accelerate_ddp.yaml']);

  const slurm: Settings = { ...DEFAULT_SETTINGS, executionTarget: 'slurm', slurm: { partition: 'gpu', gpus: 2, timeLimit: '12:00:00', extraDirectives: ['--account=proj'] } };
  // The login node's GPUs do not count: the job's request does.
  const s = planLaunch({ ...common, request: base, settings: slurm, environment: envReport(0) });
  assert.deepEqual(s.files.map((f) => f.name), ['accelerate_fsdp.yaml', 'train.sbatch']);
  const sbatch = s.files[1].content;
  assert.match(sbatch, /^#SBATCH --gres=gpu:2$/m);
  assert.match(sbatch, /^#SBATCH --partition=gpu$/m);
  assert.match(sbatch, /^#SBATCH --account=proj$/m);
  assert.match(sbatch, /^#SBATCH --output=\/ws\/\.ml-intern\/runs\/r1\/logs\/slurm-%j\.out$/m);
  assert.ok(sbatch.includes(`\n${PY} -m accelerate.commands.launch --num_processes 2 --config_file accelerate_fsdp.yaml --num_machines 1 train.py 2>&1 | ${PY} -u /ws/.ml-intern/runs/r1/logs/redact_output.py\n`), sbatch);
  assert.equal(s.plan.sbatchPath, 'sft-x/train.sbatch');
  assert.equal(s.plan.timeLimit, '12:00:00');
  // The output file followed is the one the reviewed script names.
  assert.equal(sbatchOutput(sbatch, '/ws/sft-x'), '/ws/.ml-intern/runs/r1/logs/slurm-%j.out');
  assert.equal(sbatchOutput("#!/bin/bash\n#SBATCH --output='/a b/it'\\''s-%j.out'\n", '/w'), "/a b/it's-%j.out");
  assert.equal(sbatchOutput('#SBATCH -o logs/%j.txt\n', '/w'), '/w/logs/%j.txt');
  assert.equal(sbatchOutput('#!/bin/bash\necho hi\n', '/w'), '/w/slurm-%j.out');
});
