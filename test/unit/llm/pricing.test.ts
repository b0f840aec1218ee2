import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { DEFAULT_MODEL, MODELS, contextWindowOf, costOf, knownModels, maxOutputOf, priceOf } from '../../../src/core/llm/pricing';

const U = { inputTokens: 1_000_000, outputTokens: 1_000_000, cachedInputTokens: 1_000_000, cacheWriteTokens: 1_000_000 };

test('dated and vendor-prefixed ids find their family by longest prefix', () => {
  assert.equal(priceOf('gpt-4o-mini-2024-07-18')?.input, 0.15);
  assert.equal(priceOf('gpt-4o-2024-08-06')?.input, 2.5);
  assert.equal(priceOf('gpt-4.1-mini-2025-04-14')?.input, 0.4);
  assert.equal(priceOf('gpt-4.1-2025-04-14')?.input, 2);
  assert.equal(priceOf('gpt-5-mini-2025-08-07')?.input, 0.25);
  assert.equal(priceOf('claude-sonnet-4-5-20250929')?.input, 3);
  assert.equal(priceOf('claude-opus-4-1-20250805')?.output, 75);
  assert.equal(priceOf('claude-3-5-haiku-latest')?.input, 0.8);
  assert.equal(priceOf('openai/gpt-4.1')?.input, 2);
  // A different family that merely shares characters does not match.
  assert.equal(priceOf('gpt-4.10'), undefined);
  assert.equal(priceOf('o3x'), undefined);
});

test('costOf bills cached reads and cache writes at their own rates', () => {
  const c = costOf('claude-sonnet-4-5', U);
  assert.deepEqual(c, { usd: 3 + 15 + 0.3 + 3.75, known: true });
  const o = costOf('gpt-4.1', { inputTokens: 500_000, outputTokens: 0, cachedInputTokens: 500_000, cacheWriteTokens: 0 });
  assert.equal(o.usd, 1 + 0.25);
});

test('an unknown model costs 0 and says the price is unknown', () => {
  assert.deepEqual(costOf('Qwen/Qwen2.5-72B-Instruct', U), { usd: 0, known: false });
});

test('mlIntern.prices overrides the table and prices unknown models', () => {
  const overrides = { 'gpt-4.1': { input: 10, output: 20 }, 'Qwen/Qwen2.5': { input: 1, output: 2, cachedInput: 0.5 } };
  assert.equal(costOf('gpt-4.1-2025-04-14', { ...U, cacheWriteTokens: 0 }, overrides).usd, 10 + 20 + 10);
  assert.deepEqual(costOf('Qwen/Qwen2.5-72B-Instruct', { ...U, cacheWriteTokens: 0 }, overrides), { usd: 1 + 2 + 0.5, known: true });
});

test('context windows: setting first, then the table, else 128k', () => {
  assert.equal(contextWindowOf('gpt-4.1'), 1_047_576);
  assert.equal(contextWindowOf('claude-haiku-4-5-20251001'), 200_000);
  assert.equal(contextWindowOf('llama3.1:8b'), 128_000);
  assert.equal(contextWindowOf('gpt-4.1', 32_000), 32_000);
  assert.equal(maxOutputOf('claude-3-5-haiku-20241022'), 8_192);
});

test('knownModels lists each provider’s table entries', () => {
  assert.ok(knownModels('openai').includes('gpt-4.1'));
  assert.ok(knownModels('anthropic').includes('claude-sonnet-4-5'));
  assert.ok(!knownModels('openai').some((m) => m.startsWith('claude')));
});

test('the default Anthropic model is not one the installed SDK calls deprecated', () => {
  // The SDK warns on every request with a deprecated id, and the model stops working at its end of life.
  // Not an exported subpath of the package: read the file from the installed package's folder.
  const sdk = path.resolve(__dirname, '../../../node_modules/@anthropic-ai/sdk');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DEPRECATED_MODELS } = require(path.join(sdk, 'internal/data/deprecated-models.js')) as { DEPRECATED_MODELS: Record<string, string> };
  assert.ok(Object.keys(DEPRECATED_MODELS).length > 0);
  assert.equal(DEPRECATED_MODELS[DEFAULT_MODEL.anthropic], undefined, `${DEFAULT_MODEL.anthropic} is deprecated`);
  for (const id of Object.keys(DEPRECATED_MODELS)) {
    const note = MODELS[id]?.note ?? '';
    if (MODELS[id]) assert.match(note, /deprecated/, `${id} is deprecated by the SDK; the picker should say so`);
  }
  assert.equal(priceOf('claude-sonnet-5-5')?.input, 2);
});
