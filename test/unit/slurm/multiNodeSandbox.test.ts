// A training on two nodes with mlIntern.sandboxTrainings, on a REAL two-node Slurm
// (scripts/slurm-test-cluster.sh, nodes mli1 and mli2, both on this host): each node's launcher runs
// inside bubblewrap there, with the network on (the rendezvous needs it), the ranks of both nodes
// meet, and the planted ~/.ssh canary stays unreadable on every node. The stand-in torchrun of
// test/fixtures/multinode is the launcher. Needs root, slurm-wlm, munge and bubblewrap.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { planLaunch } from '../../../src/core/session/launchPlan';
import { FineTuneRequest } from '../../../src/core/session/types';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { SlurmBackend } from '../../../src/core/exec/slurm';
import { submitSlurmJob } from '../../../src/core/exec/slurmRun';
import { splitRank } from '../../../src/core/logs/logLine';
import { makeBox, namespacesForbidden } from '../sandbox/helpers';
import { useTestCluster } from '../session/slurmClusterHooks';

const FIXTURE = path.resolve(__dirname, '../../fixtures/multinode');
const cluster = useTestCluster({ nodes: 2 });
const REQUEST: FineTuneRequest = { baseModel: 'meta-llama/Llama-3.1-8B-Instruct', dataset: 'data/train.jsonl', method: 'sft', adapter: 'lora', evalSplit: 0 };
const made: string[] = [];
after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

test('two nodes, sandboxed: every node launches inside bubblewrap with the network on, the ranks meet, the canary stays unread', { skip: namespacesForbidden(), timeout: 120_000 }, async () => {
  const box = makeBox();
  made.push(box.root);
  const folder = 'ml-intern/run-1';
  const folderAbs = path.join(box.workspace, folder);
  const runDirAbs = path.join(box.workspace, '.ml-intern', 'runs', 'run-1');
  mkdirSync(folderAbs, { recursive: true });
  mkdirSync(runDirAbs, { recursive: true });
  // The worker tries the canary first, then is the fixture's rank worker.
  const worker = path.join(FIXTURE, 'rank_worker.py');
  writeFileSync(
    path.join(folderAbs, 'train.py'),
    `import os, runpy\ntry:\n    open(${JSON.stringify(path.join(box.home, '.ssh', 'id_ed25519'))}).read(); print('CANARY-READ', flush=True)\nexcept OSError:\n    print('CANARY-UNREADABLE', flush=True)\nrunpy.run_path(${JSON.stringify(worker)}, run_name='__main__')\n`,
  );
  const settings: Settings = {
    ...DEFAULT_SETTINGS,
    executionTarget: 'slurm',
    slurm: { ...DEFAULT_SETTINGS.slurm, timeLimit: '00:10:00', nodes: 2, gpus: 0 },
    sandbox: { mode: 'bubblewrap', network: 'off', image: '', trainings: true },
  };
  const { plan, files } = planLaunch({ request: REQUEST, settings, environment: undefined, python: 'python3', script: 'train.py', folder, folderAbs, runId: 'run-1', runDirAbs, env: box.env });
  assert.equal(plan.nodeSandbox?.label, 'bubblewrap, network on (the rendezvous between the nodes needs it)');
  const script = path.join(box.workspace, plan.sbatchPath!);
  writeFileSync(script, files.find((f) => f.name === 'train.sbatch')!.content);
  const backend = new SlurmBackend({ env: { ...cluster().env, HOME: box.home, PYTHONPATH: FIXTURE, MLI_TEST_RDZV_TIMEOUT: '20' }, pollMs: 200 });
  const run = await submitSlurmJob(backend, { scriptPath: script, runDir: runDirAbs, name: 'run-1', outputPattern: plan.outputPattern! }, { pollMs: 300 });
  let out = '';
  run.follow((chunk) => (out += chunk));
  const exit = await run.exit;
  assert.equal(exit.state, 'COMPLETED', out);
  const lines = out.split('\n').map(splitRank);
  for (const node of [0, 1]) {
    assert.ok(lines.some((l) => l.rank === node && /^ML Intern: sandboxed on compute node \S+ \(bubblewrap, network on/.test(l.text)), `node ${node} sandboxed:\n${out}`);
    assert.ok(lines.some((l) => l.rank === node && /^worker rank=\d+ world=2 /.test(l.text)), `node ${node} trained:\n${out}`);
  }
  assert.ok(lines.some((l) => l.rank === 0 && l.text === 'worker rank=0 met ranks [1]'), out);
  assert.doesNotMatch(out, /CANARY-READ|CANARY-7f3a9c/);
  assert.match(out, /CANARY-UNREADABLE/);
});
