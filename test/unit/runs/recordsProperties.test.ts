// Property tests for what a run folder's files are read back as (src/core/runs/records.ts): any
// text in status.json gives a status `runs` can sort and print; any lines in transcript.jsonl give
// entries a resumed run can rebuild from, starting with its system prompt and its goal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkStatus } from '../../../src/core/runs/records';
import { parseTranscript } from '../../../src/core/runs/transcript';
import { rebuildConversation } from '../../../src/core/runs/rebuild';
import { formatRuns } from '../../../src/cli/commands/runs';

const STATES = ['starting', 'running', 'succeeded', 'failed', 'stopped', 'waiting', 'budget', 'lost'];
const KINDS = ['message', 'tool_call', 'tool_result', 'decision', 'usage', 'plan', 'compaction', 'state', 'limits', 'guard', 'note', 'process', 'queued', 'dequeued'];

/** A status.json text: any JSON, a status with some fields of the wrong type, or not JSON at all. */
const statusText = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .record({ state: fc.oneof(fc.constantFrom(...STATES), fc.jsonValue()), title: fc.jsonValue(), created: fc.jsonValue(), updated: fc.jsonValue(), steps: fc.jsonValue(), usage: fc.jsonValue(), costUsd: fc.jsonValue(), lastMessage: fc.jsonValue(), question: fc.jsonValue(), pid: fc.jsonValue() }, { requiredKeys: [] })
    .map((v) => JSON.stringify(v)),
  fc.string(),
);

test('any status.json gives a status with every field the listing relies on; the listing sorts and prints them', () => {
  fc.assert(
    fc.property(fc.array(statusText, { minLength: 1, maxLength: 6 }), (texts) => {
      const runs = texts.map((text, i) => {
        const { status, problems } = checkStatus(text, `run-${i}`, `.ml-intern/runs/run-${i}/status.json`);
        assert.ok(STATES.includes(status.state), status.state);
        for (const k of ['title', 'created', 'updated', 'lastMessage'] as const) assert.equal(typeof status[k], 'string', k);
        for (const n of [status.steps, status.costUsd, ...Object.values(status.usage)]) assert.ok(Number.isFinite(n));
        assert.ok(status.question === undefined || typeof status.question === 'string');
        assert.ok(problems.every((p) => p.startsWith(`.ml-intern/runs/run-${i}/status.json`)), 'every problem names the file');
        return { id: `run-${i}`, folder: `.ml-intern/runs/run-${i}`, status };
      });
      runs.sort((a, b) => b.status.created.localeCompare(a.status.created) || b.id.localeCompare(a.id));
      assert.equal(formatRuns(runs).split('\n').length, runs.length);
    }),
    { numRuns: 300 },
  );
});

/** A transcript line: a sound entry, an entry of a known kind with fields of any type, any JSON, or garbage. */
const transcriptLine = fc.oneof(
  fc.constantFrom(
    '{"kind":"message","message":{"role":"user","content":"hi"}}',
    '{"kind":"message","message":{"role":"assistant","content":"ok","toolCalls":[{"id":"c1","name":"finish","arguments":"{}"}]}}',
    '{"kind":"usage","usage":{"inputTokens":1,"outputTokens":2,"cachedInputTokens":0,"cacheWriteTokens":0},"costUsd":0.1,"model":"m","step":true}',
    '{"kind":"state","state":"waiting","question":"?"}',
  ),
  fc.record({ kind: fc.constantFrom(...KINDS), message: fc.jsonValue(), messages: fc.jsonValue(), usage: fc.jsonValue(), costUsd: fc.jsonValue(), step: fc.jsonValue(), items: fc.jsonValue(), state: fc.jsonValue(), limits: fc.jsonValue(), summary: fc.jsonValue() }, { requiredKeys: ['kind'] }).map((v) => JSON.stringify(v)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
);

test('any transcript lines: the sound entries are kept, the rest named by line; the rebuilt conversation starts with the system prompt and the goal', () => {
  const guardrails = { systemPrompt: 'RULES', goal: 'GOAL' };
  fc.assert(
    fc.property(fc.array(transcriptLine, { maxLength: 30 }), (lines) => {
      const { entries, warnings } = parseTranscript(lines.join('\n'), 'transcript.jsonl');
      assert.ok(warnings.length <= 21, 'bounded');
      assert.ok(warnings.every((w) => /^transcript\.jsonl( line \d+:|:) /.test(w)), warnings.join('\n'));
      const rebuilt = rebuildConversation(entries, guardrails);
      assert.equal(rebuilt.messages[0].role, 'system');
      assert.ok(rebuilt.messages.some((m) => m.role === 'user'));
      for (const m of rebuilt.messages) assert.equal(typeof m.content, 'string');
      for (const n of [rebuilt.steps, ...Object.values(rebuilt.totals)]) assert.ok(Number.isFinite(n));
      assert.ok(rebuilt.plan.every((p) => typeof p.text === 'string'));
    }),
    { numRuns: 300 },
  );
});
