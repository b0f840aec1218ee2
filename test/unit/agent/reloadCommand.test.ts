// A training the agent started survives the extension host going away (a window reload), and the
// reopened run waits for it and hands the model its real result — not "interrupted" — with every
// loss point in metrics.jsonl exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { attachDetached, startDetached } from '../../../src/core/exec/detached';
import { LlmRequest } from '../../../src/core/llm/types';
import { FAKE_TRAINER, isAlive, waitFor } from '../exec/helpers';
import { makeDeps, ScriptedLlm, tempWorkspace } from './helpers';

const HOST = path.join(__dirname, 'fixtures', 'agentHost.ts');

interface Killed {
  root: string;
  runId: string;
  folder: string;
  trainerPid: number;
}

/** Start the agent in a stand-in extension host, let `ready` hold, then SIGKILL the host. */
async function startThenKillHost(trainerArgs: string[], ready: (runDir: string) => boolean): Promise<Killed> {
  const root = tempWorkspace('mli-reload-agent-');
  const host = spawn(process.execPath, ['--import', 'tsx', HOST, root, JSON.stringify(['python', FAKE_TRAINER, ...trainerArgs])], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  host.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((r) => host.once('exit', r));
  await waitFor(() => out.includes('\n'), 'the host to start the run', 30_000);
  const { runId, folder } = JSON.parse(out.split('\n')[0]) as { runId: string; folder: string };
  const runDir = path.join(root, folder);
  await waitFor(() => ready(runDir), 'the training to get going', 30_000);
  host.kill('SIGKILL');
  await exited;
  const info = JSON.parse(readFileSync(path.join(runDir, 'logs', 'cmd-1', 'launcher.json'), 'utf8')) as { pid: number };
  return { root, runId, folder, trainerPid: info.pid };
}

function metricLines(runDir: string): Array<Record<string, number>> {
  return readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>);
}

function reopenDeps(root: string, llm: ScriptedLlm) {
  return makeDeps(llm, {
    root,
    logger: { info() {}, debug() {}, warn: (m: string) => console.error(m), error: (m: string) => console.error(m) },
    detached: {
      launch: (spec, options) => startDetached(spec, { ...options, pollMs: 50 }),
      attach: (runDir, options) => attachDetached(runDir, { ...options, pollMs: 50 }),
    },
  });
}

function lastToolMessage(req: LlmRequest): string {
  const tool = [...req.messages].reverse().find((m) => m.role === 'tool');
  return tool && tool.role === 'tool' ? tool.content : '';
}

test('a reload mid-training: the training goes on, the reopened run waits for it, the model gets its exit code and output, metrics.jsonl has each point once', { timeout: 120_000 }, async () => {
  const killed = await startThenKillHost(['--steps', '40', '--delay-ms', '100', '--logging-steps', '5'], (runDir) =>
    existsSync(path.join(runDir, 'metrics.jsonl')) && metricLines(runDir).length >= 2,
  );
  const runDir = path.join(killed.root, killed.folder);
  assert.ok(isAlive(killed.trainerPid), 'the training outlives the host');
  const seen: LlmRequest[] = [];
  const llm = new ScriptedLlm([
    (req) => {
      seen.push({ ...req, messages: req.messages.map((m) => ({ ...m })) });
      return { calls: [{ name: 'finish', args: { summary: 'Trained.' } }] };
    },
  ]);
  const deps = reopenDeps(killed.root, llm);
  const session = await AgentSession.reopen(deps, killed.runId);
  const resumed = session.resumeAfterReload();
  assert.ok(resumed, 'a run waiting for its command resumes on its own');
  const outcome = await resumed;
  assert.equal(outcome.state, 'succeeded', outcome.message);

  const result = lastToolMessage(seen[0]);
  assert.match(result, /exit code 0 after/);
  assert.match(result, /'train_runtime'/, 'the output the training wrote after the reload reaches the model');
  assert.doesNotMatch(result, /Interrupted/);
  assert.match(result, new RegExp(`Full log: ${killed.folder.replace(/[.]/g, '\\.')}/logs/cmd-1/train\\.log`));

  const losses = metricLines(runDir).filter((p) => 'loss' in p).map((p) => p.step);
  assert.deepEqual(losses, [5, 10, 15, 20, 25, 30, 35, 40], 'every logged loss once, none lost to the reload');
  const started = deps.events.events.filter((e) => e.type === 'process_started');
  assert.ok(started.some((e) => e.type === 'process_started' && e.processId === 'training' && /\(re-attached\)/.test(e.name)), 'the replayed training card goes on');
  assert.ok(deps.events.events.some((e) => e.type === 'metrics' && e.processId === 'training'));
  assert.ok(deps.events.events.some((e) => e.type === 'process_exited' && e.processId === 'training' && e.code === 0));
});

test('a command that failed while the window was away: continuing the run gives the model its real failure first, then the user\'s message', { timeout: 120_000 }, async () => {
  const killed = await startThenKillHost(['--steps', '40', '--delay-ms', '60', '--logging-steps', '5', '--fail', 'oom', '--fail-at', '25'], (runDir) =>
    existsSync(path.join(runDir, 'metrics.jsonl')) && metricLines(runDir).length >= 1,
  );
  const runDir = path.join(killed.root, killed.folder);
  await waitFor(() => existsSync(path.join(runDir, 'logs', 'cmd-1', 'exit_code')), 'the training to fail with nobody watching', 30_000);
  const seen: LlmRequest[] = [];
  const llm = new ScriptedLlm([
    (req) => {
      seen.push({ ...req, messages: req.messages.map((m) => ({ ...m })) });
      return { text: 'It ran out of memory; I will halve the batch size.' };
    },
  ]);
  const deps = reopenDeps(killed.root, llm);
  const session = await AgentSession.reopen(deps, killed.runId);
  const outcome = await session.continueRun({ message: 'How did it go?' });
  assert.equal(outcome.state, 'waiting');
  const messages = seen[0].messages;
  const tail = messages.slice(-3).map((m) => m.role);
  assert.deepEqual(tail, ['assistant', 'tool', 'user'], 'the tool result answers the call before the new message');
  const result = lastToolMessage(seen[0]);
  assert.match(result, /exit code 1 after/);
  assert.match(result, /torch\.OutOfMemoryError/);
  const losses = metricLines(runDir).filter((p) => 'loss' in p).map((p) => p.step);
  assert.deepEqual(losses, [5, 10, 15, 20], 'the points logged before the failure, each once');
});

test('a run reopened without a detached command to wait for does not resume on its own', async () => {
  const root = tempWorkspace('mli-reload-agent-');
  const llm = new ScriptedLlm([{ text: 'Hello.' }]);
  const deps = reopenDeps(root, llm);
  const first = await AgentSession.create(deps, { goal: 'Say hello.' });
  await first.start();
  const again = await AgentSession.reopen(reopenDeps(root, new ScriptedLlm([])), first.id);
  assert.equal(again.resumeAfterReload(), undefined);
});

test('a detached command is stopped with the run, and by its time limit; the model is told which', { timeout: 60_000 }, async () => {
  const root = tempWorkspace('mli-detached-stop-');
  const seen: LlmRequest[] = [];
  const llm = new ScriptedLlm([
    { calls: [{ id: 'slow', name: 'run', args: { command: ['python', FAKE_TRAINER, '--steps', '100000', '--delay-ms', '50'], reason: 'train', timeout_s: 1 } }] },
    (req) => {
      seen.push({ ...req, messages: req.messages.map((m) => ({ ...m })) });
      return { calls: [{ id: 'again', name: 'run', args: { command: ['python', FAKE_TRAINER, '--steps', '100000', '--delay-ms', '50'], reason: 'train longer' } }] };
    },
    { hang: true },
  ]);
  const deps = reopenDeps(root, llm);
  const session = await AgentSession.create(deps, { goal: 'Train.' });
  const done = session.start();
  assert.equal(session.isRunning, true);
  await waitFor(() => seen.length === 1, 'the time limit to stop the first command', 30_000);
  assert.match(lastToolMessage(seen[0]), /stopped \(timed out after 1 s\), exit code 130/);
  const second = path.join(root, session.folder, 'logs', 'cmd-2', 'launcher.json');
  await waitFor(() => existsSync(second), 'the second command to start', 30_000);
  const { pid } = JSON.parse(readFileSync(second, 'utf8')) as { pid: number };
  session.cancel();
  const outcome = await done;
  assert.equal(outcome.state, 'stopped');
  assert.ok(!isAlive(pid), 'stopping the run stops the command it started');
  assert.match(readFileSync(path.join(root, session.folder, 'logs', 'cmd-2', 'train.log'), 'utf8'), /ML Intern: sent SIGINT to process group \d+ \(cancelled\)/);
});

test('a command whose launcher was killed while the window was away is reported lost to the model, never with a made-up exit code', { timeout: 120_000 }, async () => {
  const killed = await startThenKillHost(['--steps', '100000', '--delay-ms', '50'], (runDir) => existsSync(path.join(runDir, 'logs', 'cmd-1', 'launcher.json')));
  const runDir = path.join(killed.root, killed.folder);
  const { launcherPid } = JSON.parse(readFileSync(path.join(runDir, 'logs', 'cmd-1', 'launcher.json'), 'utf8')) as { launcherPid: number };
  process.kill(launcherPid, 'SIGKILL');
  await waitFor(() => !isAlive(killed.trainerPid), 'the training to end without its launcher', 30_000);
  const seen: LlmRequest[] = [];
  const llm = new ScriptedLlm([
    (req) => {
      seen.push({ ...req, messages: req.messages.map((m) => ({ ...m })) });
      return { text: 'The training was lost; shall I start it again?' };
    },
  ]);
  const session = await AgentSession.reopen(reopenDeps(killed.root, llm), killed.runId);
  const resumed = session.resumeAfterReload();
  assert.ok(resumed);
  assert.equal((await resumed).state, 'waiting');
  const result = lastToolMessage(seen[0]);
  assert.match(result, /no longer running and its exit code was never recorded/);
  assert.match(result, /logs\/cmd-1\/train\.log/);
  assert.doesNotMatch(result, /exit code \d/);
});
