/**
 * The fine-tune session on the Slurm target, against a REAL single-node Slurm
 * (scripts/slurm-test-cluster.sh): the sbatch script is proposed and approved
 * like train.py, the job runs the fixture trainer, its CUDA OOM goes through the
 * playbook fix, the resubmitted job succeeds; Stop cancels the job (scancel);
 * the job is found again from the run folder. Needs root and slurm-wlm + munge:
 * without them this FAILS (it does not skip).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { RunStore } from '../../../src/core/runs/runStore';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { FineTuneSession, scriptFolder } from '../../../src/core/session/fineTuneSession';
import { SlurmBackend } from '../../../src/core/exec/slurm';
import { attachSlurmRun, slurmExit, SlurmRun } from '../../../src/core/exec/slurmRun';
import { DetachedRun, startDetached } from '../../../src/core/exec/detached';
import { readConfig } from '../../../src/core/recipes/configBlock';
import { LlmProvider } from '../../../src/core/llm/types';
import { useTestCluster } from './slurmClusterHooks';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';
import { EnvReport } from '../../../src/core/python/types';
import { NO_NODE_GPU, proposeLengthFit, trainingGpuMemoryMiB } from '../../../src/core/session/lengthFit';

const FAKE_PYTHON = resolve('test/fixtures/trainer/fake-python');
const cluster = useTestCluster();

const request = MEDICAL_QA_REQUEST;

const settings: Settings = {
  ...DEFAULT_SETTINGS,
  executionTarget: 'slurm',
  // 0 asks for no GPU (the test node's two GPUs are only counted; the session's plan without gres is what is checked).
  slurm: { partition: 'debug', gpus: 0, timeLimit: '00:10:00', extraDirectives: ['--cpus-per-task=1', '--comment=ml-intern-session-test'] },
};

const noLlm: LlmProvider = {
  id: 'fail',
  model: 'none',
  contextWindow: 1000,
  chat: async () => {
    throw new Error('the playbook path must not call the LLM');
  },
};

function workspace(): string {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-slurm-session-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  return ws;
}

/** The cluster's backend; `jobEnv` reaches the job through sbatch's exported environment. */
function slurmDeps(jobEnv: Record<string, string>) {
  return { backend: (extra: Record<string, string> = {}) => new SlurmBackend({ env: { ...cluster().env, ...jobEnv, ...extra }, pollMs: 200 }), pollMs: 200 };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('Slurm target: sbatch script reviewed → job OOMs → playbook fix → resubmitted job succeeds', { timeout: 90_000 }, async () => {
  const ws = workspace();
  try {
    const files = new NodeFileStore(ws);
    const reviewer = new ScriptedReviewer();
    const events = new RecordingEventSink();
    const approvals: string[][] = [];
    const shown: DetachedRun[] = [];
    let launchedLocally = 0;
    const session = await FineTuneSession.create(request, {
      files,
      reviewer,
      events,
      runs: new RunStore(files),
      settings: () => settings,
      python: FAKE_PYTHON,
      llm: noLlm,
      launch: async (spec) => {
        launchedLocally++;
        return startDetached(spec);
      },
      approveCommand: async (req) => {
        approvals.push(req.argv);
        return { approved: true };
      },
      processEnv: async () => ({ HF_TOKEN: 'hf_sessiontestsecret0123456789' }),
      slurm: slurmDeps({ FAKE_OOM_ABOVE: '1' }),
      showRun: (run) => shown.push(run),
    });
    const outcome = await session.execute();
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    assert.equal(launchedLocally, 0, 'nothing ran on this machine');

    const folder = scriptFolder(request);
    const runDir = join(ws, session.handle.folder);
    // The sbatch script was proposed through the same gate as train.py, after it, from the recipe.
    const sbatch = reviewer.seen.find((c) => c.path === `${folder}/train.sbatch`);
    assert.ok(sbatch, 'the sbatch script was proposed');
    assert.equal(sbatch.origin, 'recipe');
    assert.ok(reviewer.seen.findIndex((c) => c.path === `${folder}/train.py`) < reviewer.seen.indexOf(sbatch));
    const text = readFileSync(join(ws, folder, 'train.sbatch'), 'utf8');
    assert.equal(text, sbatch.proposed);
    assert.match(text, new RegExp(`^#SBATCH --job-name=ml-intern-${session.runId}$`, 'm'));
    assert.match(text, /^#SBATCH --partition=debug$/m);
    assert.match(text, /^#SBATCH --time=00:10:00$/m);
    assert.match(text, /^#SBATCH --comment=ml-intern-session-test$/m);
    assert.doesNotMatch(text, /--gres/);
    assert.ok(text.includes(`#SBATCH --output=${runDir}/logs/slurm-%j.out\n`), text);
    assert.ok(text.includes(`#SBATCH --chdir=${join(ws, folder)}\n`), text);
    // The output goes through the redaction pump (Slurm writes the output file itself), with the user's interpreter.
    assert.ok(text.includes(`\n${FAKE_PYTHON} train.py 2>&1 | ${FAKE_PYTHON} -u ${runDir}/logs/redact_output.py\n`), text);
    assert.ok(existsSync(join(runDir, 'logs', 'redact_output.py')), 'the pump is in the run folder when the job starts');
    assert.doesNotMatch(text, /hf_sessiontestsecret/, 'secrets go through the environment, never into the script');

    // Submission was approved once, as `sbatch train.sbatch`; the repair's resubmission reuses that approval.
    assert.deepEqual(approvals, [['sbatch', 'train.sbatch']]);
    const transcript = readFileSync(join(runDir, 'transcript.jsonl'), 'utf8');
    assert.match(transcript, /"subject":"change","path":"[^"]*train\.sbatch","origin":"recipe","decision":"accepted"/);
    assert.match(transcript, /"subject":"command","tool":"run","argv":\["sbatch","train.sbatch"\],"origin":"recipe","decision":"approved"/);

    // Two jobs, both recorded in status.json and the transcript.
    const status = JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8'));
    assert.equal(status.state, 'succeeded');
    assert.equal(status.slurmJobIds.length, 2, JSON.stringify(status));
    const [first, second] = status.slurmJobIds as string[];
    assert.notEqual(first, second);
    assert.equal(status.slurmJobId, second);
    assert.equal(status.pid, undefined);
    for (const id of [first, second]) assert.match(transcript, new RegExp(`as Slurm job ${id} `));
    assert.match(transcript, new RegExp(`Slurm job ${first} ended FAILED \\(exit code 1\\)`));
    assert.match(transcript, new RegExp(`Slurm job ${second} ended COMPLETED \\(exit code 0\\)`));
    const backend = new SlurmBackend({ env: cluster().env });
    assert.equal((await backend.state(first)).state, 'FAILED');
    assert.equal((await backend.state(second)).state, 'COMPLETED');

    // The first job's CUDA OOM went through the playbook: a reviewed diff of train.py.
    const scriptProposals = reviewer.seen.filter((c) => c.path === `${folder}/train.py`);
    assert.deepEqual(scriptProposals.map((c) => c.origin), ['recipe', 'playbook']);
    const beforeFix = readConfig(scriptProposals[0].proposed);
    const afterFix = readConfig(readFileSync(join(ws, folder, 'train.py'), 'utf8'));
    assert.equal(afterFix.PER_DEVICE_TRAIN_BATCH_SIZE, (beforeFix.PER_DEVICE_TRAIN_BATCH_SIZE as number) / 2);
    assert.deepEqual(events.ofType('diagnosis').map((d) => d.category), ['cuda_oom']);

    // Outputs in the run folder: each job's output, kept per attempt, and the metrics from the log pipeline.
    assert.match(readFileSync(join(runDir, `logs/slurm-${first}.out`), 'utf8'), /OutOfMemoryError/);
    assert.match(readFileSync(join(runDir, 'logs/attempt-1.log'), 'utf8'), /OutOfMemoryError/);
    assert.match(readFileSync(join(runDir, 'logs/attempt-1.log'), 'utf8'), new RegExp(`ML Intern: Slurm job ${first} failed`));
    assert.ok(existsSync(join(runDir, `logs/slurm-${second}.out`)));
    assert.ok(existsSync(join(runDir, 'logs/attempt-2.log')));
    assert.ok(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).length >= 3, 'metrics.jsonl filled from the job output');
    assert.ok(events.ofType('metrics').length > 0, 'loss points reached the UI');
    // Which states are seen depends on the poll: a job that OOMs at once may be first seen FAILED.
    assert.ok(events.ofType('run_state').some((e) => new RegExp(`^Slurm job ${first}: (PENDING|CONFIGURING|RUNNING|COMPLETING|FAILED)`).test(e.message ?? '')), 'job states reached the panel');
    assert.ok(events.ofType('run_state').some((e) => new RegExp(`^Slurm job ${second}: `).test(e.message ?? '')), "the second job's states reached the panel");
    assert.deepEqual(shown.map((r) => (r as SlurmRun).jobId), [first, second], 'each job was shown in a terminal');
    assert.equal(JSON.parse(readFileSync(join(runDir, 'launch.json'), 'utf8')).target, 'slurm');

    // After a reload: the run folder alone finds the (ended) job again, with its output and end.
    const again = await attachSlurmRun(runDir, backend, { pollMs: 200 });
    assert.ok(again instanceof SlurmRun);
    assert.equal(again.jobId, second);
    let replayed = '';
    again.follow((c) => (replayed += c));
    const exit = await again.exit;
    assert.equal(exit.code, 0);
    assert.equal(exit.state, 'COMPLETED');
    assert.match(replayed, /train_runtime|'loss'/);
    again.dispose();
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('Slurm target: Stop cancels the job (scancel); the run is stopped; a reload finds the running job', { timeout: 60_000 }, async () => {
  const ws = workspace();
  try {
    const files = new NodeFileStore(ws);
    const events = new RecordingEventSink();
    const session = await FineTuneSession.create(request, {
      files,
      reviewer: new ScriptedReviewer(),
      events,
      runs: new RunStore(files),
      settings: () => ({ ...settings, autoApprove: 'recipe' }),
      python: FAKE_PYTHON,
      launch: (spec) => startDetached(spec),
      slurm: slurmDeps({ FAKE_OOM_ABOVE: '64', FAKE_STEPS: '100000', FAKE_DELAY_MS: '50' }),
    });
    const outcome = session.execute();
    const runDir = join(ws, session.handle.folder);
    // Running, and its output already followed into the log pipeline.
    await until('the first loss point', () => events.ofType('metrics').length > 0);
    const jobId = JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8')).slurmJobId as string;
    assert.match(jobId, /^\d+$/);

    // What a window reload does: find the job from the run folder, still running.
    const backend = new SlurmBackend({ env: cluster().env });
    const attached = await attachSlurmRun(runDir, backend, { pollMs: 200 });
    assert.ok(attached instanceof SlurmRun);
    assert.equal(attached.jobId, jobId);
    await until('the attached view to see RUNNING', () => attached.state === 'RUNNING');

    await session.stop();
    const result = await outcome;
    assert.equal(result.kind, 'stopped', JSON.stringify(result));
    assert.equal((await backend.state(jobId)).state, 'CANCELLED');
    const status = JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8'));
    assert.equal(status.state, 'stopped');
    const transcript = readFileSync(join(runDir, 'transcript.jsonl'), 'utf8');
    assert.match(transcript, new RegExp(`Slurm job ${jobId} ended CANCELLED \\(exit code 130\\)`));
    assert.equal(events.ofType('diagnosis').length, 0, 'a stop is not diagnosed');
    const out = readFileSync(join(runDir, `logs/slurm-${jobId}.out`), 'utf8');
    assert.match(out, new RegExp(`ML Intern: Slurm job ${jobId} was cancelled \\(scancel ${jobId}\\) from ML Intern`));

    // The other view (the reloaded window's) hears the end too: cancelled, not by itself.
    const seen = await attached.exit;
    assert.equal(seen.code, 130);
    assert.equal(seen.state, 'CANCELLED');
    assert.equal(seen.cancelledHere, undefined);
    attached.dispose();
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a job Slurm no longer knows is lost; a folder without a job is not a Slurm run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mli-slurm-attach-'));
  try {
    const backend = new SlurmBackend({ env: cluster().env });
    assert.equal(await attachSlurmRun(dir, backend), undefined);
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'slurm.json'), JSON.stringify({ jobId: '999999', outputFile: join(dir, 'logs', 'slurm-999999.out'), scriptPath: '/x', name: 'x', submittedAt: '' }));
    const r = await attachSlurmRun(dir, backend);
    assert.ok(r && 'lost' in r && !(r instanceof SlurmRun));
    assert.match(r.lost, /no longer knows job 999999/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('how a job ended: exit codes and what to tell the user', () => {
  const timeout = slurmExit('7', { state: 'TIMEOUT', exitCode: 0, signal: 15 }, { timeLimit: '04:00:00' });
  assert.equal(timeout.code, 124);
  assert.match(timeout.message, /time limit \(04:00:00\).*mlIntern\.slurm\.timeLimit/);
  assert.equal(slurmExit('7', { state: 'CANCELLED', exitCode: 0, signal: 15 }).code, 130);
  assert.match(slurmExit('7', { state: 'CANCELLED' }).message, /cancelled outside ML Intern/);
  assert.equal(slurmExit('7', { state: 'FAILED', exitCode: 3, signal: 0 }).code, 3);
  assert.equal(slurmExit('7', { state: 'FAILED', exitCode: 0, signal: 9 }).code, 137);
  assert.equal(slurmExit('7', { state: 'COMPLETED', exitCode: 0, signal: 0 }).code, 0);
  assert.match(slurmExit('7', { state: 'OUT_OF_MEMORY', exitCode: 0, signal: 9 }).message, /--mem=.*mlIntern\.slurm\.extraDirectives/);
  assert.match(slurmExit('7', { state: 'NODE_FAIL', reason: 'NodeDown' }).message, /NODE_FAIL \(NodeDown\)/);
});

test('Slurm target: a job stopped at its time limit after saving a checkpoint is resubmitted and goes on from it', { timeout: 300_000 }, async () => {
  const ws = workspace();
  try {
    const files = new NodeFileStore(ws);
    const events = new RecordingEventSink();
    // 1000 steps of 100 ms do not fit a one-minute limit (Slurm stops the job 60–90 s in, after
    // several checkpoints); what is left after the last checkpoint does.
    const session = await FineTuneSession.create({ ...request, config: { SAVE_STEPS: 50 } }, {
      files,
      reviewer: new ScriptedReviewer(),
      events,
      runs: new RunStore(files),
      settings: () => ({ ...settings, slurm: { ...settings.slurm, timeLimit: '00:01:00' } }),
      python: FAKE_PYTHON,
      llm: noLlm,
      launch: async () => {
        throw new Error('nothing runs on this machine');
      },
      approveCommand: async () => ({ approved: true }),
      slurm: slurmDeps({ FAKE_OOM_ABOVE: '64', FAKE_STEPS: '1000', FAKE_DELAY_MS: '100' }),
    });
    const outcome = await session.execute();
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    const runDir = join(ws, session.handle.folder);
    const status = JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8'));
    assert.equal(status.slurmJobIds.length, 2, JSON.stringify(status));
    const transcript = readFileSync(join(runDir, 'transcript.jsonl'), 'utf8');
    const said = /Slurm job (\d+) reached its time limit \(00:01:00\) and was stopped by Slurm\. It saved ([^ ]+\/checkpoint-(\d+)): a new job goes on from there \(attempt 2\)\./.exec(transcript);
    assert.ok(said, 'the user is told why a new job starts and from where');
    assert.equal(said[1], status.slurmJobIds[0]);
    const step = Number(said[3]);
    assert.ok(step >= 50 && step < 1000, `checkpoint step ${step}`);
    assert.match(readFileSync(join(runDir, 'logs', 'attempt-2.log'), 'utf8'), new RegExp(`Resuming from outputs/${session.runId}/checkpoint-${step} `));
    const second = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>).filter((p) => p.attempt === 2 && 'loss' in p);
    assert.ok(second.length > 0 && second[0].step > step, `the second job starts after step ${step} (first point: ${second[0]?.step})`);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

/** Take the test node down (its jobs end NODE_FAIL, as when a node dies) and bring it back. */
function nodeState(state: 'DOWN' | 'RESUME'): void {
  const node = spawnSync('hostname', ['-s'], { encoding: 'utf8' }).stdout.trim();
  spawnSync('scontrol', ['update', `NodeName=${node}`, `State=${state}`, ...(state === 'DOWN' ? ['Reason=ml-intern-test'] : [])], { env: cluster().env, encoding: 'utf8' });
}

function nodeFailSession(ws: string, saveSteps: number, steps: number) {
  const files = new NodeFileStore(ws);
  return FineTuneSession.create({ ...request, config: { SAVE_STEPS: saveSteps } }, {
    files,
    reviewer: new ScriptedReviewer(),
    events: new RecordingEventSink(),
    runs: new RunStore(files),
    // --no-requeue: the job ends NODE_FAIL instead of being requeued by Slurm itself.
    settings: () => ({ ...settings, slurm: { ...settings.slurm, extraDirectives: [...settings.slurm.extraDirectives, '--no-requeue'] } }),
    python: FAKE_PYTHON,
    llm: noLlm,
    launch: async () => {
      throw new Error('nothing runs on this machine');
    },
    approveCommand: async () => ({ approved: true }),
    slurm: slurmDeps({ FAKE_OOM_ABOVE: '64', FAKE_STEPS: String(steps), FAKE_DELAY_MS: '40' }),
  });
}

test('Slurm target: a job lost to a node failure after a checkpoint goes on from it in a new job', { timeout: 120_000 }, async () => {
  const ws = workspace();
  try {
    const session = await nodeFailSession(ws, 20, 300);
    const done = session.execute();
    const outputs = join(ws, scriptFolder(request), 'outputs', session.runId);
    await until('a checkpoint', () => existsSync(join(outputs, 'checkpoint-40')));
    nodeState('DOWN');
    const transcript = join(ws, session.handle.folder, 'transcript.jsonl');
    await until('the resubmission', () => /a new job goes on from there/.test(readFileSync(transcript, 'utf8')));
    nodeState('RESUME');
    const outcome = await done;
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    assert.match(readFileSync(transcript, 'utf8'), /Slurm job \d+ ended NODE_FAIL \(NodeDown\): the cluster stopped it, not the script\. It saved [^ ]+\/checkpoint-\d+: a new job goes on from there \(attempt 2\)\./);
    assert.match(readFileSync(join(ws, session.handle.folder, 'logs', 'attempt-2.log'), 'utf8'), /Resuming from outputs\/[^ ]+\/checkpoint-\d+ /);
  } finally {
    nodeState('RESUME');
    rmSync(ws, { recursive: true, force: true });
  }
});

test('Slurm target: a job lost to a node failure before its first checkpoint ends the run, saying how to get further next time', { timeout: 120_000 }, async () => {
  const ws = workspace();
  try {
    const session = await nodeFailSession(ws, 100_000, 300);
    const done = session.execute();
    await until('the job to log', () => existsSync(join(ws, session.handle.folder, 'metrics.jsonl')) && readFileSync(join(ws, session.handle.folder, 'metrics.jsonl'), 'utf8').includes('"loss"'));
    nodeState('DOWN');
    const outcome = await done;
    nodeState('RESUME');
    assert.equal(outcome.kind, 'failed', JSON.stringify(outcome));
    assert.match(outcome.summary, /Slurm job \d+ ended NODE_FAIL .* It saved no checkpoint before: lower SAVE_STEPS, or raise the time limit\./);
    const status = JSON.parse(readFileSync(join(ws, session.handle.folder, 'status.json'), 'utf8'));
    assert.equal(status.slurmJobIds.length, 1, 'nothing was resubmitted');
  } finally {
    nodeState('RESUME');
    rmSync(ws, { recursive: true, force: true });
  }
});

/** The real H200 report with a 24 GiB card, its GPU figures from the compute-node check (or, with `login`, from the login node). */
function reportFrom(where: 'node' | 'login'): EnvReport {
  const real = JSON.parse(readFileSync('test/fixtures/real-gpu/env-report-h200.json', 'utf8')) as EnvReport;
  const gpus = real.gpus.map((g) => ({ ...g, memoryTotalMiB: 24 * 1024, memoryFreeMiB: 24 * 1024 }));
  return { ...real, gpus, libraries: { ...real.libraries, trl: '1.0.0', datasets: '4.0.0' }, gpusFrom: where === 'node' ? 'a compute node (Slurm job 7, partition debug, checked 2026-12-07 10:00 UTC)' : 'this machine (the Slurm login node)' };
}

test('Slurm target with the checks before the full run: the token preview runs here, its rows fit the plan to the node\'s GPU, no smoke run (said), then the job', { timeout: 90_000 }, async () => {
  const ws = workspace();
  try {
    const files = new NodeFileStore(ws);
    const events = new RecordingEventSink();
    const reviewer = new ScriptedReviewer();
    let launchedLocally = 0;
    const stubs = ['tokenizer_fake', 'trl_new'].map((s) => resolve('test/fixtures/stubs', s)).join(':');
    const session = await FineTuneSession.create({ ...request, previewTokens: true, smokeSteps: 10 }, {
      files, reviewer, events, runs: new RunStore(files), settings: () => settings, python: FAKE_PYTHON, llm: noLlm, environment: reportFrom('node'),
      launch: async (spec) => {
        launchedLocally++;
        return startDetached(spec);
      },
      approveCommand: async () => ({ approved: true }),
      processEnv: async () => ({ PYTHONPATH: stubs }),
      slurm: slurmDeps({ FAKE_OOM_ABOVE: '64', FAKE_STEPS: '5' }),
    });
    const outcome = await session.execute();
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    assert.equal(events.ofType('preflight_result').length, 1, 'the preview card');
    assert.equal(events.ofType('smoke_result').length, 0, 'no smoke run');
    assert.equal(launchedLocally, 0, 'nothing trained on this machine');
    assert.ok(events.ofType('assistant_message').some((e) => /^No smoke run on the Slurm target/.test(e.text)));
    // The plan for the measured rows on the compute node's 24 GiB card, reviewed like the rest; the job trains with it.
    const plan = reviewer.seen.find((c) => /^Batch plan for the measured rows/.test(c.description));
    assert.ok(plan, reviewer.seen.map((c) => c.description).join('\n'));
    assert.match(plan.description, /of 24 GiB\)/);
    const trained = readConfig(readFileSync(join(ws, scriptFolder(request, 'ml-intern'), 'train.py'), 'utf8'));
    assert.deepEqual(readConfig(plan.proposed), trained, 'the job ran the accepted plan');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('on the Slurm target with only the login node\'s GPU figures, no plan is made for the measured rows, and that is said', async () => {
  const said: string[] = [];
  const proposed: string[] = [];
  const ports = { runId: 'r', method: 'sft' as const, target: 'slurm' as const, read: async () => 'x', propose: async () => { proposed.push('x'); return { kind: 'rejected' as const }; }, say: async (t: string) => void said.push(t) };
  const lengths = { rows: 10, mean: 100, p95: 200, longest: 300, overMaxLength: 0 } as unknown as Parameters<typeof proposeLengthFit>[2];
  await proposeLengthFit({ ...ports, environment: reportFrom('login') }, 'train.py', lengths);
  assert.deepEqual(proposed, []);
  assert.deepEqual(said, [NO_NODE_GPU]);
  assert.equal(trainingGpuMemoryMiB(reportFrom('login'), 'slurm'), undefined);
  assert.equal(trainingGpuMemoryMiB(reportFrom('node'), 'slurm'), 24 * 1024);
  assert.equal(trainingGpuMemoryMiB(reportFrom('login'), 'local'), 24 * 1024, 'on this machine its own card is the one that trains');
});
