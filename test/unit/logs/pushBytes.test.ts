// LogPipeline.pushBytes (the byte front end) against push(string) (the reference): for the same
// bytes and the same chunking, the metric points, every progress event, the stats and the tail
// are identical. The reference decodes each chunk with a streaming UTF-8 decoder, as the file
// follower did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { MetricPoint, ProgressInfo } from '../../../src/core/events';
import { LogPipeline, LogPipelineOptions } from '../../../src/core/logs/pipeline';
import { SHARED_LOGS, SHARED_LOGS_SKIP, sharedLogFiles } from './helpers';

type Options = Pick<LogPipelineOptions, 'tailLines' | 'maxLineChars' | 'maxTailLineChars'>;

function run(chunks: Buffer[], bytes: boolean, options: Options = {}) {
  const points: Array<{ point: MetricPoint; kind: string }> = [];
  const progress: ProgressInfo[] = [];
  const p = new LogPipeline({
    ...options,
    onMetric: (pt, kind) => points.push({ point: { ...pt }, kind }),
    onProgress: (pr) => progress.push({ ...pr }),
  });
  if (bytes) {
    for (const c of chunks) {
      // The caller may reuse its buffer once pushBytes returns: scribble over it to prove nothing keeps it.
      const copy = Buffer.from(c);
      p.pushBytes(copy);
      copy.fill(0x41);
    }
  } else {
    const d = new StringDecoder('utf8');
    for (const c of chunks) p.push(d.write(c));
    p.push(d.end());
  }
  p.end();
  return { points, progress, stats: { ...p.stats }, tail: p.tail(), last: p.progress };
}

function cut(buf: Buffer, cuts: number[]): Buffer[] {
  const sorted = [...new Set(cuts.map((c) => Math.max(0, Math.min(buf.length, c))))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of sorted) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  out.push(buf.subarray(prev));
  return out;
}

function assertSame(chunks: Buffer[], options: Options = {}): void {
  assert.deepEqual(run(chunks, true, options), run(chunks, false, options));
}

if (SHARED_LOGS_SKIP) test('pushBytes = push(string): the real logs', { skip: SHARED_LOGS_SKIP }, () => {});
for (const file of sharedLogFiles()) {
  test(`pushBytes = push(string): ${file}`, () => {
    const buf = readFileSync(path.join(SHARED_LOGS, file));
    assertSame([buf]);
    assertSame(cut(buf, Array.from({ length: Math.ceil(buf.length / 4096) }, (_, i) => i * 4096)));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: buf.length }), { maxLength: 40 }), fc.constantFrom<Options>({}, { maxLineChars: 100, tailLines: 7, maxTailLineChars: 60 }), (cuts, options) => {
        assertSame(cut(buf, cuts), options);
      }),
      { numRuns: 25 },
    );
  });
}

const bar = (n: number, total: number, desc = '') => {
  const pct = Math.floor((100 * n) / total);
  const filled = Math.floor(pct / 10);
  return `${desc}${String(pct).padStart(3)}%|${'█'.repeat(filled)}${' '.repeat(10 - filled)}| ${n}/${total} [00:${String(n % 60).padStart(2, '0')}<01:00,  2.41s/it]`;
};

/** Pieces of trainer output, terminators and noise, to be joined in random orders. */
const piece = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 120 }), fc.constantFrom(100, 120)).map(([n, t]) => `\r${bar(Math.min(n, t), t)}`),
  fc.integer({ min: 0, max: 50 }).map((n) => `\r${bar(n, 50, 'Map: ')}`),
  fc.integer({ min: 0, max: 120 }).map((n) => `\r[rank${n % 2}]:${bar(n % 100, 100)}`),
  fc.double({ min: 0, max: 5, noNaN: true }).map((l) => `{'loss': ${l}, 'grad_norm': 0.5, 'learning_rate': 2e-05, 'epoch': 0.1}`),
  fc.double({ min: 0, max: 5, noNaN: true }).map((l) => `{'eval_loss': ${l}, 'epoch': 1.0}`),
  fc.constant("{'train_runtime': 12.5, 'train_loss': 0.7}"),
  fc.constant('{"loss": 1.0, "epoch": 0.2}'),
  fc.integer({ min: 1, max: 99 }).map((s) => `[rank0]: step: ${s}  loss:  6.2250  memory:  1.41GiB(1.79%)`),
  fc.integer({ min: 1, max: 99 }).map((s) => `[Rank 0] step=${s}, skipped=0, lr=[0.001, 0.001], mom=[0.0, 0.0]`),
  fc.constant('  Total optimization steps = 1,200'),
  fc.constant('Step\tTraining Loss\tValidation Loss'),
  fc.integer({ min: 1, max: 99 }).map((s) => `${s}\t0.5\tNo log`),
  fc.constant('[ 5/60 00:10 < 01:50, 0.50 it/s, Epoch 0.1/2]'),
  fc.constant(' 10%|█         | 10/100 [00:10<01:30,  1.00it/s]10, 2.2398'),
  fc.constant('\x1b[33mUserWarning: ö ✓ 日本 😀\x1b[0m'),
  fc.constant('\x1b[32m 50%|█████     | 50/100 [00:10<00:10,  1.00it/s]\x1b[0m'),
  fc.constant('\x1b]0;title\x07'),
  fc.constant(' '.repeat(60)),
  fc.constant('\t'),
  fc.constant(']'),
  fc.constant('a < b ]'),
  fc.constant("x < {'loss': 1} ]"),
  fc.constantFrom('\r', '\n', '\r\n', '\n\r', '\r\r', '\n\n'),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer({ min: 50, max: 300 }).map((n) => 'é'.repeat(n)),
  fc.integer({ min: 50, max: 300 }).map((n) => `${'x'.repeat(n)} 1/2 [00:01<00:01]`),
);

/** Raw bytes, some not valid UTF-8 (a lone continuation byte, a truncated character). */
const rawBytes = fc.oneof(
  fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)),
  fc.constantFrom(Buffer.from([0xe2, 0x96]), Buffer.from([0x80]), Buffer.from([0xf0, 0x9f, 0x98]), Buffer.from([0xc3])),
);

const log = fc.array(fc.oneof({ weight: 6, arbitrary: piece.map((s) => Buffer.from(s, 'utf8')) }, { weight: 1, arbitrary: rawBytes }), { maxLength: 80 }).map((parts) => Buffer.concat(parts));

test('pushBytes = push(string) on generated logs with random chunkings', () => {
  fc.assert(
    fc.property(
      log,
      fc.array(fc.nat(), { maxLength: 30 }),
      fc.constantFrom<Options>({}, { maxLineChars: 40, tailLines: 5, maxTailLineChars: 30 }, { maxLineChars: 7, tailLines: 3 }),
      (buf, rawCuts, options) => {
        assertSame(
          cut(
            buf,
            rawCuts.map((c) => c % (buf.length + 1)),
          ),
          options,
        );
      },
    ),
    { numRuns: 600 },
  );
});

test('pushBytes = push(string) with every byte its own chunk', () => {
  fc.assert(
    fc.property(log, fc.constantFrom<Options>({}, { maxLineChars: 40, tailLines: 5 }), (buf, options) => {
      assertSame(cut(buf, Array.from({ length: buf.length }, (_, i) => i)), options);
    }),
    { numRuns: 100 },
  );
});

test('pushBytes keeps the tqdm redraws out of the tail and reports the last bar of each chunk', () => {
  const chunks = [Buffer.from(`start\n\r${bar(1, 100)}\r${bar(2, 100)}`), Buffer.from(`\r${bar(3, 100)}\n{'loss': 0.5, 'epoch': 0.1}\n`)];
  const r = run(chunks, true);
  assert.deepEqual(r.tail, ['start', bar(3, 100), "{'loss': 0.5, 'epoch': 0.1}"]);
  assert.deepEqual(
    r.progress.map((p) => p.current),
    [1, 2, 3, 3],
  );
  assert.equal(r.points.length, 1);
  assert.equal(r.stats.segments, 5);
});
