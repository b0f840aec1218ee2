import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, DEFAULT_RETRY, retryAfterMs, runLlmCall } from '../../../src/core/llm/retry';
import { LlmError } from '../../../src/core/llm/types';
import { ManualClock } from '../../../src/core/testing/memoryPorts';

test('retry-after in seconds, milliseconds and as an HTTP date', () => {
  assert.equal(retryAfterMs(new Headers({ 'retry-after': '2' }), 0), 2000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': '0.5' }), 0), 500);
  assert.equal(retryAfterMs(new Headers({ 'retry-after-ms': '120', 'retry-after': '9' }), 0), 120);
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:07 GMT' }), now), 7000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'soon' }), 0), undefined);
  assert.equal(retryAfterMs(new Headers(), 0), undefined);
});

test('backoff grows exponentially, is capped, and is jittered', () => {
  const p = { ...DEFAULT_RETRY, baseDelayMs: 1000, maxDelayMs: 5000 };
  assert.equal(backoffMs(1, p, () => 0), 500);
  assert.equal(backoffMs(1, p, () => 0.999999), 1000);
  assert.equal(backoffMs(2, p, () => 1), 2000);
  assert.equal(backoffMs(10, p, () => 1), 5000);
});

test('a non-transient error is surfaced at once', async () => {
  const clock = new ManualClock();
  let calls = 0;
  await assert.rejects(
    runLlmCall({ ctx: { provider: 'openai', model: 'gpt-4.1' }, clock }, async () => {
      calls++;
      throw new LlmError('bad_request', 'nope');
    }),
    (e: unknown) => e instanceof LlmError && e.kind === 'bad_request',
  );
  assert.equal(calls, 1);
  assert.deepEqual(clock.sleeps, []);
});

test('maxAttempts is honoured for transient errors', async () => {
  const clock = new ManualClock();
  let calls = 0;
  await assert.rejects(
    runLlmCall({ ctx: { provider: 'openai', model: 'm' }, clock, retry: { maxAttempts: 2 } }, async () => {
      calls++;
      throw new LlmError('server', 'down');
    }),
    /gave up after 2 attempts/,
  );
  assert.equal(calls, 2);
});

test('the overall timeout stops a call that never ends', async () => {
  const started = Date.now();
  await assert.rejects(
    runLlmCall({ ctx: { provider: 'openai', model: 'm' }, timeouts: { overallTimeoutMs: 100, firstByteTimeoutMs: 0 } }, (a) =>
      new Promise((_resolve, reject) => a.signal.addEventListener('abort', () => reject(new Error('aborted')))),
    ),
    (e: unknown) => e instanceof LlmError && e.kind === 'timeout',
  );
  assert.ok(Date.now() - started < 2000);
});
