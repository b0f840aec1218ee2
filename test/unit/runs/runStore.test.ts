import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { RunStore } from '../../../src/core/runs/runStore';
import { rebuildConversation } from '../../../src/core/runs/rebuild';
import { parseTranscript } from '../../../src/core/runs/transcript';
import { runId, slugify } from '../../../src/core/runs/ids';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { tempWorkspace } from '../agent/helpers';

test('ids: timestamp + slug', () => {
  assert.equal(slugify('Fine-tune Qwen2.5 on my medical QA!'), 'fine-tune-qwen2-5-on-my-medical-qa');
  assert.match(runId(Date.UTC(2025, 0, 2, 3, 4, 5), 'x'), /^\d{8}-\d{6}-x$/);
});

test('create, list (newest first, with status), open, update status', async () => {
  let t = Date.UTC(2025, 5, 1, 10, 0, 0);
  const files = new NodeFileStore(tempWorkspace());
  const store = new RunStore(files, { clock: { now: () => t } });
  const a = await store.create({ goal: 'first goal' });
  t += 60_000;
  const b = await store.create({ goal: 'second goal', title: 'Second' });
  assert.match(a.folder, /^\.ml-intern\/runs\/\d{8}-\d{6}-first-goal$/);
  for (const f of ['spec.json', 'status.json', 'transcript.jsonl', 'metrics.jsonl']) assert.ok(await files.exists(`${a.folder}/${f}`), f);
  await b.updateStatus({ state: 'running', steps: 3 });
  const list = await store.list();
  assert.deepEqual(list.map((r) => r.id), [b.id, a.id]);
  assert.equal(list[0].status.state, 'running');
  assert.equal(list[0].status.steps, 3);
  assert.equal(list[0].status.title, 'Second');
  assert.equal(list[1].status.state, 'starting');
  const reopened = await store.open(a.id);
  assert.equal((await reopened.spec()).goal, 'first goal');
  await assert.rejects(store.open('nope'), /No run 'nope'/);
  await assert.rejects(store.open('../x'), /not a run id/);
});

test('concurrent runs in one workspace get distinct folders', async () => {
  const files = new NodeFileStore(tempWorkspace());
  const store = new RunStore(files, { clock: { now: () => 1_700_000_000_000 } });
  const runs = await Promise.all([1, 2, 3, 4].map(() => store.create({ goal: 'same goal' })));
  assert.equal(new Set(runs.map((r) => r.folder)).size, 4);
  assert.equal((await store.list()).length, 4);
});

test('a corrupt transcript line is skipped with a warning; secrets redacted before writing', async () => {
  const root = tempWorkspace();
  const files = new NodeFileStore(root);
  const warnings: string[] = [];
  const store = new RunStore(files, { logger: { info() {}, warn: (m) => warnings.push(m), error() {}, debug() {} } });
  const run = await store.create({ goal: 'g' });
  await run.appendTranscript({ kind: 'message', message: { role: 'user', content: 'key ' + 'sk-' + 'abcdefghijklmnopqrstuvwx1234 here' } });
  appendFileSync(path.join(root, run.folder, 'transcript.jsonl'), '{"kind":"message","message":{"role":"assi');
  appendFileSync(path.join(root, run.folder, 'transcript.jsonl'), '\n');
  await run.appendTranscript({ kind: 'message', message: { role: 'assistant', content: 'ok' } });
  const { entries, warnings: w } = await run.readTranscript();
  assert.equal(entries.length, 2);
  assert.equal(w.length, 1);
  assert.match(warnings[0], /corrupt JSON/);
  const raw = readFileSync(path.join(root, run.folder, 'transcript.jsonl'), 'utf8');
  assert.doesNotMatch(raw, /sk-abcdefghij/);
  assert.match(raw, /\[REDACTED\]/);
});

test('rebuildConversation: messages, compaction, counters, plan, limits, waiting question', () => {
  const text = [
    { kind: 'message', message: { role: 'system', content: 's' } },
    { kind: 'message', message: { role: 'user', content: 'goal' } },
    { kind: 'limits', limits: { maxSteps: 5, maxTokens: 0, maxCostUsd: 0 } },
    { kind: 'usage', usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 2, cacheWriteTokens: 0 }, costUsd: 0.5, model: 'm', step: true },
    { kind: 'message', message: { role: 'assistant', content: 'thinking', toolCalls: [{ id: '1', name: 'plan', arguments: '{}' }] } },
    { kind: 'plan', items: [{ text: 'a', status: 'done' }] },
    { kind: 'message', message: { role: 'tool', toolCallId: '1', name: 'plan', content: 'ok' } },
    { kind: 'compaction', summary: 'sum', messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'goal' }, { role: 'user', content: 'summary' }], removedMessages: 2 },
    { kind: 'usage', usage: { inputTokens: 1, outputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0 }, costUsd: 0.1, model: 'm', step: false },
    { kind: 'state', state: 'waiting', question: 'which model?' },
  ]
    .map((e) => JSON.stringify(e))
    .join('\n');
  const r = rebuildConversation(parseTranscript(text).entries);
  assert.equal(r.messages.length, 3);
  assert.equal(r.messages[2].content, 'summary');
  assert.equal(r.steps, 1);
  assert.equal(r.totals.llmCalls, 2);
  assert.equal(r.totals.inputTokens, 11);
  assert.ok(Math.abs(r.totals.costUsd - 0.6) < 1e-9);
  assert.deepEqual(r.plan, [{ text: 'a', status: 'done' }]);
  assert.equal(r.limits?.maxSteps, 5);
  assert.equal(r.state, 'waiting');
  assert.equal(r.question, 'which model?');
});
