import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendTail, ChatModel, EntryOf } from '../../../media/model';
import { RUN } from './helpers';

test('streaming deltas assemble into one message; the final message replaces them', () => {
  const m = new ChatModel();
  m.apply({ type: 'assistant_delta', runId: RUN, text: 'Hel' });
  m.apply({ type: 'assistant_delta', runId: RUN, text: 'lo **wor' });
  m.apply({ type: 'assistant_delta', runId: RUN, text: 'ld**' });
  assert.equal(m.entries.length, 1);
  const e = m.entries[0] as EntryOf<'assistant'>;
  assert.equal(e.text, 'Hello **world**');
  assert.equal(e.streaming, true);
  const rev = e.rev;
  m.apply({ type: 'assistant_message', runId: RUN, text: 'Hello **world**!' });
  assert.equal(m.entries.length, 1);
  assert.equal(e.text, 'Hello **world**!');
  assert.equal(e.streaming, false);
  assert.ok(e.rev > rev);
  // A new stream after a tool call starts a new message.
  m.apply({ type: 'tool_call', runId: RUN, callId: 'c1', name: 'read_file', args: { path: 'a' } });
  m.apply({ type: 'assistant_delta', runId: RUN, text: 'Next' });
  assert.equal(m.entries.length, 3);
  assert.equal(m.runId, RUN);
});

test('a final message without deltas is added; a tool call ends a stream', () => {
  const m = new ChatModel();
  m.apply({ type: 'assistant_message', runId: RUN, text: 'one' });
  m.apply({ type: 'assistant_delta', runId: RUN, text: 'two' });
  m.apply({ type: 'tool_call', runId: RUN, callId: 'c', name: 'x', args: {} });
  assert.equal((m.entries[1] as EntryOf<'assistant'>).streaming, false);
});

test('tool results update their call card; changes update on decision', () => {
  const m = new ChatModel();
  m.apply({ type: 'tool_call', runId: RUN, callId: 'c1', name: 'inspect_data', args: { path: 'd.jsonl' } });
  m.apply({ type: 'tool_result', runId: RUN, callId: 'c1', name: 'inspect_data', ok: true, summary: '10 rows', data: { format: 'messages' } });
  const t = m.get('tool:c1') as EntryOf<'tool'>;
  assert.equal(t.status, 'ok');
  assert.deepEqual(t.data, { format: 'messages' });
  m.apply({ type: 'change_proposed', runId: RUN, changeId: 'ch1', path: 'train.py', description: 'script', origin: 'recipe', added: 10, removed: 0 });
  m.apply({ type: 'change_decided', runId: RUN, changeId: 'ch1', path: 'train.py', decision: 'rejected', auto: false, reason: 'no' });
  const c = m.get('change:ch1') as EntryOf<'change'>;
  assert.equal(c.decision, 'rejected');
  assert.equal(c.reason, 'no');
  assert.equal(m.entries.length, 2);
});

test('processes collect progress, GPU memory, metrics and an output tail', () => {
  const m = new ChatModel();
  m.apply({ type: 'process_started', runId: RUN, processId: 'p1', name: 'train', argv: ['python', 'train.py'] });
  m.apply({ type: 'progress', runId: RUN, processId: 'p1', progress: { current: 5, total: 10, etaSeconds: 60, gpuMemoryMiB: 8192 } });
  m.apply({ type: 'metrics', runId: RUN, processId: 'p1', points: [{ step: 1, loss: 2 }, { step: 2, loss: 1.5, learningRate: 1e-4 }] });
  m.apply({ type: 'process_output', runId: RUN, processId: 'p1', text: 'line1\nprogress 10%\rprogress 50%' });
  const p = m.get('proc:p1') as EntryOf<'process'>;
  assert.equal(p.progress?.current, 5);
  assert.equal(p.gpuMemoryMiB, 8192);
  assert.equal(p.chart.length, 2);
  assert.deepEqual(p.output, ['line1', 'progress 50%']);
  m.apply({ type: 'process_exited', runId: RUN, processId: 'p1', code: 0 });
  assert.equal(p.exitCode, 0);
});

test('recovery timeline: diagnosis → fix → outcome of the retry', () => {
  const m = new ChatModel();
  m.apply({ type: 'process_started', runId: RUN, processId: 'p1', name: 'train', argv: [] });
  m.apply({ type: 'process_exited', runId: RUN, processId: 'p1', code: 1 });
  m.apply({ type: 'diagnosis', runId: RUN, attempt: 1, category: 'oom', summary: 'CUDA out of memory', fix: 'halve the batch' });
  m.apply({ type: 'process_started', runId: RUN, processId: 'p2', name: 'train', argv: [] });
  m.apply({ type: 'process_exited', runId: RUN, processId: 'p2', code: 1 });
  m.apply({ type: 'diagnosis', runId: RUN, attempt: 2, category: 'bf16', summary: 'bf16 unsupported', fix: 'use fp16' });
  m.apply({ type: 'process_started', runId: RUN, processId: 'p3', name: 'train', argv: [] });
  m.apply({ type: 'process_exited', runId: RUN, processId: 'p3', code: 0 });
  const r = m.entries.find((e) => e.kind === 'recovery') as EntryOf<'recovery'>;
  assert.deepEqual(r.attempts.map((a) => a.outcome), ['failed', 'fixed']);
  assert.equal(m.entries.filter((e) => e.kind === 'recovery').length, 1);
});

test('plan, usage and run state go to the header; terminal states add a notice', () => {
  const m = new ChatModel();
  const h0 = m.headerRev;
  m.apply({ type: 'run_started', runId: RUN, title: 'SFT Qwen', folder: '.ml-intern/runs/r1' });
  m.apply({ type: 'plan', runId: RUN, items: [{ text: 'inspect', status: 'done' }, { text: 'train', status: 'in_progress' }] });
  m.apply({ type: 'usage', runId: RUN, totals: { inputTokens: 1000, outputTokens: 200, cachedInputTokens: 500, costUsd: 0.01, llmCalls: 2 }, budget: { steps: 2, maxSteps: 40, tokens: 1200, maxTokens: 10000, costUsd: 0.01, maxCostUsd: 2 } });
  assert.equal(m.title, 'SFT Qwen');
  assert.equal(m.plan.length, 2);
  assert.equal(m.usage?.totals.costUsd, 0.01);
  assert.ok(m.headerRev > h0);
  assert.ok(m.active);
  m.apply({ type: 'run_state', runId: RUN, state: 'failed', message: 'gave up after 5 attempts' });
  assert.ok(!m.active);
  assert.equal(m.entries.at(-1)?.kind, 'notice');
});

test('appendTail keeps the last lines and handles carriage returns and ANSI codes', () => {
  const lines: string[] = [];
  appendTail(lines, '\x1b[32mgreen\x1b[0m\n', 3);
  appendTail(lines, 'a\nb\nc\nd', 3);
  assert.deepEqual(lines, ['b', 'c', 'd']);
  appendTail(lines, '\rD', 3);
  assert.deepEqual(lines, ['b', 'c', 'D']);
});

test('a run\'s end said in its last message is not repeated as a notice; an end not said yet is', () => {
  const m = new ChatModel();
  m.apply({ type: 'assistant_message', runId: RUN, text: 'Training finished. The model is in `outputs/run1`; every script version is in `.ml-intern/runs/run1`.' });
  m.apply({ type: 'run_state', runId: RUN, state: 'succeeded', message: 'Training finished.' });
  assert.deepEqual(m.entries.map((e) => e.kind), ['assistant']);
  assert.equal(m.state, 'succeeded');
  const stopped = new ChatModel();
  stopped.apply({ type: 'assistant_message', runId: RUN, text: 'Smoke run skipped: the full run goes on with the reviewed settings.' });
  stopped.apply({ type: 'run_state', runId: RUN, state: 'stopped', message: 'The run was stopped.' });
  assert.deepEqual(stopped.entries.map((e) => e.kind), ['assistant', 'notice']);
  // The user spoke after the message: the end is news again.
  const asked = new ChatModel();
  asked.apply({ type: 'assistant_message', runId: RUN, text: 'Training finished.' });
  asked.apply({ type: 'user_message', runId: RUN, text: 'thanks' });
  asked.apply({ type: 'run_state', runId: RUN, state: 'succeeded', message: 'Training finished.' });
  assert.equal(asked.entries.filter((e) => e.kind === 'notice').length, 1);
});
