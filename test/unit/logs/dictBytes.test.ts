// parseDictBytes (the byte-level dict parser of LogPipeline.pushBytes) against parseMetricDict:
// when it answers, the answer is parseMetricDict's (key order and -0 included); the common shape is answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDictBytes, parseDictMetricsBytes } from '../../../src/core/logs/dictBytes';
import { parseMetricDict } from '../../../src/core/logs/pyDict';
import { parseDictLine } from '../../../src/core/logs/trainerLine';

/** parseDictMetricsBytes's answer in parseDictLine's terms: values without the point's step slot. */
function asLine(buf: Buffer, start: number, end: number) {
  const m = parseDictMetricsBytes(buf, start, end);
  if (!m) return undefined;
  assert.equal(m.asPoint, true);
  const { step: slot, ...values } = m.values;
  assert.equal(slot, 0);
  assert.deepEqual(Object.keys(m.values)[0], 'step');
  return { kind: m.kind, values, step: m.step };
}

function viaBytes(seg: string): Record<string, number> | undefined {
  const buf = Buffer.from(`xx\n${seg}\nyy`, 'utf8');
  const dict = parseDictBytes(buf, 3, buf.length - 3);
  // parseDictMetricsBytes, twice (the second time from its cache of the keys): parseDictLine's answer when it answers.
  for (let i = 0; i < 2; i++) {
    const metrics = asLine(buf, 3, buf.length - 3);
    if (metrics) assert.deepEqual(metrics, parseDictLine(seg), seg);
  }
  return dict;
}

test('parseDictBytes: trainer dicts, same as parseMetricDict', () => {
  for (const c of [
    "{'loss': 1.8237, 'grad_norm': 0.5, 'learning_rate': 1.999980e-05, 'rewards/chosen': -0.1718759834766388, 'mean_token_accuracy': 0.8984374925494194, 'epoch': 0.01}",
    "{'eval_loss': 0.4417378902435303, 'eval_runtime': 148.0671, 'eval_samples_per_second': 1.56, 'epoch': 1.0}",
    "{'train_runtime': 1234.5, 'train_samples_per_second': 3.2, 'train_loss': 0.9, 'epoch': 3.0}  ",
    "{'loss': -0.0, 'step': 10, 'lr': 2E-5, 'x': .5, 'y': 5., 'z': +1, 'big': 12345678901234567890, 'e': 1e400, 'f': 1e-400}",
  ]) {
    const b = viaBytes(c);
    assert.ok(b, c);
    assert.deepEqual(b, parseMetricDict(c), c);
    const buf = Buffer.from(c);
    assert.deepEqual(asLine(buf, 0, buf.length), parseDictLine(c), c);
    assert.ok(asLine(buf, 0, buf.length), c);
  }
});

test('parseDictBytes: other shapes are left to parseMetricDict', () => {
  for (const c of [
    "{'loss': tensor(0.31, device='cuda:0'), 'epoch': 1}",
    "{'loss': nan, 'epoch': 1}",
    '{"loss": 1.0}',
    "{'model': 'llama', 'epoch': 1}",
    "{'loss': 1.0} trailing",
  ]) {
    const b = viaBytes(c);
    if (b) assert.deepEqual(b, parseMetricDict(c), c);
  }
});

test('parseDictBytes = parseMetricDict on generated dicts', () => {
  const key = fc.oneof(
    fc.constantFrom('loss', 'epoch', 'grad_norm', 'learning_rate', 'eval_loss', 'train_loss', 'step', 'lr', '0', '10', '__proto__', 'constructor', 'a b', "a'b"),
    fc.string({ maxLength: 8 }),
  );
  const value = fc.oneof(
    fc.double().map(String),
    fc.double().map((x) => x.toExponential(6)),
    fc.integer().map(String),
    fc.constantFrom('-0', '-0.0', '.5', '5.', '-.5', '+1', '1e', '1e5', '1E-7', '0.8984374925494194', '9007199254740993', '1e0000001', 'nan', '-inf', "'s'", 'tensor(1.5)', '1_0', '', '1.2.3'),
  );
  const sep = fc.constantFrom(', ', ',', ' , ', ',  ');
  const dict = fc
    .tuple(fc.array(fc.tuple(key, fc.constantFrom(': ', ':', ' : '), value), { minLength: 1, maxLength: 6 }), sep, fc.constantFrom('', ' ', '\t'))
    .map(([items, s, trail]) => `{${items.map(([k, c, v]) => `'${k}'${c}${v}`).join(s)}}${trail}`);
  fc.assert(
    fc.property(dict, (seg) => {
      const b = viaBytes(seg);
      if (b) assert.deepEqual(b, parseMetricDict(seg));
    }),
    { numRuns: 5000 },
  );
});
