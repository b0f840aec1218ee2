// The result must not depend on how the input is split: any chunk boundaries,
// mid-line, mid-ANSI-sequence, between \r and \n.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { readShared, runPipeline, SHARED_LOGS_SKIP, sharedLogFiles, splitAt, TRAINER_FIXTURES } from './helpers';
import { LineSplitter, SegmentEnd } from '../../../src/core/logs/lineSplitter';
import { LogPipeline } from '../../../src/core/logs/pipeline';

function fakeTrainerAll(): string {
  // stdout and stderr in one string, as a terminal shows them (exit code 1 expected).
  try {
    return execFileSync('bash', ['-c', `python3 ${JSON.stringify(path.join(TRAINER_FIXTURES, 'fake_trainer.py'))} --steps 40 --eval-steps 20 --fail oom --fail-at 37 2>&1`], { encoding: 'utf8' });
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? '');
  }
}

const inputs: Array<[string, string]> = [
  ...sharedLogFiles().map((f): [string, string] => [f, readShared(f)]),
  ['fake trainer (ANSI, \\r redraws, eval bars)', fakeTrainerAll()],
  ['pty-style \\r\\n with colours', '\x1b[32mok\x1b[0m\r\n 10%|█         | 10/100 [00:10<01:30,  1.00it/s]\r 20%|██        | 20/100 [00:20<01:20,  1.00it/s]\r\n{\'loss\': 0.5, \'epoch\': 0.2}\r\n\x1b]0;title\x07done'],
];

if (SHARED_LOGS_SKIP) test('chunk boundaries do not change the result: the real logs', { skip: SHARED_LOGS_SKIP }, () => {});

function snapshot(chunks: string[]) {
  const r = runPipeline(chunks);
  // Progress events are throttled per chunk (the latest redraw of a chunk is reported), so
  // their number depends on the chunking; the state they lead to does not.
  return { points: r.points, lastProgress: r.pipeline.progress, tail: r.tail, stats: r.pipeline.stats };
}

for (const [name, text] of inputs) {
  test(`chunk boundaries do not change the result: ${name}`, () => {
    assert.ok(text.length > 0);
    const whole = snapshot([text]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 60 }), (cuts) => {
        assert.deepEqual(snapshot(splitAt(text, cuts)), whole);
      }),
      { numRuns: 40 },
    );
    // Every character its own chunk: the worst case.
    if (text.length < 20000) assert.deepEqual(snapshot([...text]), whole);
  });
}

test('the fake trainer output parses to its loss points, eval points and progress', () => {
  const r = runPipeline([fakeTrainerAll()]);
  // 40 steps, a dict every 5 steps, OOM at step 37: dicts at 5..35 → 7 points; evals at 20.
  assert.deepEqual(r.points.filter((p) => p.kind === 'train').map((p) => p.step), [5, 10, 15, 20, 25, 30, 35]);
  assert.deepEqual(r.points.filter((p) => p.kind === 'eval').map((p) => p.step), [20]);
  const last = r.progress.filter((p) => p.phase === 'train').pop();
  assert.equal(last?.current, 36);
  assert.equal(last?.total, 40);
  assert.equal(typeof last?.loss, 'number');
});

test('the splitter cuts a runaway line at the cap, the same way for any chunking', () => {
  const segs = (chunks: string[]) => {
    const out: Array<[number, SegmentEnd]> = [];
    const s = new LineSplitter((t, e) => out.push([t.length, e]), 1000);
    for (const c of chunks) s.push(c);
    s.end();
    return out;
  };
  const text = `${'x'.repeat(2500)}\n${'y'.repeat(1000)}\rz`;
  const whole = segs([text]);
  assert.deepEqual(whole, [[1000, 'cap'], [1000, 'cap'], [500, 'lf'], [1000, 'cap'], [0, 'cr'], [1, 'eof']]);
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: text.length })), (cuts) => assert.deepEqual(segs(splitAt(text, cuts)), whole)));
});

test('memory stays bounded: a 20 MB line without a newline and 200k lines keep a small tail', () => {
  const p = new LogPipeline({ tailLines: 100 });
  const block = 'a'.repeat(1024 * 1024);
  for (let i = 0; i < 20; i++) p.push(block);
  for (let i = 0; i < 200_000; i++) p.push(`line ${i} {'loss': 0.5}\n`);
  p.end();
  const tail = p.tail();
  assert.equal(tail.length, 100);
  assert.equal(tail[99], "line 199999 {'loss': 0.5}");
  assert.ok(tail.every((l) => l.length <= 4100));
});
