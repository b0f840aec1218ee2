// parseBarBytes (the byte-level tqdm parser of LogPipeline.pushBytes) against parseTqdm: when it
// answers, the answer is parseTqdm's; the common shapes are answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseBarBytes } from '../../../src/core/logs/barBytes';
import { parseTqdm } from '../../../src/core/logs/progress';

function viaBytes(seg: string): ReturnType<typeof parseBarBytes> {
  const buf = Buffer.from(`xx\r${seg}\ryy`, 'utf8');
  const start = 3;
  const end = buf.length - 3;
  let close = end - 1;
  while (buf[close] === 32) close--;
  if (buf[close] !== 93) return undefined;
  return parseBarBytes(buf, start, end, close);
}

test('parseBarBytes: common tqdm shapes, same as parseTqdm', () => {
  const cases = [
    ' 42%|█████████████████████████████▍                                        | 420/1000 [1:02:03<2:03:04,  2.41s/it]',
    '100%|██████████| 60/60 [09:26<00:00,  9.44s/it]',
    '  0%|          | 0/60 [00:00<?, ?it/s]',
    ' 10%|█         | 6/60 [00:12<01:48,  2.00it/s]  ',
    ' 50%|#####     | 5/10 [00:05<00:05, 1.00 it/s]',
    ' 50%|█████     | 5/10[00:05<00:05]',
    ' 50%|█████     | 5/10 [00:05<?, 0.5s/it]',
  ];
  for (const c of cases) {
    const b = viaBytes(c);
    assert.ok(b, c);
    assert.deepEqual(b, parseTqdm(c), c);
  }
});

test('parseBarBytes: other shapes are left to parseTqdm', () => {
  for (const c of [
    'Map: 100%|██████████| 10/10 [00:01<00:00, 9.1 examples/s]',
    '[rank0]: 50%|█████     | 5/10 [00:05<00:05, 1.00it/s]',
    '0: 50%|█████     | 5/10 [00:05<00:05, 1.00it/s]',
    ' 50%|█████     | 5/10 [00:05<00:05, 1.00it/s] 60%|██████    | 6/10 [00:06<00:04, 1.00it/s]',
    ' 50%|█████     | 5/10 [00:05<00:05, 1.2e+03it/s]',
    'step: 5 loss: 2.0 50%|█████     | 5/10 [00:05<00:05, 1.00it/s]',
  ]) {
    const b = viaBytes(c);
    if (b) assert.deepEqual(b, parseTqdm(c), c);
    if (c.startsWith('Map') || c.startsWith('[rank0]') || c.startsWith('0:') || c.startsWith('step')) assert.equal(b, undefined, c);
  }
});

test('parseBarBytes = parseTqdm on generated bars', () => {
  const piece = fc.constantFrom('', ' ', '  ', '0', '1', '9', '12', ':', '.', '?', ',', ', ', '<', ']', '[', '/', '%|', '|', '█', '▏', '#', 's/it', 'it/s', 'e', 'Map', '\t', '=');
  const num = fc.oneof(fc.nat(1_000_000).map(String), fc.constantFrom('0', '00', '007', '1e3', '.'));
  const hms = fc.oneof(fc.constant('?'), fc.array(fc.nat(99).map((n) => String(n).padStart(2, '0')), { minLength: 1, maxLength: 3 }).map((a) => a.join(':')));
  const rate = fc.oneof(fc.constant('?'), fc.double({ min: 0, max: 1e4, noNaN: true }).map((x) => String(Math.round(x * 100) / 100)), fc.constantFrom('0', '2.', '.5', '1.2.3'));
  const bar = fc
    .tuple(fc.array(piece, { maxLength: 6 }), num, fc.constantFrom(' ', '', '  '), num, hms, hms, fc.array(piece, { maxLength: 3 }), rate, fc.constantFrom('', ' '), fc.constantFrom('s/it', 'it/s', 'B/s', '', 'x', 'ex /s'), fc.constantFrom('', '  '))
    .map(([pre, cur, sp, tot, el, eta, mid, r, sp2, unit, trail]) => `${pre.join('')}${cur}/${tot}${sp}[${el}<${eta}${mid.join('')}, ${r}${sp2}${unit}]${trail}`);
  fc.assert(
    fc.property(bar, (seg) => {
      const b = viaBytes(seg);
      if (b) assert.deepEqual(b, parseTqdm(seg));
    }),
    { numRuns: 3000 },
  );
});
