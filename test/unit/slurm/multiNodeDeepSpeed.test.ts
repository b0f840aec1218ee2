// DeepSpeed ZeRO-3 across two nodes on the REAL two-node Slurm (scripts/slurm-test-cluster.sh, nodes
// mli1 and mli2, two counted GPUs each): the planned batch script with mlIntern.sharding = "deepspeed"
// passes sbatch --test-only, and when it runs every node's accelerate (the stand-in of
// test/fixtures/multinode, which parses accelerate launch's own flags and reads the JSON from the
// node's working folder as DeepSpeedPlugin does) gets its machine rank, the reviewed ds_zero3.json,
// the standard multi-node launcher and the mixed precision. Needs root, slurm-wlm and munge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { planLaunch } from '../../../src/core/session/launchPlan';
import { FineTuneRequest } from '../../../src/core/session/types';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { SlurmBackend } from '../../../src/core/exec/slurm';
import { submitSlurmJob } from '../../../src/core/exec/slurmRun';
import { splitRank } from '../../../src/core/logs/logLine';
import { useTestCluster } from '../session/slurmClusterHooks';

const FIXTURE = path.resolve(__dirname, '../../fixtures/multinode');
const cluster = useTestCluster({ nodes: 2 });
const REQUEST: FineTuneRequest = { baseModel: 'meta-llama/Llama-3.1-8B-Instruct', dataset: 'data/train.jsonl', method: 'sft', adapter: 'full', evalSplit: 0 };
const SETTINGS: Settings = { ...DEFAULT_SETTINGS, sharding: 'deepspeed', executionTarget: 'slurm', slurm: { ...DEFAULT_SETTINGS.slurm, timeLimit: '00:10:00', nodes: 2, gpus: 2 } };

test('nodes=2 x 2 GPUs with DeepSpeed: sbatch accepts the planned script; each node\'s accelerate reads ds_zero3.json with its own machine rank', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mli-2n-ds-'));
  try {
    const folder = 'ml-intern/run-1';
    const folderAbs = path.join(root, folder);
    const runDirAbs = path.join(root, '.ml-intern', 'runs', 'run-1');
    mkdirSync(folderAbs, { recursive: true });
    mkdirSync(runDirAbs, { recursive: true });
    const { plan, files } = planLaunch({ request: REQUEST, settings: SETTINGS, environment: undefined, python: 'python3', script: 'train.py', folder, folderAbs, runId: 'run-1', runDirAbs });
    assert.deepEqual(files.map((f) => f.name), ['ds_zero3.json', 'train.sbatch']);
    // What the user accepts in review lands next to train.py (the job's working folder).
    for (const f of files) writeFileSync(path.join(folderAbs, f.name), f.content);
    writeFileSync(path.join(folderAbs, 'train.py'), 'print("train")\n');
    const script = path.join(root, plan.sbatchPath!);
    try {
      assert.equal(execFileSync('sbatch', ['--test-only', script], { env: cluster().env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), '');
    } catch (err) {
      assert.fail(`sbatch --test-only refused it: ${(err as { stderr?: string }).stderr}`);
    }
    const backend = new SlurmBackend({ env: { ...cluster().env, PYTHONPATH: FIXTURE }, pollMs: 200 });
    const run = await submitSlurmJob(backend, { scriptPath: script, runDir: runDirAbs, name: 'run-1', outputPattern: plan.outputPattern! }, { pollMs: 300 });
    let out = '';
    run.follow((chunk) => (out += chunk));
    const exit = await run.exit;
    assert.equal(exit.state, 'COMPLETED', out);
    const lines = out.split('\n').map(splitRank);
    for (const node of [0, 1]) {
      const mine = lines.filter((l) => l.rank === node).map((l) => l.text);
      assert.ok(mine.some((t) => new RegExp(`^accelerate machine_rank=${node} num_machines=2 num_processes=4 .* node_id=${node} node=mli${node + 1} script=train\\.py$`).test(t)), out);
      assert.ok(mine.includes('accelerate deepspeed config=ds_zero3.json zero_stage=3 multinode_launcher=standard mixed_precision=bf16'), out);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
