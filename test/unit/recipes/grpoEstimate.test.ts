/**
 * GRPO's memory estimate: a reference model only when beta > 0 (full fine-tuning), and the KV cache
 * of the sampled completions, which grows with the sequence length and micro-batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateMemory, lookupModel, planBatch, readConfig, renderRecipe } from '../../../src/core/recipes';
import { VLLM_COLOCATE_SHARE } from '../../../src/core/recipes/vllmShare';

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

test('vLLM colocated takes its share of the card (vllm_gpu_memory_utilization) in place of transformers\' KV cache; server mode takes nothing here', () => {
  const gpu = 81559; // an H100's MiB
  const lora = { ...base, adapter: 'lora' as const, gpuMemoryMiB: gpu };
  const plain = estimateMemory(lora);
  const colocate = estimateMemory({ ...lora, vllm: { mode: 'colocate', gpuMemoryUtilization: 0.3 } });
  const server = estimateMemory({ ...lora, vllm: { mode: 'server' } });
  const share = (0.3 * gpu) / 1024;
  assert.ok(Math.abs(colocate.breakdownGiB.vllm! - share) < 0.01, `${colocate.breakdownGiB.vllm} vs ${share}`);
  assert.equal(colocate.breakdownGiB.generation, 0, 'vLLM generates: no transformers KV cache beside it');
  assert.equal(server.breakdownGiB.vllm, 0);
  assert.equal(server.breakdownGiB.generation, 0);
  assert.ok(Math.abs(colocate.totalGiB - server.totalGiB - share) < 0.02, 'colocate = server + the share');
  assert.ok(plain.breakdownGiB.generation! > 0 && plain.breakdownGiB.vllm === undefined);
  const bigger = estimateMemory({ ...lora, vllm: { mode: 'colocate', gpuMemoryUtilization: 0.5 } });
  assert.ok(Math.abs(bigger.breakdownGiB.vllm! - (0.5 * gpu) / 1024) < 0.01, 'the user\'s VLLM_GPU_MEMORY_UTILIZATION counts');
});

test('the batch plan leaves vLLM its share and says so; QLoRA (no vLLM in the recipe) and server mode plan the whole card', () => {
  const spec = { baseModel: 'Qwen/Qwen2.5-7B-Instruct', adapter: 'lora' as const, method: 'grpo' as const, maxLength: 4096, perDeviceTrainBatchSize: 16, gradientAccumulationSteps: 1 };
  const gpu = 81559;
  const plain = planBatch(spec, gpu);
  const colocate = planBatch({ ...spec, vllm: { mode: 'colocate', gpuMemoryUtilization: 0.3 } }, gpu);
  assert.ok(colocate.estimate.totalGiB <= (gpu / 1024) * 0.9, 'the plan fits with the share counted');
  assert.ok(colocate.estimate.breakdownGiB.vllm! > 23, JSON.stringify(colocate.estimate.breakdownGiB));
  assert.ok(colocate.notes.some((n) => /vLLM colocated on the training GPU takes 30 % of it \(23\.9 GiB/.test(n)), colocate.notes.join('\n'));
  assert.ok(plain.notes.every((n) => !/vLLM/.test(n)));
  const server = planBatch({ ...spec, vllm: { mode: 'server' } }, gpu);
  assert.ok(server.notes.some((n) => /server mode: .*keep one GPU free for it/.test(n)), server.notes.join('\n'));
  assert.equal(server.estimate.breakdownGiB.vllm, 0);
  const tight = planBatch({ ...spec, baseModel: 'Qwen/Qwen2.5-14B-Instruct', vllm: { mode: 'colocate', gpuMemoryUtilization: 0.9 } }, 24576);
  if (!tight.fits) assert.ok(tight.notes.some((n) => /lower VLLM_GPU_MEMORY_UTILIZATION/.test(n)), tight.notes.join('\n'));
  else assert.equal(tight.adapter, 'qlora', 'only QLoRA, which generates without vLLM, can fit');
});

test('the recipe counts vLLM as its train.py uses it: installed, trl >= 0.18, not QLoRA', () => {
  const MATH = { method: 'grpo' as const, baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/gsm8k.jsonl', columnMapping: { prompt: 'question', answer: 'answer' } };
  const gpus = [{ name: 'H100', memoryTotalMiB: 81559, bf16: true }];
  const notes = (packages: Record<string, string>, adapter: 'lora' | 'qlora' = 'lora') => renderRecipe({ ...MATH, adapter }, { env: { packages, gpus } }).notes.join('\n');
  const stack = { trl: '0.19.1', transformers: '4.52.4', peft: '0.15.2' };
  assert.match(notes({ ...stack, vllm: '0.9.1' }), /vLLM colocated on the training GPU takes 30 %/);
  assert.doesNotMatch(notes(stack), /vLLM colocated/, 'no vLLM installed: transformers generates');
  assert.doesNotMatch(notes({ ...stack, vllm: '0.9.1' }, 'qlora'), /vLLM colocated/);
  assert.doesNotMatch(notes({ ...stack, trl: '0.17.0', vllm: '0.8.0' }), /vLLM colocated/, 'no colocate mode before trl 0.18');
  const train = renderRecipe({ ...MATH }, { env: { packages: { ...stack, vllm: '0.9.1' }, gpus } }).files[0].content;
  assert.equal(readConfig(train).VLLM_GPU_MEMORY_UTILIZATION, VLLM_COLOCATE_SHARE, 'the script sets the share the estimate counts');
});
