// The multi-node batch script against a REAL two-node Slurm: one slurmctld and two slurmd on this
// host (Slurm's multiple-slurmd mode, nodes mli1 and mli2, scripts/slurm-test-cluster.sh with
// SLURM_TEST_NODES=2). The launcher is the stand-in torchrun of test/fixtures/multinode (torch is not
// installed here): it meets the other node at the rendezvous the script chose, starts 2 workers per
// node, and the workers meet rank 0 over TCP. Needs root, slurm-wlm and munge: FAILS without them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { renderMultiNodeSbatch, MultiNodeSpec } from '../../../src/core/exec/multiNodeSbatch';
import { planSharedFolders } from '../../../src/core/exec/sharedFolders';
import { SlurmBackend } from '../../../src/core/exec/slurm';
import { submitSlurmJob, SlurmRun } from '../../../src/core/exec/slurmRun';
import { splitRank } from '../../../src/core/logs/logLine';
import { diagnoseMultiNode } from '../../../src/core/recovery/multiNodeDiagnosis';
import { useTestCluster } from '../session/slurmClusterHooks';

const FIXTURE = path.resolve(__dirname, '../../fixtures/multinode');
const cluster = useTestCluster({ nodes: 2 });

interface Job {
  run: SlurmRun;
  output: () => string;
  workspace: string;
  script: string;
}

/** Render the 2-node script for the stand-in launcher, submit it, and follow its output. */
async function submit(name: string, workerArgs: string[], tweak: (spec: MultiNodeSpec, workspace: string) => void = () => {}): Promise<Job> {
  const workspace = mkdtempSync(path.join(tmpdir(), `mli-2n-${name}-`));
  const outputDir = path.join(workspace, 'out');
  const shared = planSharedFolders({ workspace, outputDir, env: { HF_HOME: path.join(workspace, 'hf') } });
  const spec: MultiNodeSpec = {
    jobName: `mli-${name}`,
    nodes: 2,
    gpusPerNode: 0,
    processesPerNode: 2,
    launcher: 'torchrun',
    python: 'python3',
    script: path.join(FIXTURE, 'rank_worker.py'),
    scriptArgs: workerArgs,
    outputFile: path.join(workspace, 'logs', 'slurm-%j.out'),
    workdir: workspace,
    env: { PYTHONPATH: FIXTURE, MLI_TEST_RDZV_TIMEOUT: '20' },
    sharedPaths: shared.paths,
  };
  tweak(spec, workspace);
  const script = path.join(workspace, 'train.sbatch');
  writeFileSync(script, renderMultiNodeSbatch(spec));
  const backend = new SlurmBackend({ env: cluster().env, pollMs: 200 });
  const run = await submitSlurmJob(backend, { scriptPath: script, runDir: workspace, name, outputPattern: spec.outputFile }, { pollMs: 300 });
  let text = '';
  run.follow((chunk) => (text += chunk));
  return { run, output: () => text, workspace, script };
}

/** The lines of one node (srun --label's "N: " prefix), without the prefix. */
function linesOfNode(output: string, node: number): string[] {
  return output.split('\n').map(splitRank).filter((l) => l.rank === node).map((l) => l.text);
}

test('sbatch --test-only accepts the generated 2-node script (Slurm validates --nodes/--ntasks-per-node against the cluster)', () => {
  const workspace = mkdtempSync(path.join(tmpdir(), 'mli-2n-validate-'));
  try {
    const script = path.join(workspace, 'train.sbatch');
    writeFileSync(script, renderMultiNodeSbatch({ jobName: 'validate', nodes: 2, gpusPerNode: 2, launcher: 'accelerate', python: 'python3', script: 'train.py', outputFile: path.join(workspace, 'o-%j.log'), workdir: workspace }));
    const r = execFileSync('sbatch', ['--test-only', script], { env: cluster().env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(r, '');
    // Three nodes do not exist here: Slurm's own refusal, not ours.
    writeFileSync(script, renderMultiNodeSbatch({ jobName: 'validate', nodes: 3, gpusPerNode: 2, launcher: 'accelerate', python: 'python3', script: 'train.py', outputFile: path.join(workspace, 'o-%j.log'), workdir: workspace }));
    assert.throws(() => execFileSync('sbatch', ['--test-only', script], { env: cluster().env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), /node configuration|Requested node/i);
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
});

test('two nodes x two processes: each node runs one launcher with its own SLURM_NODEID, all four ranks meet at the rendezvous on the first node, the output of both nodes is followed', async () => {
  const job = await submit('ok', ['--steps', '3']);
  try {
    const exit = await job.run.exit;
    assert.equal(exit.state, 'COMPLETED', job.output());
    assert.equal(exit.code, 0);
    const out = job.output();
    const header = /ML Intern: 2 nodes \((\S+)\) x 2 processes, rendezvous at ([\d.]+):(\d+) \(node (\S+)\)/.exec(out);
    assert.ok(header, out);
    assert.equal(header[2], '127.0.0.1', 'MASTER_ADDR is the first node\'s NodeAddr');
    assert.equal(header[4], 'mli1', 'the rendezvous host is the first host of the allocation');
    const node0 = linesOfNode(out, 0).filter((l) => /^worker rank=\d+ world=/.test(l));
    const node1 = linesOfNode(out, 1).filter((l) => /^worker rank=\d+ world=/.test(l));
    assert.equal(node0.length, 2, out);
    assert.equal(node1.length, 2, out);
    for (const l of node0) assert.match(l, /world=4 .*node_id=0 node=mli1 master=127\.0\.0\.1:/);
    for (const l of node1) assert.match(l, /world=4 .*node_id=1 node=mli2 master=127\.0\.0\.1:/);
    assert.deepEqual(node0.map((l) => /rank=(\d)/.exec(l)?.[1]).sort(), ['0', '1']);
    assert.deepEqual(node1.map((l) => /rank=(\d)/.exec(l)?.[1]).sort(), ['2', '3']);
    assert.ok(linesOfNode(out, 0).includes('worker rank=0 met ranks [1, 2, 3]'), 'rank 0 met every other rank over TCP');
    // The chart's points come from node 0's rank 0 (the Trainer logs from the main process only).
    assert.equal(linesOfNode(out, 0).filter((l) => l.startsWith("{'loss'")).length, 3);
    assert.equal(linesOfNode(out, 1).filter((l) => l.startsWith("{'loss'")).length, 0);
  } finally {
    rmSync(job.workspace, { recursive: true, force: true });
  }
});

test('rank 3 of 4 fails: the job FAILS, the other node is stopped, and the diagnosis names node 1 and rank 3 as the first failure', async () => {
  const job = await submit('fail', ['--fail-rank', '3', '--steps', '200', '--step-seconds', '0.1']);
  try {
    const exit = await job.run.exit;
    assert.equal(exit.state, 'FAILED', job.output());
    assert.notEqual(exit.code, 0);
    const out = job.output();
    assert.ok(linesOfNode(out, 1).some((l) => l.includes('RuntimeError: rank 3 was told to fail')), out);
    // --kill-on-bad-exit: node 0 does not train its 200 steps (20 s) once node 1 failed.
    assert.ok(linesOfNode(out, 0).filter((l) => l.startsWith("{'loss'")).length < 200);
    const d = diagnoseMultiNode(out);
    assert.equal(d.firstFailingNode, 1, out);
    assert.equal(d.firstFailingRank, 3, out);
    assert.match(d.summary, /node 1.*rank 3/);
  } finally {
    rmSync(job.workspace, { recursive: true, force: true });
  }
});

test('a folder a node does not see stops the job before training, naming each node and the folder', async () => {
  const job = await submit('shared', ['--steps', '1'], (spec, workspace) => {
    spec.sharedPaths = [...(spec.sharedPaths ?? []), { what: 'Hugging Face cache', path: path.join(workspace, 'not-on-the-nodes') }];
    // The workspace's check file disappears after submission: the nodes' "workspace" is then not the login node's.
    const marker = spec.sharedPaths.find((p) => p.what === 'workspace')?.marker;
    assert.ok(marker);
    rmSync(path.join(workspace, marker));
  });
  try {
    const exit = await job.run.exit;
    assert.equal(exit.state, 'FAILED');
    assert.equal(exit.code, 3);
    const out = job.output();
    for (const node of ['mli1', 'mli2']) {
      assert.match(out, new RegExp(`node ${node} \\(SLURM_NODEID=\\d\\) cannot see the Hugging Face cache folder \\S+not-on-the-nodes`));
      assert.match(out, new RegExp(`node ${node} \\(SLURM_NODEID=\\d\\) has a workspace folder .* not the one the job was submitted from`));
    }
    assert.match(out, /stopped before training: not every node sees the folders above/);
    assert.doesNotMatch(out, /worker rank=/, 'no rank started');
  } finally {
    rmSync(job.workspace, { recursive: true, force: true });
  }
});

test('Stop cancels the whole job: both nodes\' launchers and workers end', async () => {
  const job = await submit('stop', ['--steps', '600', '--step-seconds', '0.1']);
  try {
    const deadline = Date.now() + 30_000;
    while (!/met ranks/.test(job.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.match(job.output(), /met ranks \[1, 2, 3\]/, 'all ranks running before Stop');
    const exit = await job.run.stop('test');
    assert.equal(exit.state, 'CANCELLED');
    assert.equal(exit.cancelledHere, true);
    // No worker of this job survives on either node (the fixture path names this job's workers only).
    const deadlineGone = Date.now() + 15_000;
    let left = '';
    do {
      left = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(path.join(FIXTURE, 'rank_worker.py')) && l.includes('--steps 600')).join('\n');
      if (!left) break;
      await new Promise((r) => setTimeout(r, 300));
    } while (Date.now() < deadlineGone);
    assert.equal(left, '', 'workers still running after the cancel');
  } finally {
    rmSync(job.workspace, { recursive: true, force: true });
  }
});

test('the generated script reads back what it launches: NCCL settings visible, one srun per node with the node id filled in per node', () => {
  const text = renderMultiNodeSbatch({ jobName: 'x', nodes: 4, gpusPerNode: 8, launcher: 'accelerate', python: '/venv/bin/python', script: 'train.py', acceleratorConfigFile: 'fsdp.yaml', outputFile: '/w/o-%j.log', workdir: '/w', nccl: { NCCL_SOCKET_IFNAME: 'ib0' } });
  assert.match(text, /#SBATCH --nodes=4\n#SBATCH --ntasks-per-node=1\n#SBATCH --gpus-per-node=8\n/);
  assert.match(text, /export NCCL_DEBUG=\$\{NCCL_DEBUG:-WARN\}/);
  assert.match(text, /export NCCL_SOCKET_IFNAME=\$\{NCCL_SOCKET_IFNAME:-ib0\}/);
  assert.match(text, /--num_machines 4 --num_processes 32 --machine_rank @SLURM_NODEID@ --main_process_ip "\$MASTER_ADDR" --main_process_port "\$MASTER_PORT"/);
  assert.match(text, /srun --nodes=4 --ntasks=4 --ntasks-per-node=1 --kill-on-bad-exit=1 --label/);
  assert.throws(() => renderMultiNodeSbatch({ jobName: 'x', nodes: 0, gpusPerNode: 8, launcher: 'torchrun', python: 'p', script: 's', outputFile: 'o', workdir: 'w' }), /nodes must be a whole number of at least 1/);
  assert.throws(() => renderMultiNodeSbatch({ jobName: 'x', nodes: 2, gpusPerNode: 8, launcher: 'torchrun', python: 'p', script: 's', outputFile: 'o', workdir: 'w', extraDirectives: ['--nodes=3'] }), /would change the node layout/);
});

test('accelerate on two nodes: each node\'s launcher gets --machine_rank = its SLURM_NODEID and the same rendezvous', async () => {
  const job = await submit('accelerate', [], (spec) => {
    spec.launcher = 'accelerate';
    spec.acceleratorConfigFile = 'fsdp.yaml';
  });
  try {
    const exit = await job.run.exit;
    assert.equal(exit.state, 'COMPLETED', job.output());
    const out = job.output();
    const seen = [0, 1].map((node) => linesOfNode(out, node).find((l) => l.startsWith('accelerate ')));
    assert.match(seen[0] ?? '', /^accelerate machine_rank=0 num_machines=2 num_processes=4 main_process=127\.0\.0\.1:(\d+) rdzv_backend=static node_id=0 node=mli1 script=rank_worker\.py$/, out);
    assert.match(seen[1] ?? '', /^accelerate machine_rank=1 num_machines=2 num_processes=4 main_process=127\.0\.0\.1:(\d+) rdzv_backend=static node_id=1 node=mli2 script=rank_worker\.py$/, out);
    assert.equal(/:(\d+) /.exec(seen[0] ?? '')?.[1], /:(\d+) /.exec(seen[1] ?? '')?.[1], 'one rendezvous port for both nodes');
  } finally {
    rmSync(job.workspace, { recursive: true, force: true });
  }
});
