// The fine-tune session's launch plan with mlIntern.slurm.nodes > 1 (ml-intern fine-tune --slurm
// --nodes N): it proposes the multi-node batch script instead of the one-node one, and that script
// runs on a REAL two-node Slurm (scripts/slurm-test-cluster.sh, nodes mli1 and mli2) with the stand-in
// torchrun of test/fixtures/multinode as train.py's launcher. Needs root, slurm-wlm and munge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { planLaunch } from '../../../src/core/session/launchPlan';
import { FineTuneRequest } from '../../../src/core/session/types';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { SlurmBackend } from '../../../src/core/exec/slurm';
import { submitSlurmJob } from '../../../src/core/exec/slurmRun';
import { splitRank } from '../../../src/core/logs/logLine';
import { slurmFrom } from '../../../src/cli/interaction';
import { parseArgs } from '../../../src/cli/command';
import { useTestCluster } from '../session/slurmClusterHooks';

const FIXTURE = path.resolve(__dirname, '../../fixtures/multinode');
const cluster = useTestCluster({ nodes: 2 });
const REQUEST: FineTuneRequest = { baseModel: 'meta-llama/Llama-3.1-8B-Instruct', dataset: 'data/train.jsonl', method: 'sft', adapter: 'lora', evalSplit: 0 };

function settings(slurm: Partial<Settings['slurm']>): Settings {
  return { ...DEFAULT_SETTINGS, executionTarget: 'slurm', slurm: { ...DEFAULT_SETTINGS.slurm, timeLimit: '00:10:00', ...slurm } };
}

/** A workspace with the run's script folder and run folder, as the session lays them out. */
function workspace(name: string): { root: string; folder: string; folderAbs: string; runDirAbs: string } {
  const root = mkdtempSync(path.join(tmpdir(), `mli-launch-${name}-`));
  const folder = 'ml-intern/run-1';
  const folderAbs = path.join(root, folder);
  const runDirAbs = path.join(root, '.ml-intern', 'runs', 'run-1');
  mkdirSync(folderAbs, { recursive: true });
  mkdirSync(runDirAbs, { recursive: true });
  return { root, folder, folderAbs, runDirAbs };
}

test('--slurm --nodes 2 is read into the settings (and mlIntern.slurm.nodes is contributed, default 1); run (one command, one node) refuses --nodes', () => {
  assert.equal(slurmFrom(parseArgs(['--slurm', '--nodes', '2']), { multiNode: true }).slurm.nodes, 2);
  assert.equal(slurmFrom(parseArgs(['--slurm']), { multiNode: true }).slurm.nodes, 1);
  assert.throws(() => slurmFrom(parseArgs(['--slurm', '--nodes', '0']), { multiNode: true }), /--nodes must be a whole number ≥ 1/);
  assert.throws(() => slurmFrom(parseArgs(['--slurm', '--nodes', '2'])), /--nodes is an option of fine-tune/);
  assert.throws(() => slurmFrom(parseArgs(['--nodes', '2']), { multiNode: true }), /add --slurm/);
  // The extension's setting: same default, and the editor refuses 0.
  const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8'));
  const props = Object.assign({}, ...pkg.contributes.configuration.map((c: { properties: object }) => c.properties));
  assert.equal(props['mlIntern.slurm.nodes'].default, DEFAULT_SETTINGS.slurm.nodes);
  assert.equal(props['mlIntern.slurm.nodes'].minimum, 1);
});

test('nodes=2 with 2 GPUs each (what a test node declares): the plan proposes the FSDP config for 4 processes and a 2-node batch script, which sbatch --test-only accepts', () => {
  const ws = workspace('plan');
  try {
    const { plan, files } = planLaunch({ request: REQUEST, settings: settings({ nodes: 2, gpus: 2 }), environment: undefined, python: 'python3', script: 'train.py', folder: ws.folder, folderAbs: ws.folderAbs, runId: 'run-1', runDirAbs: ws.runDirAbs });
    assert.deepEqual(files.map((f) => f.name), ['accelerate_fsdp.yaml', 'train.sbatch']);
    assert.match(files[0].content, /^num_processes: 4$/m);
    const sbatch = files[1].content;
    assert.match(sbatch, /^#SBATCH --nodes=2$/m);
    assert.match(sbatch, /^#SBATCH --ntasks-per-node=1$/m);
    assert.match(sbatch, /^#SBATCH --gpus-per-node=2$/m);
    assert.match(sbatch, /accelerate\.commands\.launch --config_file accelerate_fsdp\.yaml --num_machines 2 --num_processes 4 --machine_rank/);
    assert.match(sbatch, /cannot see the \$what folder/, 'the shared-folder check is in the script');
    assert.match(files[1].description, /2 nodes, 2 GPUs per node/);
    assert.equal(plan.nodes, 2);
    assert.equal(plan.gpus, 4);
    assert.equal(plan.sbatchPath, `${ws.folder}/train.sbatch`);
    const script = path.join(ws.folderAbs, 'train.sbatch');
    writeFileSync(script, sbatch);
    try {
      assert.equal(execFileSync('sbatch', ['--test-only', script], { env: cluster().env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), '');
    } catch (err) {
      assert.fail(`sbatch --test-only refused it: ${(err as { stderr?: string }).stderr}`);
    }
    // One node keeps the one-node script.
    const one = planLaunch({ request: REQUEST, settings: settings({ nodes: 1, gpus: 2 }), environment: undefined, python: 'python3', script: 'train.py', folder: ws.folder, folderAbs: ws.folderAbs, runId: 'run-1', runDirAbs: ws.runDirAbs });
    assert.doesNotMatch(one.files.find((f) => f.name === 'train.sbatch')!.content, /--nodes=2|srun --nodes/);
    assert.equal(one.plan.nodes, undefined);
  } finally {
    rmSync(ws.root, { recursive: true, force: true });
  }
});

test('the planned 2-node script runs on the real cluster: one launcher per node, both nodes\' ranks meet, every node\'s output is followed from the run folder', async () => {
  const ws = workspace('run');
  try {
    copyFileSync(path.join(FIXTURE, 'rank_worker.py'), path.join(ws.folderAbs, 'train.py'));
    const { plan, files } = planLaunch({ request: REQUEST, settings: settings({ nodes: 2, gpus: 0 }), environment: undefined, python: 'python3', script: 'train.py', folder: ws.folder, folderAbs: ws.folderAbs, runId: 'run-1', runDirAbs: ws.runDirAbs });
    assert.deepEqual(files.map((f) => f.name), ['train.sbatch'], 'no GPUs: torchrun, no accelerate config');
    const script = path.join(ws.root, plan.sbatchPath!);
    writeFileSync(script, files[0].content);
    // sbatch passes the submitting environment on: the stand-in torchrun comes from PYTHONPATH.
    const backend = new SlurmBackend({ env: { ...cluster().env, PYTHONPATH: FIXTURE, MLI_TEST_RDZV_TIMEOUT: '20' }, pollMs: 200 });
    const run = await submitSlurmJob(backend, { scriptPath: script, runDir: ws.runDirAbs, name: 'run-1', outputPattern: plan.outputPattern! }, { pollMs: 300 });
    let out = '';
    run.follow((chunk) => (out += chunk));
    const exit = await run.exit;
    assert.equal(exit.state, 'COMPLETED', out);
    const lines = out.split('\n').map(splitRank);
    const workers = (node: number) => lines.filter((l) => l.rank === node && /^worker rank=\d+ world=2 /.test(l.text));
    assert.equal(workers(0).length, 1, out);
    assert.equal(workers(1).length, 1, out);
    assert.match(workers(1)[0].text, /node_id=1 node=mli2/);
    assert.ok(lines.some((l) => l.rank === 0 && l.text === 'worker rank=0 met ranks [1]'), out);
    assert.equal(lines.filter((l) => l.rank === 0 && l.text.startsWith("{'loss'")).length, 3, 'rank 0 logs the Trainer dicts');
  } finally {
    rmSync(ws.root, { recursive: true, force: true });
  }
});
