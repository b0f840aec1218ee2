/**
 * The fine-tune session with mlIntern.slurm.nodes = 2 (ml-intern fine-tune --slurm --nodes 2) on a
 * REAL two-node Slurm (scripts/slurm-test-cluster.sh, nodes mli1 and mli2): the multi-node batch
 * script is proposed and approved like the one-node one, one stand-in torchrun per node
 * (test/fixtures/multinode) starts the recipe's train.py with the fake python, and the run follows
 * both nodes' output to the end. Needs root, slurm-wlm and munge: without them this FAILS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  // The test nodes have no gres: no GPU asked, so the launcher is torchrun with one process per node.
  slurm: { partition: '', gpus: 0, timeLimit: '00:10:00', extraDirectives: [], nodes: 2 },
};

const noLlm: LlmProvider = {
  id: 'fail',
  model: 'none',
  contextWindow: 1000,
  chat: async () => {
    throw new Error('this run must not call the LLM');
  },
};

test('nodes = 2: the 2-node batch script is reviewed and approved like the one-node one, train.py runs on both nodes, the run follows them to the end', { timeout: 120_000 }, async () => {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-2n-session-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  try {
    const files = new NodeFileStore(ws);
    const reviewer = new ScriptedReviewer();
    const events = new RecordingEventSink();
    const approvals: string[][] = [];
    // sbatch exports the submitting environment: the stand-in torchrun comes from PYTHONPATH and starts the fake python.
    const jobEnv = { PYTHONPATH: MULTINODE, MLI_TEST_WORKER_PYTHON: FAKE_PYTHON, MLI_TEST_RDZV_TIMEOUT: '20', FAKE_STEPS: '10' };
    const session = await FineTuneSession.create(MEDICAL_QA_REQUEST, {
      files, reviewer, events,
      runs: new RunStore(files),
      settings: () => settings,
      python: FAKE_PYTHON,
      llm: noLlm,
      launch: async () => {
        throw new Error('nothing runs on the login node');
      },
      approveCommand: async (req) => {
        approvals.push(req.argv);
        return { approved: true };
      },
      processEnv: async () => ({}),
      slurm: { backend: (extra: Record<string, string> = {}) => new SlurmBackend({ env: { ...cluster().env, ...jobEnv, ...extra }, pollMs: 200 }), pollMs: 200 },
      showRun: () => {},
    });
    const outcome = await session.execute();
    const runDir = join(ws, session.handle.folder);
    const outputs = () => {
      try {
        const id = JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8')).slurmJobId as string;
        return readFileSync(join(runDir, 'logs', `slurm-${id}.out`), 'utf8');
      } catch {
        return '(no job output)';
      }
    };
    assert.equal(outcome.kind, 'succeeded', `${JSON.stringify(outcome)}\n${outputs()}`);

    const folder = scriptFolder(MEDICAL_QA_REQUEST);
    const sbatch = reviewer.seen.find((c) => c.path === `${folder}/train.sbatch`);
    assert.ok(sbatch, 'the batch script was proposed');
    assert.match(sbatch.proposed, /^#SBATCH --nodes=2$/m);
    assert.match(sbatch.proposed, /^#SBATCH --ntasks-per-node=1$/m);
    assert.match(sbatch.proposed, /torch\.distributed\.run --nnodes 2 --nproc_per_node 1 .* train\.py/);
    assert.match(sbatch.description, /2 nodes/);
    assert.deepEqual(approvals, [['sbatch', 'train.sbatch']]);
    assert.equal(JSON.parse(readFileSync(join(runDir, 'launch.json'), 'utf8')).nodes, 2);

    const lines = outputs().split('\n').map(splitRank);
    assert.ok(lines.some((l) => l.rank === 0 && /train_runtime|'loss'/.test(l.text)), outputs());
    assert.ok(lines.some((l) => l.rank === 1 && /train_runtime|'loss'/.test(l.text)), 'the second node trained too');
    assert.ok(events.ofType('metrics').length > 0, 'loss points reached the chart');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
