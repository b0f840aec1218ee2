/**
 * The chat agent on the Slurm target, against a REAL single-node Slurm (scripts/slurm-test-cluster.sh):
 * its training goes into a batch job (submit_job) instead of running on the login node; the model
 * gets the job's exit code and output, the chart its points; a refused or impossible job submits
 * nothing; Stop cancels the job; a host killed mid-job (a window reload) finds the job again and
 * the model gets its real result. Needs root and slurm-wlm + munge: without them this FAILS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { defaultSystemPrompt } from '../../../src/core/agent/systemPrompt';
import { startDetached } from '../../../src/core/exec/detached';
import { SlurmBackend } from '../../../src/core/exec/slurm';
import { LlmRequest } from '../../../src/core/llm/types';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { CommandApprovalRequest } from '../../../src/core/tools/types';
import { createAgentRegistry } from '../../../src/core/tools/domain';
import { FAKE_TRAINER, waitFor } from '../exec/helpers';
import { makeDeps, ScriptedLlm, tempWorkspace } from '../agent/helpers';
import { useTestCluster } from '../session/slurmClusterHooks';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';
import { startFakeLlmServer } from '../../support/fakeLlmServer';

const FAKE_PYTHON = path.resolve(__dirname, '../../fixtures/trainer/fake-python');
const FAKE_SMI = path.resolve(__dirname, '../../fixtures/fake-nvidia-smi');
const MEDICAL_QA = path.resolve(__dirname, '../../../examples/medical-qa/data/medical_qa.jsonl');

const HOST = path.resolve(__dirname, '../agent/fixtures/agentHost.ts');
const cluster = useTestCluster();

const slurmSettings: Partial<Settings> = {
  executionTarget: 'slurm',
  // The test node has no GPU (no gres): 0 asks for none.
  slurm: { partition: 'debug', gpus: 0, timeLimit: '00:10:00', extraDirectives: ['--cpus-per-task=1', '--comment=ml-intern-agent-test'] },
};

function agentDeps(llm: ScriptedLlm, o: { root?: string; approvals?: CommandApprovalRequest[]; refuse?: boolean; env?: Record<string, string> } = {}) {
  return makeDeps(llm, {
    root: o.root ?? tempWorkspace('mli-agent-slurm-'),
    settings: slurmSettings,
    tools: createAgentRegistry({ executionTarget: 'slurm' }),
    env: o.env ?? {},
    approveCommand: async (req) => {
      o.approvals?.push(req);
      return o.refuse ? { approved: false, reason: 'not now', auto: false } : { approved: true, auto: false };
    },
    detached: {
      launch: (spec, options) => startDetached(spec, { ...options, pollMs: 50 }),
      slurm: { backend: (extra) => new SlurmBackend({ env: { ...cluster().env, ...extra }, pollMs: 200 }), pollMs: 200 },
    },
  });
}

/** Records the request it is given, then answers with `turn`. */
function seeing(seen: LlmRequest[], turn: Parameters<ScriptedLlm['push']>[0]) {
  return (req: LlmRequest) => {
    seen.push({ ...req, messages: req.messages.map((m) => ({ ...m })) });
    return turn;
  };
}

function lastToolMessage(req: LlmRequest): string {
  const tool = [...req.messages].reverse().find((m) => m.role === 'tool');
  return tool && tool.role === 'tool' ? tool.content : '';
}

function queue(): string {
  return spawnSync('squeue', ['-h', '-o', '%i %j %T'], { env: cluster().env, encoding: 'utf8' }).stdout.trim();
}

test('the agent submits its training as a Slurm job; the model gets the exit code and output, the chart its points, the token stays out of the output', { timeout: 120_000 }, async () => {
  const seen: LlmRequest[] = [];
  const approvals: CommandApprovalRequest[] = [];
  const llm = new ScriptedLlm([
    { calls: [{ id: 'job', name: 'submit_job', args: { command: ['python', FAKE_TRAINER, '--steps', '20', '--logging-steps', '5', '--delay-ms', '20'], reason: 'train the adapter' } }] },
    seeing(seen, { calls: [{ id: 'leak', name: 'submit_job', args: { command: ['python3', '-c', 'import os; print("token is", os.environ["HF_TOKEN"])'], reason: 'check the token', time_limit: '00:02:00' } }] }),
    seeing(seen, { calls: [{ name: 'finish', args: { summary: 'Trained on the cluster.' } }] }),
  ]);
  // Built, so no key-shaped literal sits in the tree.
  const token = 'hf_' + 'agentSlurmTestToken1234567890abcd';
  const deps = agentDeps(llm, { approvals, env: { HF_TOKEN: token } });
  const session = await AgentSession.create(deps, { goal: 'Fine-tune on the cluster.' });
  const outcome = await session.start();
  assert.equal(outcome.state, 'succeeded', outcome.message);

  // The user approved a batch script built from the settings, shown whole with the request.
  assert.equal(approvals[0].tool, 'submit_job');
  assert.equal(approvals[0].argv[0], 'sbatch');
  assert.match(approvals[0].reason, /train the adapter — Slurm job: partition debug, no GPU, time limit 00:10:00/);
  assert.match(approvals[0].detail ?? '', /#SBATCH --partition=debug/);
  assert.match(approvals[0].detail ?? '', /#SBATCH --time=00:10:00/);
  assert.match(approvals[0].detail ?? '', /#SBATCH --cpus-per-task=1/);
  assert.match(approvals[0].detail ?? '', /fake_trainer\.py --steps 20 .*2>&1 \| python3 -u \S*redact_output\.py$/m);
  assert.doesNotMatch(approvals[0].detail ?? '', /hf_agentSlurm/, 'no secret in the script');
  assert.match(approvals[1].detail ?? '', /#SBATCH --time=00:02:00/, 'time_limit overrides the setting for that job');

  const first = lastToolMessage(seen[0]);
  assert.match(first, /exit code 0 \(Slurm job \d+ COMPLETED\) after/);
  assert.match(first, /'train_runtime'/, 'the job\'s output reaches the model');
  const folder = path.join(deps.files.root, session.folder);
  assert.match(first, new RegExp(`Full log: ${session.folder.replace(/[.]/g, '\\.')}/logs/cmd-1/slurm-\\d+\\.out`));
  const record = JSON.parse(readFileSync(path.join(folder, 'logs', 'cmd-1', 'slurm.json'), 'utf8')) as { jobId: string };
  assert.ok(existsSync(path.join(folder, 'scripts', 'job-1.sbatch')), 'the submitted script is kept in the run folder');

  const losses = readFileSync(path.join(folder, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>).filter((p) => 'loss' in p).map((p) => p.step);
  assert.deepEqual(losses, [5, 10, 15, 20]);
  const events = deps.events.events;
  assert.ok(events.some((e) => e.type === 'process_started' && e.name.startsWith(`Slurm job ${record.jobId}: python3 `) && e.name.includes('fake_trainer.py')));
  assert.ok(events.some((e) => e.type === 'metrics'), 'the card draws the job\'s loss');
  assert.ok(events.some((e) => e.type === 'notice' && e.message.includes(`Slurm job ${record.jobId}`) && /RUNNING|COMPLETED/.test(e.message)));

  const second = lastToolMessage(seen[1]);
  assert.match(second, /token is/);
  assert.doesNotMatch(second, /hf_agentSlurm/);
  const out2 = readdirSync(path.join(folder, 'logs', 'cmd-2')).find((f) => f.endsWith('.out'))!;
  const written = readFileSync(path.join(folder, 'logs', 'cmd-2', out2), 'utf8');
  assert.match(written, /token is/);
  assert.doesNotMatch(written, /hf_agentSlurm/, 'the token never reaches the job\'s output file');
});

test('a failing job gives the model its exit code and traceback; a refused or impossible job submits nothing', { timeout: 120_000 }, async () => {
  const seen: LlmRequest[] = [];
  const llm = new ScriptedLlm([
    { calls: [{ name: 'submit_job', args: { command: ['python', FAKE_TRAINER, '--steps', '20', '--fail', 'oom', '--fail-at', '10'], reason: 'train' } }] },
    seeing(seen, { calls: [{ name: 'submit_job', args: { command: ['python', 'train.py'], reason: 'train', time_limit: 'two hours' } }] }),
    seeing(seen, { text: 'Out of memory; I will ask.' }),
  ]);
  const deps = agentDeps(llm);
  const session = await AgentSession.create(deps, { goal: 'Train.' });
  assert.equal((await session.start()).state, 'waiting');
  const failed = lastToolMessage(seen[0]);
  assert.match(failed, /exit code 1 \(Slurm job \d+ FAILED\) after/);
  assert.match(failed, /torch\.OutOfMemoryError/);
  const impossible = lastToolMessage(seen[1]);
  assert.match(impossible, /No job was submitted: The Slurm time limit must look like HH:MM:SS/);

  const refusedLlm = new ScriptedLlm([
    { calls: [{ name: 'submit_job', args: { command: ['python', 'train.py'], reason: 'train' } }] },
    seeing(seen, { text: 'OK.' }),
  ]);
  const before = queue();
  const refused = await AgentSession.create(agentDeps(refusedLlm, { refuse: true }), { goal: 'Train.' });
  await refused.start();
  assert.match(lastToolMessage(seen[2]), /did not approve submitting the job: not now\. Nothing was submitted/);
  assert.equal(queue(), before, 'nothing reached the queue');
});

test('Stop cancels the running job (scancel) and the model is told', { timeout: 120_000 }, async () => {
  const llm = new ScriptedLlm([
    { calls: [{ name: 'submit_job', args: { command: ['python', FAKE_TRAINER, '--steps', '100000', '--delay-ms', '50'], reason: 'train long' } }] },
    { text: 'never reached' },
  ]);
  const deps = agentDeps(llm);
  const session = await AgentSession.create(deps, { goal: 'Train.' });
  const done = session.start();
  await waitFor(() => deps.events.events.some((e) => e.type === 'metrics'), 'the job to log', 60_000);
  const jobId = JSON.parse(readFileSync(path.join(deps.files.root, session.folder, 'logs', 'cmd-1', 'slurm.json'), 'utf8')).jobId as string;
  session.cancel();
  const outcome = await done;
  assert.equal(outcome.state, 'stopped');
  const results = readFileSync(path.join(deps.files.root, session.folder, 'transcript.jsonl'), 'utf8').split('\n').filter(Boolean)
    .map((l) => JSON.parse(l) as { kind: string; output?: string }).filter((e) => e.kind === 'tool_result');
  assert.match(results[0].output ?? '', new RegExp(`stopped \\(cancelled\\), exit code 130 after [\\d.]+ s\\. Full log: .*\\nSlurm job ${jobId} was cancelled \\(scancel ${jobId}\\) from ML Intern`));
  await waitFor(() => !queue().includes(jobId), 'the job to leave the queue', 30_000);
});

test('a host killed mid-job (a window reload): the reopened run finds the job from the run folder and the model gets its real result', { timeout: 180_000 }, async () => {
  const root = tempWorkspace('mli-agent-slurm-reload-');
  const host = spawn(process.execPath, ['--import', 'tsx', HOST, root, JSON.stringify(['python', FAKE_TRAINER, '--steps', '40', '--delay-ms', '100', '--logging-steps', '5']), 'slurm'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: cluster().env,
  });
  let out = '';
  host.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((r) => host.once('exit', r));
  await waitFor(() => out.includes('\n'), 'the host to start the run', 30_000);
  const { runId, folder } = JSON.parse(out.split('\n')[0]) as { runId: string; folder: string };
  const records = path.join(root, folder, 'logs', 'cmd-1');
  const metrics = path.join(root, folder, 'metrics.jsonl');
  await waitFor(() => existsSync(metrics) && readFileSync(metrics, 'utf8').includes('"loss"'), 'the job to log its first points', 60_000);
  host.kill('SIGKILL');
  await exited;
  const jobId = (JSON.parse(readFileSync(path.join(records, 'slurm.json'), 'utf8')) as { jobId: string }).jobId;
  assert.match(queue(), new RegExp(`^${jobId} .*RUNNING`, 'm'), 'the job goes on without the host');

  const seen: LlmRequest[] = [];
  const llm = new ScriptedLlm([seeing(seen, { calls: [{ name: 'finish', args: { summary: 'Trained.' } }] })]);
  const deps = agentDeps(llm, { root });
  const session = await AgentSession.reopen(deps, runId);
  const resumed = session.resumeAfterReload();
  assert.ok(resumed, 'a run waiting for its job resumes on its own');
  const outcome = await resumed;
  assert.equal(outcome.state, 'succeeded', outcome.message);
  const result = lastToolMessage(seen[0]);
  assert.match(result, new RegExp(`exit code 0 \\(Slurm job ${jobId} COMPLETED\\) after`));
  assert.match(result, /'train_runtime'/, 'the output the job wrote after the reload reaches the model');
  const losses = readFileSync(path.join(root, folder, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>).filter((p) => 'loss' in p).map((p) => p.step);
  assert.deepEqual(losses, [5, 10, 15, 20, 25, 30, 35, 40], 'every logged loss once');
});

test('the system prompt tells the model where commands run on the Slurm target, and only there', () => {
  const load = () => 'Persona.';
  const onCluster = defaultSystemPrompt(load, { ...DEFAULT_SETTINGS, ...slurmSettings } as Settings);
  assert.match(onCluster, /This machine is the cluster's login node/);
  assert.match(onCluster, /`submit_job` \(by default: partition debug, no GPU, time limit 00:10:00, extra: --cpus-per-task=1/);
  assert.doesNotMatch(defaultSystemPrompt(load, DEFAULT_SETTINGS), /Slurm/);
  assert.ok(!createAgentRegistry().get('submit_job'), 'no submit_job on the local target');
});

/** The CLI's Slurm backend reads this process's environment (as a shell's would): point it at the test cluster meanwhile. */
async function withClusterEnv<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.SLURM_CONF;
  process.env.SLURM_CONF = cluster().env.SLURM_CONF;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.SLURM_CONF;
    else process.env.SLURM_CONF = saved;
  }
}

function cliIo(cwd: string, env: NodeJS.ProcessEnv): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', cwd, env: { CI: '1', ...env }, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}

const SLURM_FLAGS = ['--slurm', '--partition', 'debug', '--gpus', '0', '--time-limit', '00:05:00', '--sbatch=--cpus-per-task=1'];

test('ml-intern run --slurm: the agent gets submit_job and the Slurm note, its training runs as a job, the model gets the result', { timeout: 120_000 }, async () => {
  const server = await startFakeLlmServer();
  try {
    const root = tempWorkspace('mli-cli-slurm-');
    const call = (name: string, args: unknown) => ({ name, arguments: JSON.stringify(args) });
    server.script([
      { toolCalls: [call('submit_job', { command: ['python', FAKE_TRAINER, '--steps', '10', '--logging-steps', '5'], reason: 'train' })] },
      { toolCalls: [call('finish', { summary: 'trained on the cluster' })] },
    ]);
    const o = cliIo(root, { OPENAI_API_KEY: 'sk-cli-test-abcdefghijklmnopqrstuvwxyz' });
    const code = await withClusterEnv(() => runCli(['run', 'train on the cluster', '--approve=all', '--base-url', server.openaiBaseUrl, '--model', 'gpt-4.1', ...SLURM_FLAGS], o));
    assert.equal(code, 0, o.stderr + o.stdout.slice(-2000));
    const first = server.requests[0].body as { messages: Array<{ role: string; content: string }>; tools: Array<{ function: { name: string } }> };
    assert.ok(first.tools.some((t) => t.function.name === 'submit_job'), 'submit_job is offered');
    assert.match(first.messages[0].content, /cluster's login node.*partition debug, no GPU, time limit 00:05:00, extra: --cpus-per-task=1/s);
    assert.match(o.stdout, /Slurm job \d+/);
    assert.match(o.stdout, /'train_runtime'/, 'the job\'s output is printed');
    const second = server.requests[1].body as { messages: Array<{ role: string; content: string }> };
    assert.match(second.messages[second.messages.length - 1].content, /exit code 0 \(Slurm job \d+ COMPLETED\) after/);
  } finally {
    await server.close();
  }
});

test('ml-intern fine-tune --slurm --gpus 1: a compute node is asked for its GPUs, the recipe is fitted to them, the approved sbatch script runs and succeeds first time', { timeout: 180_000 }, async () => {
  const root = tempWorkspace('mli-cli-ft-slurm-');
  cpSync(MEDICAL_QA, path.join(root, 'data', 'train.jsonl'));
  // This shell (the login node) has no GPU; the jobs (sbatch exports this process's environment) see
  // the fake nvidia-smi: 2x T4 + 1x A100.
  const o = cliIo(root, { PATH: process.env.PATH });
  const savedPath = process.env.PATH;
  process.env.PATH = `${FAKE_SMI}:${savedPath}`;
  const flags = SLURM_FLAGS.map((f) => (f === '0' ? '1' : f));
  const code = await withClusterEnv(() =>
    runCli(['fine-tune', '--model', 'Qwen/Qwen2.5-0.5B-Instruct', '--data', 'data/train.jsonl', '--python', FAKE_PYTHON, '--approve=all', ...flags], o),
  ).finally(() => (process.env.PATH = savedPath));
  assert.equal(code, 0, o.stderr + o.stdout.slice(-2000));
  assert.match(o.stderr, /GPU check on a compute node: Slurm job \d+ (PENDING|RUNNING|COMPLETED)/);
  assert.match(o.stderr, /GPUs from a compute node \(Slurm job \d+, partition debug, checked [^)]+\): Tesla T4, Tesla T4, NVIDIA A100-SXM4-80GB/);
  const runs = readdirSync(path.join(root, '.ml-intern', 'runs'));
  const transcript = readFileSync(path.join(root, '.ml-intern', 'runs', runs[0], 'transcript.jsonl'), 'utf8');
  assert.match(transcript, /Memory estimate: ~[\d.]+ GiB of 15 GiB/, 'the recipe is planned for the node\'s GPU (a T4 first), not for none');
  assert.match(o.stdout, /✓ ml-intern\/sft-qwen2-5-0-5b-instruct\/train\.sbatch accepted \(auto-approved\)/);
  assert.match(o.stdout, /▶ sbatch ml-intern\/sft-qwen2-5-0-5b-instruct\/train\.sbatch/);
  // Planned for the node's 15 GiB T4 (the planner's fastest plan that fits: a micro-batch below the
  // recipe's default 4), the fixture GPU box does not run out of memory: planned for no GPU, the
  // default micro-batch 4 did. The job trained with the micro-batch the accepted script says.
  const script = readFileSync(path.join(root, 'ml-intern/sft-qwen2-5-0-5b-instruct', 'train.py'), 'utf8');
  const micro = Number(/^PER_DEVICE_TRAIN_BATCH_SIZE = (\d+)/m.exec(script)?.[1]);
  assert.ok(micro >= 1 && micro < 4, `micro-batch planned for the T4: ${micro}`);
  assert.match(o.stdout, new RegExp(`Instantaneous batch size per device = ${micro}\\n`));
  assert.doesNotMatch(o.stdout, /fix: Out of memory/);
  assert.match(o.stdout, /Run \S+: succeeded/);
  const sbatch = readFileSync(path.join(root, 'ml-intern/sft-qwen2-5-0-5b-instruct', 'train.sbatch'), 'utf8');
  assert.match(sbatch, /^#SBATCH --partition=debug$/m);
  assert.match(sbatch, /^#SBATCH --time=00:05:00$/m);
  assert.match(sbatch, /^#SBATCH --cpus-per-task=1$/m);
  assert.match(sbatch, /^#SBATCH --gres=gpu:1$/m);
});

test('the CLI refuses Slurm options without --slurm, and a malformed time limit, before anything starts', async () => {
  const o = cliIo(tempWorkspace(), { OPENAI_API_KEY: 'sk-cli-test-abcdefghijklmnopqrstuvwxyz' });
  assert.equal(await runCli(['run', 'x', '--partition', 'gpu'], o), 2);
  assert.match(o.stderr, /--partition is a Slurm option: add --slurm/);
  const o2 = cliIo(tempWorkspace(), {});
  assert.equal(await runCli(['fine-tune', '--model', 'm', '--data', 'd.jsonl', '--slurm', '--time-limit', '2h'], o2), 2);
  assert.match(o2.stderr, /--time-limit must look like HH:MM:SS/);
  const o3 = cliIo(tempWorkspace(), {});
  assert.equal(await runCli(['fine-tune', '--model', 'm', '--data', 'd.jsonl', '--slurm', '--sbatch=account=x'], o3), 2);
  assert.match(o3.stderr, /--sbatch takes an sbatch option such as --sbatch=--account=myproj/);
});
