/**
 * On the Slurm target the GPUs a recipe is planned for are a compute node's, asked with a short
 * job — against a REAL single-node Slurm (scripts/slurm-test-cluster.sh; its node counts two GPUs,
 * and the job's PATH holds test/fixtures/fake-nvidia-smi, 2x T4 + 1x A100 80GB, as the real tool
 * prints them). The login node (this process) has no GPU. Needs root and slurm-wlm + munge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { startDetached } from '../../../src/core/exec/detached';
import { SlurmBackend } from '../../../src/core/exec/slurm';
import { checkComputeNode, NODE_CHECK_FOLDER, trainingEnvironment } from '../../../src/core/exec/slurmProbe';
import { envReport } from '../../../src/core/python';
import { EnvReport } from '../../../src/core/python/types';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { createAgentRegistry } from '../../../src/core/tools/domain';
import { LlmRequest } from '../../../src/core/llm/types';
import { makeDeps, ScriptedLlm, tempWorkspace } from '../agent/helpers';
import { useTestCluster } from '../session/slurmClusterHooks';

const FAKE_SMI = path.resolve(__dirname, '../../fixtures/fake-nvidia-smi');
const FAKE_PYTHON = path.resolve(__dirname, '../../fixtures/trainer/fake-python');
const cluster = useTestCluster();

/** A backend whose jobs see the fake nvidia-smi (sbatch exports its environment), counting submissions. */
function gpuBackend(): SlurmBackend & { submitted: number } {
  const backend = new SlurmBackend({ env: { ...cluster().env, PATH: `${FAKE_SMI}:${cluster().env.PATH}` }, pollMs: 200 }) as SlurmBackend & { submitted: number };
  backend.submitted = 0;
  const submit = backend.submit.bind(backend);
  backend.submit = async (p: string) => {
    backend.submitted++;
    return submit(p);
  };
  return backend;
}

const slurm: Settings['slurm'] = { partition: 'debug', gpus: 1, timeLimit: '01:00:00', extraDirectives: ['--cpus-per-task=1'], gpuCheck: true };
const settings = { executionTarget: 'slurm' as const, slurm };

function queue(): string {
  return spawnSync('squeue', ['-h', '-o', '%i %T'], { env: cluster().env, encoding: 'utf8' }).stdout.trim();
}

test('the login node has no GPU: the report gets a compute node\'s GPUs (libraries stay this machine\'s), and the answer is kept for the next run', { timeout: 120_000 }, async () => {
  const workspace = tempWorkspace('mli-node-check-');
  const login = await envReport(FAKE_PYTHON, { cwd: workspace });
  assert.deepEqual(login.gpus, [], 'this machine has no GPU');
  assert.ok(login.problems.some((p) => /no NVIDIA GPU found/.test(p)));
  const backend = gpuBackend();
  const states: string[] = [];
  const report = (await trainingEnvironment(login, { settings, python: FAKE_PYTHON, workspace, backend, onState: (_id, s) => states.push(s.state) })) as EnvReport;
  assert.deepEqual(report.gpus.map((g) => `${g.name} ${g.memoryTotalMiB}`), ['Tesla T4 15360', 'Tesla T4 15360', 'NVIDIA A100-SXM4-80GB 81920']);
  assert.equal(report.gpuSource, 'nvidia-smi');
  assert.equal(report.driverVersion, '535.104.05');
  assert.match(report.gpusFrom ?? '', /^a compute node \(Slurm job \d+, partition debug, checked /);
  assert.deepEqual(report.libraries, login.libraries, 'libraries from this machine');
  assert.ok(!report.problems.some((p) => /no NVIDIA GPU found/.test(p)), 'the login node\'s "no GPU" is not the training\'s problem');
  assert.ok(states.includes('COMPLETED'));
  assert.equal(backend.submitted, 1);
  const files = readdirSync(path.join(workspace, NODE_CHECK_FOLDER));
  assert.ok(files.some((f) => f.endsWith('.sbatch')) && files.some((f) => /^[0-9a-f]{16}\.json$/.test(f)), files.join(', '));

  const again = await trainingEnvironment(login, { settings, python: FAKE_PYTHON, workspace, backend });
  assert.equal(again?.gpus.length, 3);
  assert.equal(backend.submitted, 1, 'kept for a day: no second job');
  const otherPartitionSettings = { ...settings, slurm: { ...slurm, extraDirectives: ['--cpus-per-task=2'] } };
  await trainingEnvironment(login, { settings: otherPartitionSettings, python: FAKE_PYTHON, workspace, backend });
  assert.equal(backend.submitted, 2, 'other directives may land elsewhere: asked again');
});

test('a check the cluster does not run in time is cancelled, and the report says the GPU figures are the login node\'s', { timeout: 60_000 }, async () => {
  const workspace = tempWorkspace('mli-node-check-');
  const login = await envReport(FAKE_PYTHON, { cwd: workspace });
  // Held until an hour from now: PENDING (BeginTime), as on a busy cluster.
  const held = { ...settings, slurm: { ...slurm, extraDirectives: ['--begin=now+3600'] } };
  const report = (await trainingEnvironment(login, { settings: held, python: FAKE_PYTHON, workspace, backend: gpuBackend(), waitMs: 2000 })) as EnvReport;
  assert.deepEqual(report.gpus, []);
  assert.equal(report.gpusFrom, 'this machine (the Slurm login node)');
  const said = report.problems.find((p) => /GPU check/.test(p)) ?? '';
  assert.match(said, /The cluster did not run the GPU check \(Slurm job (\d+)\) in partition debug within 2 s \(it was PENDING: BeginTime\); it was cancelled\. The GPU numbers are this machine's \(the login node\), not the training's\./);
  const jobId = /Slurm job (\d+)/.exec(said)![1];
  assert.doesNotMatch(queue(), new RegExp(`^${jobId} PENDING`, 'm'), 'nothing left in the queue');
});

test('a check sbatch refuses (unknown partition) says so; with the check off or no GPU asked, nothing is submitted', { timeout: 60_000 }, async () => {
  const workspace = tempWorkspace('mli-node-check-');
  const login = await envReport(FAKE_PYTHON, { cwd: workspace });
  const backend = gpuBackend();
  await assert.rejects(
    checkComputeNode({ python: FAKE_PYTHON, slurm: { ...slurm, partition: 'nope' }, workspace, backend }),
    /Could not submit the GPU check to partition nope: .*invalid partition.*\. Check the mlIntern\.slurm\.\* settings against `sinfo`\./is,
  );
  const off = await trainingEnvironment(login, { settings: { ...settings, slurm: { ...slurm, gpuCheck: false } }, python: FAKE_PYTHON, workspace, backend });
  assert.match(off?.problems.join('\n') ?? '', /The compute nodes were not asked \(mlIntern\.slurm\.gpuCheck is off\)/);
  const noGpu = await trainingEnvironment(login, { settings: { ...settings, slurm: { ...slurm, gpus: 0 } }, python: FAKE_PYTHON, workspace, backend });
  assert.match(noGpu?.gpusFrom ?? '', /mlIntern\.slurm\.gpus is 0/);
  const local = await trainingEnvironment(login, { settings: { ...settings, executionTarget: 'local' }, python: FAKE_PYTHON, workspace, backend });
  assert.equal(local, login);
  assert.equal(backend.submitted, 1, 'only the refused one was tried');
  assert.ok(!existsSync(path.join(workspace, NODE_CHECK_FOLDER, 'report.json')));
});

test('the agent\'s environment tool on the Slurm target reports the compute node\'s GPUs and says where they come from', { timeout: 120_000 }, async () => {
  const seen: LlmRequest[] = [];
  const llm = new ScriptedLlm([
    { calls: [{ name: 'environment', args: {} }] },
    (req) => {
      seen.push({ ...req, messages: req.messages.map((m) => ({ ...m })) });
      return { text: 'An A100 it is.' };
    },
  ]);
  const backend = gpuBackend();
  const deps = makeDeps(llm, {
    settings: { ...DEFAULT_SETTINGS, pythonPath: FAKE_PYTHON, ...settings },
    tools: createAgentRegistry({ executionTarget: 'slurm' }),
    detached: { launch: (spec, options) => startDetached(spec, options), slurm: { backend: () => backend, pollMs: 200 } },
  });
  const session = await AgentSession.create(deps, { goal: 'What GPUs will the training get?' });
  await session.start();
  const tool = [...seen[0].messages].reverse().find((m) => m.role === 'tool');
  const text = tool && tool.role === 'tool' ? tool.content : '';
  assert.match(text, /GPU figures from a compute node \(Slurm job \d+, partition debug/);
  assert.match(text, /NVIDIA A100-SXM4-80GB, 80\.0 GiB total/);
  assert.ok(deps.events.events.some((e) => e.type === 'notice' && /GPU check on a compute node: Slurm job \d+ (PENDING|RUNNING|COMPLETED)/.test(e.message)));
});
