// The Slurm backend against a REAL single-node Slurm (munge + slurmctld + slurmd)
// started in a temp folder by scripts/slurm-test-cluster.sh. Needs root and the
// Debian packages slurm-wlm and munge: without them this FAILS (it does not skip).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { renderSbatch, SlurmBackend, parseScontrol, parseSubmitted, shellQuote } from '../../../src/core/exec/slurm';
import { deepSpeedZero3Config, fsdpAccelerateConfig, launchArgv } from '../../../src/core/exec/launchers';
import { PUMP_NAME, PUMP_PY } from '../../../src/core/exec/launcherScript';

const SCRIPT = path.resolve(__dirname, '../../../scripts/slurm-test-cluster.sh');
let dir = '';
let env: NodeJS.ProcessEnv = {};
let backend: SlurmBackend;

function daemonPids(): number[] {
  return ['run/slurmd.pid', 'run/slurmctld.pid', 'munge/munged.pid']
    .map((f) => path.join(dir, f))
    .filter((f) => existsSync(f))
    .map((f) => Number(readFileSync(f, 'utf8').trim()));
}

function aliveNotZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mli-slurm-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const r = spawnSync('bash', [SCRIPT, 'start', dir], {
    encoding: 'utf8',
    env: { ...process.env, SLURM_TEST_CTLD_PORT: String(port), SLURM_TEST_SLURMD_PORT: String(port + 1) },
  });
  if (r.status !== 0) {
    throw new Error(`Could not start the test Slurm cluster (exit ${r.status}): ${r.stderr.trim()}\nThe Slurm tests need root and: apt-get install -y slurm-wlm munge`);
  }
  env = { ...process.env, SLURM_CONF: path.join(dir, 'slurm.conf'), PATH: `${process.env.PATH}:/usr/sbin` };
  backend = new SlurmBackend({ env, pollMs: 200 });
});

after(() => {
  if (!dir) return;
  const pids = daemonPids();
  const r = spawnSync('bash', [SCRIPT, 'stop', dir], { encoding: 'utf8' });
  const left = pids.filter(aliveNotZombie);
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(left, [], 'every daemon stopped (zombies count as stopped)');
});

test('a CPU job runs and ends COMPLETED with exit 0; its output is read', async () => {
  const out = path.join(dir, 'job1.out');
  const scriptPath = path.join(dir, 'job1.sbatch');
  writeFileSync(
    scriptPath,
    renderSbatch({
      jobName: "ml intern's test",
      command: ['python3', '-c', 'import os; print("hello from", os.environ["SLURM_JOB_ID"]); print("quote\'s ok $HOME")'],
      outputFile: out,
      workdir: dir,
      timeLimit: '00:05:00',
      cpusPerTask: 1,
      extraDirectives: ['--comment=ml-intern-test'],
    }),
  );
  const id = await backend.submit(scriptPath);
  assert.match(id, /^\d+$/);
  const states: string[] = [];
  let followed = '';
  const stopFollow = backend.follow(id, out, (c) => (followed += c));
  const end = await backend.waitForEnd(id, { timeoutMs: 40000, onState: (s) => states.push(s.state) });
  stopFollow();
  assert.equal(end.state, 'COMPLETED', JSON.stringify(states));
  assert.equal(end.exitCode, 0);
  assert.equal(readFileSync(out, 'utf8'), `hello from ${id}\nquote's ok $HOME\n`);
  assert.equal(followed, readFileSync(out, 'utf8'));
});

test('a failing job ends FAILED with its exit code', async () => {
  const scriptPath = path.join(dir, 'job2.sbatch');
  writeFileSync(scriptPath, renderSbatch({ jobName: 'fail', command: ['bash', '-c', 'echo bad; exit 3'], outputFile: path.join(dir, 'job2.out'), workdir: dir }));
  const end = await backend.waitForEnd(await backend.submit(scriptPath), { timeoutMs: 40000 });
  assert.equal(end.state, 'FAILED');
  assert.equal(end.exitCode, 3);
});

test('a job that prints its token: the pump hides it from the output file, the job keeps its exit code', async () => {
  const out = path.join(dir, 'job-secret.out');
  const scriptPath = path.join(dir, 'job-secret.sbatch');
  const pump = path.join(dir, PUMP_NAME);
  writeFileSync(pump, PUMP_PY);
  const token = 'hf_' + 'slurmjobsecret0123456789';
  const other = 'my-wandb-value-77';
  writeFileSync(
    scriptPath,
    renderSbatch({
      jobName: 'secret',
      command: ['python3', '-c', `import os, sys; print("token", os.environ["HF_TOKEN"]); print("wandb", os.environ["WANDB_API_KEY"]); sys.stderr.write("\\r1/2 bar\\r2/2 bar\\n"); sys.exit(3)`],
      outputFile: out,
      workdir: dir,
      redactOutput: { python: 'python3', pump },
    }),
  );
  const jobBackend = new SlurmBackend({ env: { ...env, HF_TOKEN: token, WANDB_API_KEY: other }, pollMs: 200 });
  const end = await jobBackend.waitForEnd(await jobBackend.submit(scriptPath), { timeoutMs: 40000 });
  assert.equal(end.state, 'FAILED');
  assert.equal(end.exitCode, 3, 'the command\'s exit code, not the pump\'s');
  const text = readFileSync(out, 'utf8');
  assert.ok(!text.includes(token) && !text.includes(other), text);
  assert.equal(text, 'token [REDACTED]\nwandb [REDACTED]\n\r1/2 bar\r2/2 bar\n');
});

test('a long job is seen RUNNING, scancel-ed, and reported CANCELLED', async () => {
  const out = path.join(dir, 'job3.out');
  const scriptPath = path.join(dir, 'job3.sbatch');
  writeFileSync(scriptPath, renderSbatch({ jobName: 'long', command: ['bash', '-c', 'echo started; sleep 300'], outputFile: out, workdir: dir }));
  const id = await backend.submit(scriptPath);
  const deadline = Date.now() + 40000;
  while ((await backend.state(id)).state !== 'RUNNING') {
    if (Date.now() > deadline) throw new Error('the job never ran');
    await new Promise((r) => setTimeout(r, 100));
  }
  await backend.cancel(id);
  const end = await backend.waitForEnd(id, { timeoutMs: 40000 });
  assert.equal(end.state, 'CANCELLED');
  await assert.rejects(backend.state('999999'), /does not know job 999999/);
});

test('sbatch errors are clear', async () => {
  await assert.rejects(backend.submit(path.join(dir, 'missing.sbatch')), /sbatch failed/);
  const bad = new SlurmBackend({ env: { ...env, PATH: '/nonexistent' } });
  await assert.rejects(bad.submit('x'), /not found \(is Slurm installed/);
});

test('renderSbatch quotes safely and refuses directive injection', () => {
  const s = renderSbatch({ jobName: 'a b', partition: 'gpu', gpus: 2, timeLimit: '04:00:00', command: ['python', 'train.py', '--x', "it's; rm -rf /"], outputFile: '/w/o.log', workdir: '/w d', env: { HF_HOME: '/h h' } });
  assert.match(s, /^#SBATCH --job-name='a b'$/m);
  assert.match(s, /^#SBATCH --gres=gpu:2$/m);
  assert.match(s, /^#SBATCH --time=04:00:00$/m);
  assert.match(s, /^#SBATCH --chdir='\/w d'$/m);
  assert.match(s, /^export HF_HOME='\/h h'$/m);
  assert.match(s, /^python train.py --x 'it'\\''s; rm -rf \/'$/m);
  assert.throws(() => renderSbatch({ jobName: 'x\n#SBATCH --uid=0', command: ['a'], outputFile: '/o', workdir: '/w' }), /one line/);
  assert.throws(() => renderSbatch({ jobName: 'x', command: ['a'], outputFile: '/o', workdir: '/w', extraDirectives: ['rm -rf /'] }), /sbatch option/);
  assert.throws(() => renderSbatch({ jobName: 'x', command: ['a'], outputFile: '/o', workdir: '/w', timeLimit: '4h; rm' }), /HH:MM:SS/);
  // The quoting survives a real bash.
  const tricky = ['a b', "c'd", '$HOME', '`x`', '"q"', '', 'é€'];
  const tmp = mkdtempSync(path.join(tmpdir(), 'mli-q-'));
  try {
    const f = path.join(tmp, 'p.sh');
    writeFileSync(f, `printf '%s\\n' ${tricky.map(shellQuote).join(' ')}`);
    chmodSync(f, 0o755);
    assert.deepEqual(execFileSync('bash', [f], { encoding: 'utf8' }).split('\n').slice(0, -1), tricky);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('parsers: sbatch and scontrol output', () => {
  assert.equal(parseSubmitted('Submitted batch job 42\n'), '42');
  assert.equal(parseSubmitted('43;cluster\n'), '43');
  assert.deepEqual(parseScontrol('JobId=7 JobName=x\n   JobState=CANCELLED Reason=None Dependency=(null)\n   ExitCode=0:15'), { state: 'CANCELLED', exitCode: 0, signal: 15 });
  assert.equal(parseScontrol('JobState=CANCELLED+ Reason=x')?.state, 'CANCELLED');
});

test('launch commands and multi-GPU configs', () => {
  assert.deepEqual(launchArgv({ python: '/v/bin/python', script: 'train.py', gpus: 1, launcher: 'python' }), ['/v/bin/python', 'train.py']);
  assert.deepEqual(launchArgv({ python: 'python3', script: 'train.py', gpus: 4, launcher: 'accelerate', configFile: 'fsdp.yaml' }), [
    'python3', '-m', 'accelerate.commands.launch', '--num_processes', '4', '--config_file', 'fsdp.yaml', '--num_machines', '1', 'train.py',
  ]);
  assert.deepEqual(launchArgv({ python: 'python3', script: 'train.py', gpus: 2, launcher: 'accelerate' }).slice(3, 6), ['--num_processes', '2', '--multi_gpu']);
  assert.deepEqual(launchArgv({ python: 'python3', script: 't.py', gpus: 8, launcher: 'torchrun', scriptArgs: ['--lr', '1e-4'] }), [
    'python3', '-m', 'torch.distributed.run', '--standalone', '--nnodes', '1', '--nproc_per_node', '8', 't.py', '--lr', '1e-4',
  ]);
  const yaml = fsdpAccelerateConfig({ numProcesses: 4, transformerLayerCls: 'LlamaDecoderLayer' });
  assert.match(yaml, /^distributed_type: FSDP$/m);
  assert.match(yaml, /^num_processes: 4$/m);
  assert.match(yaml, /^ {2}fsdp_transformer_layer_cls_to_wrap: LlamaDecoderLayer$/m);
  const ds = JSON.parse(deepSpeedZero3Config({ offload: true }));
  assert.equal(ds.zero_optimization.stage, 3);
  assert.equal(ds.zero_optimization.offload_param.device, 'cpu');
  assert.equal(ds.train_micro_batch_size_per_gpu, 'auto');
});
