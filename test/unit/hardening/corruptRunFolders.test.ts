// One corrupt run folder must not break the others, nor its own resume: a malformed status.json
// (not an object, a missing `created`, wrong types) is listed as what it is by `ml-intern runs` and
// `fine-tune --attach`; a transcript line of the wrong shape, an empty or a binary transcript are
// skipped with a warning naming the file and line, and `run --continue` goes on with its system prompt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';
import { RunStore } from '../../../src/core/runs/runStore';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { startFakeLlmServer } from '../../support/fakeLlmServer';
import { startDetached } from '../../../src/core/exec/detached';
import { killGroup } from '../../../src/core/exec/processBase';

function io(cwd: string, env: NodeJS.ProcessEnv = {}): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', cwd, env: { CI: '1', ...env }, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}

/** Run folders made by the real RunStore, then a status.json overwritten with each corrupt shape. */
async function workspaceWithBrokenRuns(): Promise<{ root: string; healthy: string; broken: Record<string, string> }> {
  const root = mkdtempSync(path.join(tmpdir(), 'mli-corrupt-'));
  const store = new RunStore(new NodeFileStore(root));
  const request = { baseModel: 'Q/m', dataset: 'd.jsonl', method: 'sft', adapter: 'lora', evalSplit: 0 };
  const healthy = await store.create({ goal: 'healthy run', kind: 'fine-tune', request });
  await healthy.updateStatus({ state: 'succeeded', lastMessage: 'Training finished.' });
  const shapes: Record<string, string> = {
    array: '[1,2,3]',
    'no-created': JSON.stringify({ state: 'failed', title: 't', updated: '2026-01-01T00:00:00Z', steps: 1, usage: {}, costUsd: 0, lastMessage: 'x' }),
    'wrong-types': JSON.stringify({ state: 'stopped', title: 7, created: 5, updated: null, steps: '3', usage: 'lots', costUsd: '0.5', lastMessage: ['x'] }),
  };
  const broken: Record<string, string> = {};
  for (const [name, text] of Object.entries(shapes)) {
    const run = await store.create({ goal: `broken ${name}`, kind: 'fine-tune', request });
    writeFileSync(path.join(root, run.folder, 'status.json'), text);
    broken[name] = run.id;
  }
  return { root, healthy: healthy.id, broken };
}

test('ml-intern runs lists every run when some status.json files are corrupt, saying what is wrong in which file', async () => {
  const { root, healthy, broken } = await workspaceWithBrokenRuns();
  const o = io(root);
  assert.equal(await runCli(['runs'], o), 0, o.stderr);
  assert.match(o.stdout, new RegExp(`^${healthy}\\s+succeeded\\s+0 steps\\s+\\$0\\.0000`, 'm'));
  assert.match(o.stdout, new RegExp(`^${broken.array}\\s+lost\\s+0 steps .*  status\\.json holds \\[1,2,3\\], not a status object$`, 'm'));
  assert.match(o.stdout, new RegExp(`^${broken['no-created']}\\s+failed\\s+1 steps`, 'm'));
  assert.match(o.stdout, new RegExp(`^${broken['wrong-types']}\\s+stopped\\s+0 steps\\s+\\$0\\.0000`, 'm'));
  assert.match(o.stderr, new RegExp(`warning: \\.ml-intern/runs/${broken.array}/status\\.json holds \\[1,2,3\\], not a status object`));
  assert.match(o.stderr, new RegExp(`warning: \\.ml-intern/runs/${broken['no-created']}/status\\.json: created is missing`));
  assert.match(o.stderr, new RegExp(`warning: \\.ml-intern/runs/${broken['wrong-types']}/status\\.json: costUsd is "0\\.5", not a number`));
  assert.match(o.stderr, /steps is "3", not a number/);

  const json = io(root);
  assert.equal(await runCli(['runs', '--json'], json), 0);
  const listed = JSON.parse(json.stdout) as { id: string; status: { state: string }; problems?: string[] }[];
  assert.equal(listed.length, 4);
  assert.deepEqual(listed.find((r) => r.id === healthy)?.problems, undefined);
  assert.ok(listed.find((r) => r.id === broken['no-created'])?.problems?.some((p) => p.endsWith('status.json: created is missing')));
});

test('fine-tune --attach of any run works beside a corrupt one; the corrupt one itself says what is wrong', async () => {
  const { root, healthy, broken } = await workspaceWithBrokenRuns();
  const ok = io(root);
  assert.equal(await runCli(['fine-tune', '--attach', healthy], ok), 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`^Run ${healthy} is succeeded: Training finished\\.`));

  const bad = io(root);
  assert.equal(await runCli(['fine-tune', '--attach', broken.array], bad), 1, bad.stderr);
  assert.match(bad.stdout, new RegExp(`^Run ${broken.array} is lost: status\\.json holds \\[1,2,3\\], not a status object`));
});

test('fine-tune --attach of a run whose spec.json or launch.json is broken says which file and why, and leaves no lock behind', { timeout: 60_000 }, async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mli-corrupt-attach-'));
  const store = new RunStore(new NodeFileStore(root));
  const noRequest = await store.create({ goal: 'no request', kind: 'fine-tune' });
  await noRequest.updateStatus({ state: 'running' });
  const o = io(root);
  assert.equal(await runCli(['fine-tune', '--attach', noRequest.id], o), 1);
  assert.match(o.stderr, new RegExp(`ml-intern fine-tune: \\.ml-intern/runs/${noRequest.id}/spec\\.json: request\\.baseModel, request\\.dataset, request\\.method, request\\.adapter are missing or not text; this run cannot be reopened`));

  // A run still training (a real detached process) whose launch.json was garbled.
  const request = { baseModel: 'Q/m', dataset: 'd.jsonl', method: 'sft', adapter: 'lora', evalSplit: 0 };
  const live = await store.create({ goal: 'live', kind: 'fine-tune', request });
  const run = await startDetached({ argv: ['sleep', '30'], cwd: root, runDir: path.join(root, live.folder), name: 'sleep' });
  try {
    await live.updateStatus({ state: 'running', scriptPath: 'sft-m/train.py', attempt: 1, pid: run.pid });
    writeFileSync(path.join(root, live.folder, 'launch.json'), '{"target": "cluster", "argv": "python train.py"}');
    const a = io(root);
    assert.equal(await runCli(['fine-tune', '--attach', live.id], a), 1);
    assert.match(a.stderr, new RegExp(`ml-intern fine-tune: \\.ml-intern/runs/${live.id}/launch\\.json is not a launch plan \\(\\{target, gpus, argv, …\\}\\): this run cannot be picked up again`));
    assert.equal(existsSync(path.join(root, live.folder, 'owner.lock')), false, 'the refused attach released its lock');
  } finally {
    killGroup(run.pid, 'SIGKILL');
  }
});

const call = (name: string, args: unknown) => ({ name, arguments: JSON.stringify(args) });

/** An agent run made by `ml-intern run` on the fake LLM server; returns its folder. */
async function agentRun(): Promise<{ root: string; id: string; folder: string; env: NodeJS.ProcessEnv; server: Awaited<ReturnType<typeof startFakeLlmServer>> }> {
  const server = await startFakeLlmServer();
  const root = mkdtempSync(path.join(tmpdir(), 'mli-corrupt-agent-'));
  const env = { OPENAI_API_KEY: 'sk-corrupt-test-abcdefghijklmnopqrstuvwxyz' };
  server.script([{ text: 'On it.', toolCalls: [call('finish', { summary: 'Done the first time.' })] }]);
  const o = io(root, env);
  assert.equal(await runCli(['run', 'count the rows of data.csv', '--base-url', server.openaiBaseUrl, '--model', 'gpt-4.1', '--json'], o), 0, o.stderr);
  const { runId, folder } = JSON.parse(o.stdout) as { runId: string; folder: string };
  return { root, id: runId, folder, env, server };
}

/** `run --continue` on the fake server; returns what the CLI printed and the messages the model got. */
async function continueRun(r: Awaited<ReturnType<typeof agentRun>>): Promise<{ code: number; out: ReturnType<typeof io>; messages: { role: string; content: string }[] }> {
  const before = r.server.requests.length;
  r.server.script([{ toolCalls: [call('finish', { summary: 'Went on.' })] }]);
  const out = io(r.root, r.env);
  const code = await runCli(['run', '--continue', r.id, 'go on', '--base-url', r.server.openaiBaseUrl, '--model', 'gpt-4.1'], out);
  const body = r.server.requests[before]?.body as { messages: { role: string; content: string }[] } | undefined;
  return { code, out, messages: body?.messages ?? [] };
}

test("run --continue skips a transcript line {kind:'message', message:42}, naming it, and goes on with the whole conversation", async () => {
  const r = await agentRun();
  try {
    const transcript = path.join(r.folder, 'transcript.jsonl');
    const lines = readFileSync(transcript, 'utf8').split('\n').filter(Boolean).length;
    appendFileSync(transcript, '{"kind":"message","message":42}\n');
    const { code, out, messages } = await continueRun(r);
    assert.equal(code, 0, out.stderr);
    assert.match(out.stderr, new RegExp(`warning: run ${r.id}: \\.ml-intern/runs/${r.id}/transcript\\.jsonl line ${lines + 1}: 'message' entry: message is 42, not a chat message; skipped`));
    assert.equal(messages[0].role, 'system');
    assert.ok(messages.some((m) => m.role === 'user' && m.content.startsWith('count the rows of data.csv')), `the earlier conversation is kept: ${JSON.stringify(messages.map((m) => [m.role, m.content.slice(0, 200)]))}`);
    assert.match(out.stdout, /succeeded\nWent on\./);
  } finally {
    await r.server.close();
  }
});

test('run --continue on an empty or a binary transcript goes on with the system prompt and the goal, saying they were put back', async () => {
  for (const [name, bytes] of [['empty', Buffer.alloc(0)], ['binary', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))]] as const) {
    const r = await agentRun();
    try {
      const system = (r.server.requests[0].body as { messages: { role: string; content: string }[] }).messages[0];
      assert.equal(system.role, 'system');
      writeFileSync(path.join(r.folder, 'transcript.jsonl'), bytes);
      const { code, out, messages } = await continueRun(r);
      assert.equal(code, 0, `${name}: ${out.stderr}`);
      assert.deepEqual(messages[0], system, `${name}: the same system prompt as the run started with`);
      assert.deepEqual(messages[1], { role: 'user', content: 'count the rows of data.csv' }, `${name}: the goal from spec.json`);
      assert.match(out.stderr, new RegExp(`transcript\\.jsonl lacked the system prompt and the goal; put back`), name);
      if (name === 'binary') {
        assert.match(out.stderr, /transcript\.jsonl line \d+: not text \(binary data\); skipped/);
        assert.ok(out.stderr.split('\n').filter((l) => /line \d+: /.test(l)).length <= 20, 'a garbled file gives a bounded number of warnings');
      }
    } finally {
      await r.server.close();
    }
  }
});
