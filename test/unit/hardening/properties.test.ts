/**
 * Property-based tests (fast-check) for the parts that eat untrusted text:
 * the log pipeline and the diagnosis. They must never throw, must not depend
 * on how the stream was chunked, and must stay bounded whatever they are fed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MetricPoint } from '../../../src/core/events';
import { LogPipeline } from '../../../src/core/logs/pipeline';
import { buildFailureObservation } from '../../../src/core/logs/observation';
import { diagnose } from '../../../src/core/recovery/diagnose';

/** Trainer-ish fragments mixed with noise, so the parsers' interesting paths are hit. */
const fragment = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    "{'loss': 1.2345, 'grad_norm': 0.5, 'learning_rate': 2e-05, 'epoch': 0.1}\n",
    "{'eval_loss': 0.9, 'epoch': 1.0}\n",
    ' 42%|████▏     | 42/100 [00:10<00:14,  4.1it/s]\r',
    '\x1b[33mUserWarning: something\x1b[0m\n',
    'Traceback (most recent call last):\n  File "train.py", line 3, in <module>\n',
    'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n',
    '[rank1]: RuntimeError: NCCL error\n',
    '\r\n',
    '\n',
    '\r',
    '| Step | Training Loss |\n| 10 | 1.234 |\n',
  ),
);
const log = fc.array(fragment, { maxLength: 60 }).map((parts) => parts.join(''));

function feed(text: string, cuts: number[]): { metrics: MetricPoint[]; tail: string[]; lines: number } {
  const metrics: MetricPoint[] = [];
  const p = new LogPipeline({ onMetric: (m) => metrics.push(m), tailLines: 50, maxTailLineChars: 200 });
  let prev = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    p.push(text.slice(prev, c));
    prev = c;
  }
  p.push(text.slice(prev));
  p.end();
  return { metrics, tail: p.tail(), lines: p.stats.lines };
}

test('property: the log pipeline never throws, and its output does not depend on the chunk boundaries', () => {
  fc.assert(
    fc.property(log, fc.array(fc.nat(), { maxLength: 20 }), (text, rawCuts) => {
      const cuts = rawCuts.map((c) => (text.length ? c % (text.length + 1) : 0));
      const whole = feed(text, []);
      const chunked = feed(text, cuts);
      assert.deepEqual(chunked.metrics, whole.metrics);
      assert.deepEqual(chunked.tail, whole.tail);
      assert.equal(chunked.lines, whole.lines);
      // Bounded: the ring and each kept line have a cap.
      assert.ok(whole.tail.length <= 50);
      for (const l of whole.tail) assert.ok(l.length <= 203, `tail line of ${l.length} chars`);
    }),
    { numRuns: 400 },
  );
});

test('property: memory stays bounded on endless input (tail and line caps)', () => {
  const p = new LogPipeline({ tailLines: 100, maxLineChars: 10_000, maxTailLineChars: 500 });
  const noise = fc.sample(fc.string({ minLength: 100, maxLength: 5000 }), 200);
  for (let i = 0; i < 2000; i++) p.push(noise[i % noise.length] + (i % 7 === 0 ? '\n' : ''));
  p.push('x'.repeat(1_000_000)); // one huge line without a newline
  p.end();
  const tail = p.tail();
  assert.ok(tail.length <= 100);
  assert.ok(tail.reduce((n, l) => n + l.length, 0) <= 100 * 503);
});

test('property: diagnose and the failure observation never throw on arbitrary text', () => {
  fc.assert(
    fc.property(log, fc.option(fc.integer({ min: -1, max: 255 })), (text, code) => {
      const d = diagnose(text);
      assert.equal(typeof d.category, 'string');
      assert.equal(typeof d.summary, 'string');
      const obs = buildFailureObservation({ text, exitCode: code ?? undefined });
      assert.ok(obs.length <= 8_000, 'the observation keeps its 2,000-token cap');
    }),
    { numRuns: 400 },
  );
});

test('diagnose terminates on 1 MB of random input (as one string, as lines, and as one huge line)', () => {
  const chunks = fc.sample(fc.string({ unit: 'binary', minLength: 500, maxLength: 2000 }), 800);
  let big = '';
  for (const c of chunks) {
    big += c;
    if (big.length > 1_048_576) break;
  }
  assert.ok(big.length > 1_000_000);
  for (const input of [big, big.split(/\r?\n/), big.replace(/[\r\n]/g, ' '), 'Traceback (most recent call last):\n'.repeat(30_000)]) {
    const d = diagnose(input);
    assert.equal(typeof d.summary, 'string');
  }
  const obs = buildFailureObservation({ text: big, exitCode: 1 });
  assert.ok(obs.length <= 8_000);
});
