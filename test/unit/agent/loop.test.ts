import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { LlmError } from '../../../src/core/llm/types';
import { parseTranscript } from '../../../src/core/runs/transcript';
import { RunStore } from '../../../src/core/runs/runStore';
import { FakeExecutor, makeDeps, ScriptedLlm } from './helpers';
import { transcriptEvents } from '../../../src/ui/chat/runReplay';

function transcript(root: string, folder: string) {
  return parseTranscript(readFileSync(path.join(root, folder, 'transcript.jsonl'), 'utf8'));
}

test('malformed tool calls become error observations the model can correct; finish ends the run', async () => {
  const llm = new ScriptedLlm([
    { text: 'Let me look.', calls: [{ name: 'read_file', args: '{"path": "data.jsonl", ' }] },
    { calls: [{ name: 'read_fil', args: { path: 'data.jsonl' } }] },
    { calls: [{ name: 'read_file', args: { path: 42 } }] },
    { calls: [{ name: 'read_file', args: { path: 'data.jsonl' } }] },
    { calls: [{ name: 'finish', args: { summary: 'Looked at the data.', artefacts: ['data.jsonl'] } }] },
  ]);
  const deps = makeDeps(llm);
  await deps.files.write('data.jsonl', '{"q": "a"}\n');
  const { session, outcome } = await AgentSession.startRun(deps, { goal: 'inspect the data' });
  assert.equal(outcome.state, 'succeeded');
  assert.match(outcome.message, /Looked at the data\.\n\nArtefacts:\n- data\.jsonl/);
  const tools = session.conversation.filter((m) => m.role === 'tool');
  assert.match(tools[0].content, /not valid JSON/);
  assert.match(tools[1].content, /Unknown tool 'read_fil'/);
  assert.match(tools[2].content, /arguments\.path must be string, got integer/);
  assert.match(tools[3].content, /\{"q": "a"\}/);
  assert.equal(llm.requests.length, 5);
  assert.ok(deps.events.ofType('assistant_delta').length >= 2, 'text streamed as deltas');
  assert.deepEqual(deps.events.ofType('run_state').map((e) => e.state), ['running', 'succeeded']);
  const status = JSON.parse(readFileSync(path.join(deps.files.root, session.folder, 'status.json'), 'utf8'));
  assert.equal(status.state, 'succeeded');
  assert.equal(status.steps, 5);
});

test('ask_user pauses the run (waiting + question); continueRun(answer) resumes', async () => {
  const llm = new ScriptedLlm([
    { calls: [{ name: 'ask_user', args: { question: 'Which base model?' } }] },
    (req) => {
      const last = req.messages[req.messages.length - 1];
      assert.equal(last.role, 'user');
      assert.match(last.content, /Qwen2\.5-0\.5B/);
      return { calls: [{ name: 'finish', args: { summary: 'ok' } }] };
    },
  ]);
  const deps = makeDeps(llm);
  const session = await AgentSession.create(deps, { goal: 'fine-tune' });
  const first = await session.start();
  assert.equal(first.state, 'waiting');
  assert.equal(first.question, 'Which base model?');
  assert.equal(session.pendingQuestion, 'Which base model?');
  assert.equal(deps.events.ofType('ask_user')[0].question, 'Which base model?');
  const status = JSON.parse(readFileSync(path.join(deps.files.root, session.folder, 'status.json'), 'utf8'));
  assert.equal(status.state, 'waiting');
  assert.equal(status.question, 'Which base model?');
  const second = await session.continueRun('Qwen/Qwen2.5-0.5B');
  assert.equal(second.state, 'succeeded');
});

test('(b) budget: a note near the limit, a clean stop at it, continuation with raised limits', async () => {
  const turn = () => ({ calls: [{ name: 'list_files', args: { path: `.` } }] });
  const llm = new ScriptedLlm([turn(), turn(), turn(), turn(), turn(), { calls: [{ name: 'finish', args: { summary: 'done' } }] }]);
  const deps = makeDeps(llm, { settings: { maxSteps: 5 } });
  await deps.files.write('a.txt', 'x');
  const session = await AgentSession.create(deps, { goal: 'g' });
  await session.start().then(async (o) => {
    assert.equal(o.state, 'budget');
    assert.match(o.message, /budget limit \(steps 5\/5\)/);
    assert.match(o.message, /Continue the run with raised limits/);
  });
  const notes = session.conversation.filter((m) => m.role === 'tool' && /budget nearly used: steps 4\/5/.test(m.content));
  assert.equal(notes.length, 1, 'exactly one 80 % note');
  assert.equal(llm.requests.length, 5);
  const status = JSON.parse(readFileSync(path.join(deps.files.root, session.folder, 'status.json'), 'utf8'));
  assert.equal(status.state, 'budget');
  // Reopen from the folder alone and continue with raised limits.
  const again = await AgentSession.reopen(deps, session.id);
  assert.equal(again.currentState, 'budget');
  assert.equal(again.budgetState.steps, 5);
  const o2 = await again.continueRun({ raiseLimits: { maxSteps: 10 } });
  assert.equal(o2.state, 'succeeded');
  assert.equal(again.budgetState.steps, 6);
  assert.equal(again.limits.maxSteps, 10);
});

test('(b) budget: a plain "go on" after the limit raises it by default and the run goes on', async () => {
  const turn = () => ({ calls: [{ name: 'list_files', args: { path: `.` } }] });
  const llm = new ScriptedLlm([turn(), turn(), { calls: [{ name: 'finish', args: { summary: 'done' } }] }]);
  const deps = makeDeps(llm, { settings: { maxSteps: 2 } });
  const session = await AgentSession.create(deps, { goal: 'g' });
  assert.equal((await session.start()).state, 'budget');
  const again = await AgentSession.reopen(deps, session.id);
  const o = await again.continueRun({ message: 'go on' });
  assert.equal(o.state, 'succeeded', o.message);
  assert.ok(again.limits.maxSteps > 2, 'the step limit was raised');
});

test('(b) cost budget from the injected cost function', async () => {
  const llm = new ScriptedLlm([{ calls: [{ name: 'list_files', args: {} }] }, { calls: [{ name: 'list_files', args: {} }] }]);
  const deps = makeDeps(llm, { settings: { maxCostUsd: 0.05 }, costOf: () => 0.03 });
  const { outcome } = await AgentSession.startRun(deps, { goal: 'g' });
  assert.equal(outcome.state, 'budget');
  assert.match(outcome.message, /cost \$0\.0600\/\$0\.05/);
});

test('(c) doom-loop guard: fires on a repeated failing call, warns then stops and asks the user', async () => {
  const failing = { calls: [{ name: 'run', args: { command: ['python', 'train.py'], reason: 'train' } }] };
  const llm = new ScriptedLlm([failing, failing, failing, failing, failing, failing]);
  const exec = new FakeExecutor(Array.from({ length: 6 }, () => ({ output: 'Traceback\nCUDA out of memory\n', code: 1 })));
  const deps = makeDeps(llm, { executor: exec });
  const { session, outcome } = await AgentSession.startRun(deps, { goal: 'train' });
  const guardMsgs = session.conversation.filter((m) => m.role === 'user' && m.content.startsWith('[loop guard]'));
  assert.equal(guardMsgs.length, 1, 'warned once after 3 identical calls');
  const guardIndex = session.conversation.indexOf(guardMsgs[0]);
  assert.equal(session.conversation.slice(0, guardIndex).filter((m) => m.role === 'tool').length, 3);
  assert.equal(outcome.state, 'waiting');
  assert.match(outcome.question ?? '', /going in circles/);
  assert.equal(exec.started.length, 6);
  const entries = transcript(deps.files.root, session.folder).entries.filter((e) => e.kind === 'guard');
  assert.deepEqual(entries.map((e) => (e as { level: string }).level), ['warn', 'stop']);
});

test('(c) doom-loop guard: a cycle of 2 calls repeated twice fires', async () => {
  const a = { calls: [{ name: 'read_file', args: { path: 'a.txt' } }] };
  const b = { calls: [{ name: 'list_files', args: {} }] };
  const llm = new ScriptedLlm([a, b, a, b, { calls: [{ name: 'finish', args: { summary: 's' } }] }]);
  const deps = makeDeps(llm);
  await deps.files.write('a.txt', 'x');
  const { session } = await AgentSession.startRun(deps, { goal: 'g' });
  assert.equal(session.conversation.filter((m) => m.role === 'user' && /cycle of 2 tool calls/.test(m.content)).length, 1);
});

test('(c) doom-loop guard does NOT fire on polling a log whose output grows', async () => {
  const poll = { calls: [{ name: 'read_file', args: { path: 'train.log' } }] };
  const llm = new ScriptedLlm([poll, poll, poll, poll, poll, { calls: [{ name: 'finish', args: { summary: 's' } }] }]);
  const deps = makeDeps(llm);
  let step = 0;
  await deps.files.write('train.log', 'step 0\n');
  const grow = deps.files.read.bind(deps.files);
  deps.files.read = async (p: string) => {
    if (p === 'train.log') {
      step++;
      await deps.files.write('train.log', Array.from({ length: step + 1 }, (_, i) => `step ${i * 10} loss ${(2 - i * 0.1).toFixed(2)}`).join('\n'));
    }
    return grow(p);
  };
  const { session, outcome } = await AgentSession.startRun(deps, { goal: 'watch' });
  assert.equal(outcome.state, 'succeeded');
  assert.equal(session.conversation.filter((m) => m.role === 'user' && m.content.startsWith('[loop guard]')).length, 0);
});

test('(d) compaction: near the window, the middle is replaced by an LLM-written summary; tool calls stay with their results', async () => {
  const big = 'x'.repeat(3_000);
  const llm = new ScriptedLlm(
    [
      { text: 'step 1', calls: [{ name: 'read_file', args: { path: 'big1.txt' } }] },
      { text: 'step 2', calls: [{ name: 'read_file', args: { path: 'big2.txt' } }] },
      { text: 'step 3', calls: [{ name: 'read_file', args: { path: 'big3.txt' } }] },
      { text: 'step 4', calls: [{ name: 'read_file', args: { path: 'big4.txt' } }] },
      (req) => {
        assert.equal(req.tools, undefined, 'the summary call has no tools');
        assert.match(req.messages[0].content, /compress the middle/);
        return { text: 'SUMMARY: read big1..big3, all x.' };
      },
      (req) => {
        assert.equal(req.messages[0].role, 'system');
        assert.equal(req.messages[1].content, 'read the files');
        assert.match(req.messages[2].content, /^\[Summary of the earlier part/);
        assert.match(req.messages[2].content, /SUMMARY: read big1/);
        assert.equal(req.messages[3].role, 'assistant', 'the kept tail starts with an assistant turn, never a bare tool result');
        return { calls: [{ name: 'finish', args: { summary: 'done' } }] };
      },
    ],
    'fake-model',
    4_000,
  );
  const deps = makeDeps(llm);
  for (let i = 1; i <= 4; i++) await deps.files.write(`big${i}.txt`, big);
  const { session, outcome } = await AgentSession.startRun(deps, { goal: 'read the files' });
  assert.equal(outcome.state, 'succeeded');
  const entries = transcript(deps.files.root, session.folder).entries;
  const compaction = entries.find((e) => e.kind === 'compaction');
  assert.ok(compaction && compaction.kind === 'compaction');
  assert.ok(compaction.removedMessages >= 2);
  assert.equal(session.budgetState.steps, 5, 'the summary call is not a step');
  // Rebuilding gives the compacted conversation.
  const again = await AgentSession.reopen(deps, session.id);
  assert.deepEqual(again.conversation, session.conversation);
});

test('(d) compaction that cannot get under the limit stops with a clear message', async () => {
  const llm = new ScriptedLlm([{ text: 'never called' }], 'fake-model', 100);
  const deps = makeDeps(llm);
  const { outcome } = await AgentSession.startRun(deps, { goal: 'a goal that is long '.repeat(40) });
  assert.equal(outcome.state, 'failed');
  assert.match(outcome.message, /context window/);
  assert.equal(llm.requests.length, 0);
});

test('(d) a context_length error triggers compaction then one retry', async () => {
  const llm = new ScriptedLlm([
    { calls: [{ name: 'list_files', args: {} }] },
    { calls: [{ name: 'list_files', args: { recursive: true } }] },
    { error: new LlmError('context_length', 'prompt too long') },
    { text: 'summary text' },
    { calls: [{ name: 'finish', args: { summary: 'ok' } }] },
  ]);
  const deps = makeDeps(llm);
  const { outcome } = await AgentSession.startRun(deps, { goal: 'g' });
  assert.equal(outcome.state, 'succeeded');
});

test('other LLM errors stop the run cleanly (failed, resumable)', async () => {
  const llm = new ScriptedLlm([{ error: new LlmError('auth', "Bad key. Run 'ML Intern: Set API Key'.") }, { calls: [{ name: 'finish', args: { summary: 'ok' } }] }]);
  const deps = makeDeps(llm);
  const { session, outcome } = await AgentSession.startRun(deps, { goal: 'g' });
  assert.equal(outcome.state, 'failed');
  assert.match(outcome.message, /Set API Key/);
  const again = await AgentSession.reopen(deps, session.id);
  assert.equal((await again.continueRun()).state, 'succeeded');
});

test('(e) a 5 MB observation is capped; the full text is kept on disk and readable; a read_file page fits the cap and says where the next starts', async () => {
  const huge = Array.from({ length: 100_000 }, (_, i) => `row ${i} ${'y'.repeat(40)}`).join('\n');
  assert.ok(huge.length > 5_000_000);
  const llm = new ScriptedLlm([
    { calls: [{ name: 'run', args: { command: ['cat', 'huge.txt'], reason: 'look' } }] },
    { calls: [{ name: 'read_file', args: { path: 'huge.txt', limit: 100_000 } }] },
    { calls: [{ name: 'dump', args: {} }] },
    { calls: [{ name: 'finish', args: { summary: 'ok' } }] },
  ]);
  const exec = new FakeExecutor([{ output: [huge.slice(0, 2_500_000), huge.slice(2_500_000)], code: 0 }]);
  const { createCoreRegistry } = await import('../../../src/core/tools/coreTools');
  const registry = createCoreRegistry().register({ name: 'dump', description: 'd', parameters: { type: 'object', properties: {} }, approval: 'free', handler: async () => ({ ok: true, output: huge }) });
  const deps = makeDeps(llm, { executor: exec, tools: registry });
  await deps.files.write('huge.txt', huge);
  const { session } = await AgentSession.startRun(deps, { goal: 'g' });
  const tools = session.conversation.filter((m) => m.role === 'tool');
  for (const t of tools) assert.ok(t.content.length < 9_000, `observation capped (${t.content.length})`);
  assert.match(tools[0].content, /row 99999/, 'tail kept');
  assert.match(tools[0].content, /row 0 /, 'head kept');
  // the full log of the run is on disk
  const log = readFileSync(path.join(deps.files.root, session.folder, 'logs', 'cmd-1.log'), 'utf8');
  assert.equal(log, huge);
  // the read_file page fits one observation whole: nothing cut from its middle, the next page named
  const page = tools[1].content;
  const m = /lines 1-(\d+) of 100000 \(next page: offset (\d+)\)/.exec(page);
  assert.ok(m, page.slice(0, 200));
  assert.equal(Number(m[2]), Number(m[1]) + 1);
  assert.match(page, new RegExp(`row ${Number(m[1]) - 1} y+\\n\\[${100_000 - Number(m[1])} more lines: call read_file with path "huge.txt" and offset ${m[2]}\\]$`));
  assert.doesNotMatch(page, /omitted/);
  // a tool answer over the cap is cut to head and tail, the full text saved under observations/
  const obsDir = path.join(deps.files.root, session.folder, 'observations');
  assert.deepEqual(readdirSync(obsDir), ['obs-1.txt']);
  assert.match(tools[2].content, /observations\/obs-1\.txt/);
  assert.doesNotMatch(tools[0].content, /observations\//, 'the run output is already capped with its full log in logs/');
  assert.equal(readFileSync(path.join(obsDir, 'obs-1.txt'), 'utf8'), huge);
});

test('(f) cancellation mid-stream leaves a consistent run folder (stopped, transcript parseable)', async () => {
  const llm = new ScriptedLlm([{ calls: [{ name: 'list_files', args: {} }] }, { text: 'I am thinking about the long answer', hang: true }]);
  const deps = makeDeps(llm);
  const controller = new AbortController();
  const session = await AgentSession.create(deps, { goal: 'g' });
  const done = session.start(controller.signal);
  while (deps.events.ofType('assistant_delta').length < 3) await new Promise((r) => setTimeout(r, 5));
  controller.abort();
  const outcome = await done;
  assert.equal(outcome.state, 'stopped');
  const raw = readFileSync(path.join(deps.files.root, session.folder, 'transcript.jsonl'), 'utf8');
  const parsed = parseTranscript(raw);
  assert.equal(parsed.warnings.length, 0);
  const status = JSON.parse(readFileSync(path.join(deps.files.root, session.folder, 'status.json'), 'utf8'));
  assert.equal(status.state, 'stopped');
  assert.equal(status.pid, undefined);
  // Every assistant tool call in the transcript has its result: the run can be continued.
  const again = await AgentSession.reopen(deps, session.id);
  assert.equal(again.currentState, 'stopped');
  llm.push({ calls: [{ name: 'finish', args: { summary: 'ok' } }] });
  assert.equal((await again.continueRun({ message: 'go on' })).state, 'succeeded');
});

test('cancel() during a pending review stops the run and answers every tool call', async () => {
  const llm = new ScriptedLlm([{ calls: [{ name: 'write_file', args: { path: 'a.py', content: 'x', description: 'd' } }, { name: 'list_files', args: {} }] }]);
  const deps = makeDeps(llm);
  const session = await AgentSession.create(deps, { goal: 'g' });
  deps.reviewer.push(
    () =>
      new Promise((resolve) => {
        session.cancel();
        setTimeout(() => resolve({ kind: 'rejected', reason: 'cancelled' }), 5);
      }),
  );
  const outcome = await session.start();
  assert.equal(outcome.state, 'stopped');
  const tools = session.conversation.filter((m) => m.role === 'tool');
  assert.equal(tools.length, 2);
  assert.match(tools[1].content, /Not run: the run was stopped/);
});

test('(i) no API key or token reaches the transcript, logs, status or scripts', async () => {
  const openai = 'sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ123456';
  const anthropic = 'sk-ant-' + 'api03-abcdefghijklmnopqrstuvwxyz0123';
  const hf = 'hf_' + 'abcdefghijklmnopqrstuvwxyzABCD';
  const llm = new ScriptedLlm([
    { text: `Using ${hf}`, calls: [{ name: 'run', args: { command: ['env'], reason: 'check' } }] },
    { calls: [{ name: 'write_file', args: { path: 'cfg.py', content: `TOKEN = "${hf}"\n`, description: 'cfg' } }] },
    { calls: [{ name: 'finish', args: { summary: `done with ${openai}` } }] },
  ]);
  const exec = new FakeExecutor([{ output: [`OPENAI_API_KEY=${openai}\nANTHROPIC_API_KEY=${anthropic}`, `\nHF_TOKEN=${hf}\n`], code: 0 }]);
  const deps = makeDeps(llm, { executor: exec, env: { HF_TOKEN: hf } });
  const { session } = await AgentSession.startRun(deps, { goal: `Train with my key ${openai} and ${anthropic} and token ${hf}` });
  assert.equal(exec.started[0].env?.HF_TOKEN, hf, 'the process gets the token through its environment');
  const folder = path.join(deps.files.root, session.folder);
  const all: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else all.push(readFileSync(path.join(d, e.name), 'utf8'));
    }
  };
  walk(folder);
  const text = all.join('\n');
  assert.ok(text.includes('[REDACTED]'));
  for (const secret of [openai, anthropic, hf]) assert.ok(!text.includes(secret), `leaked ${secret.slice(0, 8)}`);
  for (const m of session.conversation) for (const secret of [openai, anthropic, hf]) assert.ok(!m.content.includes(secret));
  for (const e of deps.events.events) for (const secret of [openai, anthropic, hf]) assert.ok(!JSON.stringify(e).includes(secret), `event ${e.type} leaked`);
});

test('approval policy: never asks for runs; all auto-approves; refusals reach the model; decisions recorded', async () => {
  const call = { calls: [{ name: 'run', args: { command: ['echo', 'hi'], reason: 'say hi' } }] };
  const finish = { calls: [{ name: 'finish', args: { summary: 's' } }] };
  // never: asked, refused
  const asked: string[][] = [];
  const llm1 = new ScriptedLlm([call, finish]);
  const deps1 = makeDeps(llm1, { approveCommand: async (r) => (asked.push(r.argv), { approved: false, reason: 'not now' }) });
  const r1 = await AgentSession.startRun(deps1, { goal: 'g' });
  assert.deepEqual(asked, [['echo', 'hi']]);
  const tool1 = r1.session.conversation.find((m) => m.role === 'tool');
  assert.match(tool1?.content ?? '', /did not approve.*not now/);
  assert.equal((deps1.executor as FakeExecutor).started.length, 0);
  const d1 = transcript(deps1.files.root, r1.session.folder).entries.filter((e) => e.kind === 'decision');
  assert.deepEqual(d1.map((e) => [(e as { subject: string }).subject, (e as { decision: string }).decision, (e as { auto: boolean }).auto]), [['command', 'refused', false]]);
  // all: not asked, run
  const llm2 = new ScriptedLlm([call, { calls: [{ name: 'write_file', args: { path: 'x.py', content: 'print(1)\n', description: 'd' } }] }, finish]);
  const deps2 = makeDeps(llm2, { settings: { autoApprove: 'all' }, approveCommand: async () => assert.fail('must not ask') });
  const r2 = await AgentSession.startRun(deps2, { goal: 'g' });
  assert.equal((deps2.executor as FakeExecutor).started.length, 1);
  assert.equal(deps2.reviewer.seen.length, 0, 'the reviewer is not asked under all');
  assert.equal(readFileSync(path.join(deps2.files.root, 'x.py'), 'utf8'), 'print(1)\n');
  const d2 = transcript(deps2.files.root, r2.session.folder).entries.filter((e) => e.kind === 'decision');
  assert.ok(d2.every((e) => (e as { auto: boolean }).auto));
  // recipe: agent-written changes are still asked
  const llm3 = new ScriptedLlm([{ calls: [{ name: 'write_file', args: { path: 'y.py', content: 'y\n', description: 'd' } }] }, finish]);
  const deps3 = makeDeps(llm3, { settings: { autoApprove: 'recipe' } });
  await AgentSession.startRun(deps3, { goal: 'g' });
  assert.equal(deps3.reviewer.seen.length, 1);
});

test('runs are listed with their status (newest first)', async () => {
  const deps = makeDeps(new ScriptedLlm([{ calls: [{ name: 'finish', args: { summary: 's' } }] }]));
  const { session } = await AgentSession.startRun(deps, { goal: 'listed run' });
  const list = await new RunStore(deps.files).list();
  assert.equal(list[0].id, session.id);
  assert.equal(list[0].status.state, 'succeeded');
  assert.equal(list[0].status.lastMessage, 's');
});

test('the default system prompt is prompts/persona.md plus the loop rules: the ML workflow with the domain tools, text-only replies end the run, scope changes are asked, the installed versions rule', async () => {
  const { defaultSystemPrompt } = await import('../../../src/core/agent/systemPrompt');
  const text = defaultSystemPrompt();
  assert.match(text, /You are ML Intern/);
  assert.match(text, /## How this session works/);
  assert.match(text, /A reply with text and NO tool call ends the run and waits for the user/);
  assert.match(text, /`environment` and `inspect_data`[\s\S]*`estimate_memory`[\s\S]*`write_recipe`[\s\S]*`validate_script`[\s\S]*smoke run[\s\S]*`diagnose_log`/);
  assert.match(text, /lowering MAX_LENGTH \(it truncates their data\)[\s\S]*ask first with `ask_user`/);
  assert.match(text, /Your memory of the Hugging Face libraries .* is outdated/);
  assert.doesNotMatch(text, /see recovery\.md/, 'the agent cannot read the extension folder: it has read_guide');
  assert.match(text, /`read_guide`/);
  // The same text for every run (no date, machine or goal in it): the prefix providers cache.
  assert.equal(defaultSystemPrompt(), text);
  assert.match(defaultSystemPrompt(() => { throw new Error('missing'); }), /careful junior ML engineer/);
});

test('run_python saves the snippet in the run folder and runs it with the user interpreter', async () => {
  const llm = new ScriptedLlm([
    { calls: [{ name: 'run_python', args: { code: 'import sys\nprint(sys.version)', reason: 'check python' } }] },
    { calls: [{ name: 'run_python', args: { code: 'print(2)', reason: 'again' } }] },
    { calls: [{ name: 'finish', args: { summary: 's' } }] },
  ]);
  const exec = new FakeExecutor([{ output: '3.11.7\n', code: 0 }, { output: '2\n', code: 0 }]);
  const details: string[] = [];
  const deps = makeDeps(llm, { executor: exec, settings: { pythonPath: '/opt/venv/bin/python' }, approveCommand: async (r) => (details.push(r.detail ?? ''), { approved: true }) });
  const { session } = await AgentSession.startRun(deps, { goal: 'g' });
  assert.equal(exec.started[0].argv[0], '/opt/venv/bin/python');
  assert.equal(exec.started[0].argv[1], path.join(deps.files.root, session.folder, 'scripts', 'snippet-1.py'));
  assert.equal(exec.started[1].argv[1], path.join(deps.files.root, session.folder, 'scripts', 'snippet-2.py'));
  assert.equal(readFileSync(exec.started[0].argv[1], 'utf8'), 'import sys\nprint(sys.version)');
  assert.deepEqual(details, ['import sys\nprint(sys.version)', 'print(2)'], 'the user sees the code when asked');
  assert.match(session.conversation.filter((m) => m.role === 'tool')[0].content, /exit code 0[\s\S]*3\.11\.7/);
});

test("recipe policy: changes from the recipe engine / playbook are auto-approved; the agent's are still asked", async () => {
  const { createCoreRegistry } = await import('../../../src/core/tools/coreTools');
  const registry = createCoreRegistry();
  registry.register<{ origin: 'recipe' | 'playbook' | 'agent' }>({
    name: 'apply_recipe',
    description: 'test tool proposing a change with a given origin',
    parameters: { type: 'object', properties: { origin: { type: 'string', enum: ['recipe', 'playbook', 'agent'] } }, required: ['origin'] },
    approval: 'write',
    async handler(args, ctx) {
      const d = await ctx.proposeChange({ path: `${args.origin}.py`, original: null, proposed: 'x = 1\n', description: 'from recipe', origin: args.origin });
      return { ok: d.kind === 'accepted', output: `${d.kind} auto=${d.kind === 'accepted' && d.auto}` };
    },
  });
  const llm = new ScriptedLlm([
    { calls: [{ name: 'apply_recipe', args: { origin: 'recipe' } }, { name: 'apply_recipe', args: { origin: 'playbook' } }, { name: 'apply_recipe', args: { origin: 'agent' } }] },
    { calls: [{ name: 'finish', args: { summary: 's' } }] },
  ]);
  const deps = makeDeps(llm, { tools: registry, settings: { autoApprove: 'recipe' } });
  const { session } = await AgentSession.startRun(deps, { goal: 'g' });
  const results = session.conversation.filter((m) => m.role === 'tool').map((m) => m.content);
  assert.deepEqual(results.slice(0, 3), ['accepted auto=true', 'accepted auto=true', 'accepted auto=false']);
  assert.deepEqual(deps.reviewer.seen.map((c) => c.path), ['agent.py']);
  const changed = deps.events.ofType('change_decided').map((e) => [e.path, e.auto]);
  assert.deepEqual(changed, [['recipe.py', true], ['playbook.py', true], ['agent.py', false]]);
});

test('a message typed while the run goes is read at the next step, after the tool results; a run about to finish reads it first; replayed once', async () => {
  const box: { session?: AgentSession } = {};
  const llm = new ScriptedLlm([
    () => {
      void box.session!.queueMessage('also use 3 epochs');
      return { calls: [{ id: 'l1', name: 'list_files', args: { path: '.' } }] };
    },
    () => {
      void box.session!.queueMessage('and push it to the Hub');
      return { calls: [{ id: 'f1', name: 'finish', args: { summary: 'done early' } }] };
    },
    { calls: [{ id: 'f2', name: 'finish', args: { summary: 'done, with 3 epochs, pushed' } }] },
  ]);
  const deps = makeDeps(llm);
  const session = (box.session = await AgentSession.create(deps, { goal: 'train' }));
  const outcome = await session.start();
  assert.equal(outcome.state, 'succeeded');
  assert.match(outcome.message, /pushed/, 'the run went on to read the message sent while it was finishing');
  assert.equal(llm.requests.length, 3);
  const roles = (i: number) => llm.requests[i].messages.map((m) => (m.role === 'user' ? `user:${m.content}` : m.role));
  assert.deepEqual(roles(1).slice(-3), ['assistant', 'tool', 'user:also use 3 epochs']);
  assert.deepEqual(roles(2).slice(-3), ['assistant', 'tool', 'user:and push it to the Hub']);
  const heldBack = llm.requests[2].messages.filter((m) => m.role === 'tool').at(-1);
  assert.match(heldBack && heldBack.role === 'tool' ? heldBack.content : '', /^Not finished yet: the user sent a message while you were working/, 'the model is told why its finish did not end the run');
  // The panel showed each message when it was sent; a reopened panel shows each once.
  const shown = deps.events.events.filter((e) => e.type === 'user_message').map((e) => (e.type === 'user_message' ? e.text : ''));
  assert.deepEqual(shown, ['train', 'also use 3 epochs', 'and push it to the Hub']);
  const lines = readFileSync(path.join(deps.files.root, session.folder, 'transcript.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
  const replayed = transcriptEvents(session.id, lines).filter((e) => e.type === 'user_message').map((e) => (e.type === 'user_message' ? e.text : ''));
  assert.deepEqual(replayed, ['train', 'also use 3 epochs', 'and push it to the Hub']);
});

test('a message sent just before a reload, not read yet, reaches the model when the run goes on', async () => {
  const llm = new ScriptedLlm([{ text: 'Which model?' }]);
  const deps = makeDeps(llm);
  const first = await AgentSession.create(deps, { goal: 'train' });
  await first.start();
  // Queued while nothing drains it (as when the window reloads right after the message).
  await first.queueMessage('use Qwen2.5-0.5B');
  const seen: string[] = [];
  const again = await AgentSession.reopen(makeDeps(new ScriptedLlm([(req) => {
    seen.push(...req.messages.filter((m) => m.role === 'user').map((m) => m.content));
    return { text: 'OK.' };
  }]), { root: deps.files.root }), first.id);
  await again.continueRun({ message: 'go' });
  assert.deepEqual(seen.slice(-2), ['use Qwen2.5-0.5B', 'go']);
});
