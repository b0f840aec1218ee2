/**
 * GRPO's memory estimate: a reference model only when beta > 0 (full fine-tuning), and the KV cache
 * of the sampled completions, which grows with the sequence length and micro-batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateMemory, lookupModel } from '../../../src/core/recipes';

const dims = lookupModel('Qwen/Qwen2.5-7B-Instruct')!;
const base = { dims, adapter: 'full' as const, method: 'grpo' as const, maxLength: 2048, perDeviceTrainBatchSize: 8, gradientCheckpointing: true, precision: 'bf16' as const };

test('beta 0 keeps no reference model; beta > 0 adds a bf16 copy of the weights (full fine-tuning)', () => {
  const without = estimateMemory({ ...base, beta: 0 });
  const withRef = estimateMemory({ ...base, beta: 0.04 });
  const copyGiB = (2 * dims.params) / 2 ** 30;
  assert.ok(Math.abs(withRef.breakdownGiB.weights - without.breakdownGiB.weights - copyGiB) < 0.05, `${withRef.breakdownGiB.weights} vs ${without.breakdownGiB.weights}`);
  // With LoRA the reference is the base with the adapter disabled: no copy.
  assert.equal(estimateMemory({ ...base, adapter: 'lora', beta: 0.04 }).breakdownGiB.weights, estimateMemory({ ...base, adapter: 'lora', beta: 0 }).breakdownGiB.weights);
});

test('the generation KV cache is counted for GRPO only and scales with sequences x length', () => {
  const g = estimateMemory(base).breakdownGiB.generation!;
  // 2 (K,V) x 2 bytes x layers x KV heads x head dim x 8 sequences x 2048 tokens.
  const expected = (4 * dims.numLayers * dims.numKvHeads * dims.headDim * 8 * 2048) / 2 ** 30;
  assert.ok(Math.abs(g - expected) < 0.01, `${g} vs ${expected}`);
  assert.ok(Math.abs(estimateMemory({ ...base, perDeviceTrainBatchSize: 16 }).breakdownGiB.generation! - 2 * g) < 0.02);
  assert.equal(estimateMemory({ ...base, method: 'sft' }).breakdownGiB.generation, undefined);
});
