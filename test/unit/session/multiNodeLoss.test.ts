/**
 * A node lost in the middle of a two-node training, end to end on a REAL two-node Slurm
 * (scripts/slurm-test-cluster.sh, nodes mli1 and mli2): after the job saved a checkpoint, the second
 * node goes DOWN (what slurmctld does when a node's slurmd stops answering), Slurm ends the job
 * NODE_FAIL, the run says so and submits the same 2-node script again, which goes on from the last
 * checkpoint on both nodes once the node is back. Every wait is on a fact (a checkpoint folder, a
 * job state, a line of the transcript), never a fixed sleep. Needs root, slurm-wlm and munge: FAILS
 * without them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { RunStore } from '../../../src/core/runs/runStore';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { FineTuneSession, scriptFolder } from '../../../src/core/session/fineTuneSession';
import { SlurmBackend } from '../../../src/core/exec/slurm';
import { splitRank } from '../../../src/core/logs/logLine';
import { LlmProvider } from '../../../src/core/llm/types';
import { useTestCluster } from './slurmClusterHooks';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';

const FAKE_PYTHON = resolve('test/fixtures/trainer/fake-python');
const MULTINODE = resolve('test/fixtures/multinode');
const cluster = useTestCluster({ nodes: 2 });

const settings: Settings = {
  ...DEFAULT_SETTINGS,
  executionTarget: 'slurm',
  // No gres on the test nodes: torchrun, one process per node. --no-requeue: the job ends NODE_FAIL
  // instead of being requeued by Slurm itself (the run's own resubmission is what is tested).
  slurm: { partition: '', gpus: 0, timeLimit: '00:10:00', extraDirectives: ['--no-requeue'], nodes: 2 },
};

const noLlm: LlmProvider = {
  id: 'fail',
  model: 'none',
  contextWindow: 1000,
  chat: async () => {
    throw new Error('a node failure is not the script\'s: no LLM repair');
  },
};

function scontrol(...args: string[]): string {
  const r = spawnSync('scontrol', args, { env: cluster().env, encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`;
}

function nodeState(node: string, state: 'DOWN' | 'RESUME'): void {
  scontrol('update', `NodeName=${node}`, `State=${state}`, ...(state === 'DOWN' ? ['Reason=ml-intern-node-loss-test'] : []));
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 90_000, detail: () => string = () => ''): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const read = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');

test('a node lost mid-job after a checkpoint: NODE_FAIL is said, the same 2-node script is submitted again and both nodes go on from the checkpoint', { timeout: 240_000 }, async () => {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-2n-loss-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  try {
    const files = new NodeFileStore(ws);
    const events = new RecordingEventSink();
    // 400 steps of 50 ms: long enough to lose a node after the first checkpoints (every 20 steps).
    const jobEnv = { PYTHONPATH: MULTINODE, MLI_TEST_WORKER_PYTHON: FAKE_PYTHON, MLI_TEST_RDZV_TIMEOUT: '60', FAKE_STEPS: '400', FAKE_DELAY_MS: '50', FAKE_OOM_ABOVE: '64' };
    const session = await FineTuneSession.create({ ...MEDICAL_QA_REQUEST, config: { SAVE_STEPS: 20 } }, {
      files, reviewer: new ScriptedReviewer(), events,
      runs: new RunStore(files),
      settings: () => settings,
      python: FAKE_PYTHON,
      llm: noLlm,
      launch: async () => {
        throw new Error('nothing runs on the login node');
      },
      approveCommand: async () => ({ approved: true }),
      processEnv: async () => ({}),
      slurm: { backend: (extra: Record<string, string> = {}) => new SlurmBackend({ env: { ...cluster().env, ...jobEnv, ...extra }, pollMs: 200 }), pollMs: 200 },
      showRun: () => {},
    });
    const done = session.execute();
    const runDir = join(ws, session.handle.folder);
    const outputs = join(ws, scriptFolder(MEDICAL_QA_REQUEST), 'outputs', session.runId);
    const transcript = join(runDir, 'transcript.jsonl');
    const status = () => JSON.parse(read(join(runDir, 'status.json')) || '{}') as { slurmJobId?: string; slurmJobIds?: string[] };
    const jobOutput = () => read(join(runDir, 'logs', `slurm-${status().slurmJobIds?.[0]}.out`));

    // A complete checkpoint written by the 2-process job (rank 0's trainer_state.json; every rank's random states).
    const checkpoint = await until('a checkpoint of both ranks', () => {
      if (!existsSync(outputs)) return undefined;
      return readdirSync(outputs).find((n) => /^checkpoint-\d+$/.test(n) && ['trainer_state.json', 'rng_state_0.pth', 'rng_state_1.pth'].every((f) => existsSync(join(outputs, n, f))));
    }, 120_000, jobOutput);
    assert.ok(checkpoint);
    const firstJob = status().slurmJobIds![0];
    nodeState('mli2', 'DOWN');
    await until('the resubmission', () => /a new job goes on from there/.test(read(transcript)), 90_000, () => `${read(transcript)}\n${scontrol('show', 'job', firstJob)}`);
    // The new job waits for two nodes; bring the lost one back.
    nodeState('mli2', 'RESUME');
    const outcome = await done;
    assert.equal(outcome.kind, 'succeeded', `${JSON.stringify(outcome)}\n${read(transcript)}`);

    const said = /Slurm job (\d+) ended NODE_FAIL[^"]*?: the cluster stopped it, not the script\.( The node lost was mli2; if it fails again, keep jobs off it with \\"--exclude=mli2\\" in mlIntern\.slurm\.extraDirectives\.)? It saved ([^ ]+\/checkpoint-(\d+)): a new job goes on from there \(attempt 2\)\./.exec(read(transcript));
    assert.ok(said, read(transcript));
    assert.equal(said[1], firstJob);
    // srun names the lost node in the job's output (kept as attempt-1.log when the job ended): then the
    // message says which node, and how to keep the next job off it.
    if (read(join(runDir, 'logs', 'attempt-1.log')).includes('srun: error: Node failure on mli2')) assert.ok(said[2], 'the lost node is named');
    const ids = status().slurmJobIds!;
    assert.equal(ids.length, 2, 'one resubmission');
    const step = Number(said[4]);
    // The second job is the same 2-node script: both nodes resume from that checkpoint and train on.
    const second = read(join(runDir, 'logs', 'attempt-2.log')).split('\n').map(splitRank);
    // Rank 0 says where it goes on from (the script's resume rule prints on the main process only) ...
    assert.ok(second.some((l) => l.rank === 0 && l.text.includes(`Resuming from outputs/${session.runId}/checkpoint-${step} `)), `node 0 resumed from checkpoint-${step}`);
    // ... and both nodes' first step is the one after it (the Trainer's progress bar: "21/400").
    for (const rank of [0, 1]) {
      const text = second.filter((l) => l.rank === rank).map((l) => l.text).join('\n');
      const first = [...text.matchAll(/\| (\d+)\/400 \[/g)].map((m) => Number(m[1])).find((n) => n > 0);
      assert.equal(first, step + 1, `node ${rank}'s first step in the second job`);
    }
    const points = read(join(runDir, 'metrics.jsonl')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>).filter((p) => p.attempt === 2 && 'loss' in p);
    assert.ok(points.length > 0 && points[0].step > step, `the second job's first point comes after step ${step} (${points[0]?.step})`);
  } finally {
    nodeState('mli2', 'RESUME');
    rmSync(ws, { recursive: true, force: true });
  }
});
