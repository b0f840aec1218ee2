/**
 * Bad input the user (or a page in the webview) can hand us: specs with
 * missing or contradictory fields, forged webview messages, and random
 * dataset rows through the real python helper.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { parseWebviewMessage, isParseError, WEBVIEW_MESSAGE_TYPES } from '../../../src/core/protocol';
import { inspectData } from '../../../src/core/python/helpers';
import { PythonHelperError } from '../../../src/core/python/runHelper';
import { resolveSpec, SpecError } from '../../../src/core/recipes/spec';
import { tempDir } from './helpers';

function specProblems(input: unknown): string[] {
  try {
    resolveSpec(input);
  } catch (err) {
    assert.ok(err instanceof SpecError, `a SpecError, not ${String(err)}`);
    assert.doesNotMatch(err.message, /\n\s+at /);
    return err.problems;
  }
  return assert.fail('expected the spec to be refused');
}

test('resolveSpec: missing and contradictory fields are named, each with what to do', () => {
  assert.deepEqual(specProblems(null), ['the spec must be a JSON object']);
  assert.deepEqual(specProblems([]), ['the spec must be a JSON object']);
  const missing = specProblems({ method: 'sft' }).join('\n');
  assert.match(missing, /baseModel: required for sft/);
  assert.match(missing, /dataset: required for training/);
  assert.match(specProblems({ method: 'pretrain' }).join('\n'), /method: must be one of/);
  const contradictory = specProblems({
    method: 'sft',
    baseModel: 'Qwen/Qwen2.5-0.5B-Instruct',
    dataset: 'data/train.jsonl',
    bf16: true,
    fp16: true,
    adapter: 'full',
    loraR: 16,
    evalSplit: 0.9,
    maxLength: 512,
    maxPromptLength: 1024,
    perDeviceTrainBatchSize: 2.5,
    learningRate: -1,
  }).join('\n');
  for (const re of [/bf16 and fp16: choose one/, /adapter "full" trains every weight/, /evalSplit: a fraction from 0 to 0\.5/, /maxPromptLength \(1024\) must be smaller than maxLength \(512\)/, /perDeviceTrainBatchSize: must be a whole number/, /learningRate: must be a number in \(0, 1\] \(got -1\)/]) {
    assert.match(contradictory, re);
  }
});

test('resolveSpec never throws anything but a SpecError on random objects', () => {
  fc.assert(
    fc.property(
      fc.dictionary(
        fc.constantFrom('method', 'baseModel', 'dataset', 'adapter', 'evalSplit', 'bf16', 'fp16', 'maxLength', 'maxPromptLength', 'loraR', 'loraDropout', 'hubRepo', 'epochs', 'perDeviceTrainBatchSize', 'learningRate'),
        fc.jsonValue(),
      ),
      (spec) => {
        try {
          resolveSpec(spec);
        } catch (err) {
          assert.ok(err instanceof SpecError, String(err));
        }
      },
    ),
    // The first once threw a TypeError ("Cannot convert object to primitive value") from maxLength / 2.
    { numRuns: 300, examples: [[{ method: 'sft', maxLength: { toString: 0 } }], [{ method: 'dpo', maxPromptLength: { valueOf: [] } }]] },
  );
});

test('webview: forged types and payloads are refused; nothing extra survives', () => {
  const forged: unknown[] = [
    { type: 'runCommand', argv: ['curl', 'http://x'] },
    { type: 'acceptChange' },
    { type: 'acceptChange', changeId: 'a b; rm -rf /' },
    { type: 'acceptChange', changeId: 'c-1', auto: true },
    { type: 'send', text: 42 },
    { type: 'send', text: 'x'.repeat(20_001) },
    { type: 'openLink', href: 'h'.repeat(2_001) },
    JSON.parse('{"type":"stop","__proto__":{"polluted":true}}'),
    Object.create({ type: 'ready' }),
    { type: ['send'], text: 'hi' },
    { type: 'toString' },
    { type: 'constructor' },
    { type: 'hasOwnProperty' },
    'send',
    null,
  ];
  for (const raw of forged) assert.ok(isParseError(parseWebviewMessage(raw)), JSON.stringify(raw));
  assert.equal(({} as { polluted?: boolean }).polluted, undefined);
  const ok = parseWebviewMessage({ type: 'rejectChange', changeId: 'run-1-change-2', reason: 'no' });
  assert.deepEqual(ok, { type: 'rejectChange', changeId: 'run-1-change-2', reason: 'no' });
});

test('property: parseWebviewMessage never throws and never accepts an unknown type or field', () => {
  const known = new Set<string>(WEBVIEW_MESSAGE_TYPES);
  fc.assert(
    fc.property(fc.oneof(fc.anything(), fc.record({ type: fc.oneof(fc.string(), fc.constantFrom(...WEBVIEW_MESSAGE_TYPES)) }, { requiredKeys: [] }).chain((base) => fc.dictionary(fc.string(), fc.anything()).map((extra) => ({ ...extra, ...base })))), (raw) => {
      const r = parseWebviewMessage(raw);
      if (isParseError(r)) return;
      assert.ok(known.has(r.type), `accepted unknown type ${String(r.type)}`);
      for (const [k, v] of Object.entries(r)) assert.equal(typeof v, 'string', `field ${k}`);
      // Only fields the input had, with the same values.
      for (const k of Object.keys(r)) assert.equal((raw as Record<string, unknown>)[k], (r as unknown as Record<string, unknown>)[k]);
    }),
    { numRuns: 2000 },
  );
});

test('property: inspect_data.py on random JSONL rows answers with JSON, never a traceback (20 runs)', { timeout: 60_000 }, async () => {
  const dir = tempDir('mli-hard-rows-');
  const row = fc.oneof(
    { weight: 6, arbitrary: fc.dictionary(fc.constantFrom('text', 'prompt', 'completion', 'chosen', 'rejected', 'messages', 'label', 'input', 'output', 'instruction', fc.sample(fc.string(), 1)[0]), fc.jsonValue({ maxDepth: 3 })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(row, { maxLength: 40 }), fc.boolean(), async (rows, cutLast) => {
      const file = path.join(dir, `rows-${n++}.jsonl`);
      let text = rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
      if (cutLast && text.length > 4) text = text.slice(0, -3);
      writeFileSync(file, text);
      let result;
      try {
        result = await inspectData('python3', file, { timeoutMs: 30_000 });
      } catch (err) {
        // A refusal is fine when it is a clear message from the helper.
        assert.ok(err instanceof PythonHelperError && err.kind === 'helper-error', String(err));
        assert.doesNotMatch(err.message + err.stderr, /Traceback/);
        return;
      }
      assert.equal(typeof result, 'object');
      assert.ok(Array.isArray(result.problems));
      const isObject = (r: unknown) => r !== null && typeof r === 'object' && !Array.isArray(r);
      // A .jsonl that is one JSON array is read as that array's rows, as the datasets json loader reads it (data_files.py).
      const wholeArray = rows.length === 1 && Array.isArray(rows[0]) && !cutLast;
      const objects = wholeArray ? (rows[0] as unknown[]).filter(isObject).length : rows.filter(isObject).length;
      assert.ok(result.rows <= objects, `rows ${result.rows} <= objects ${objects}`);
      if (result.trainable) assert.ok(result.rows > 0);
    }),
    { numRuns: 20 },
  );
});
