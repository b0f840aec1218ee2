import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dimsFromConfig, estimateMemory, EstimateInput, lookupModel, planBatch } from '../../../src/core/recipes';
import { relativeStepTime } from '../../../src/core/recipes/estimate';
import { renderRecipe } from '../../../src/core/recipes';

// LLaMA-Factory README "Hardware Requirement" (7B, small batch): Full bf16 AMP 120 GB, LoRA 16 GB, QLoRA 4-bit 6 GB.
const LLAMA2_7B = lookupModel('meta-llama/Llama-2-7b-hf')!;
const small = (adapter: EstimateInput['adapter']): EstimateInput => ({ dims: LLAMA2_7B, adapter, maxLength: 1024, perDeviceTrainBatchSize: 1, gradientCheckpointing: true });
const GB = 1e9 / 1024 ** 3; // GiB per GB

test('the table gives published parameter counts (±3 %)', () => {
  const expect: [string, number][] = [
    ['meta-llama/Meta-Llama-3-8B-Instruct', 8.03e9], ['meta-llama/Llama-3.1-70B', 70.6e9], ['meta-llama/Llama-3.2-1B', 1.24e9],
    ['mistralai/Mistral-7B-v0.1', 7.24e9], ['Qwen/Qwen2.5-7B-Instruct', 7.62e9], ['Qwen/Qwen2.5-0.5B', 0.49e9], ['Qwen/Qwen2.5-72B', 72.7e9],
    ['google/gemma-2-9b-it', 9.24e9], ['microsoft/phi-4', 14.7e9], ['HuggingFaceTB/SmolLM2-1.7B-Instruct', 1.71e9], ['Qwen/Qwen3-8B', 8.19e9],
    ['meta-llama/Llama-2-7b-hf', 6.74e9],
  ];
  for (const [id, params] of expect) {
    const d = lookupModel(id);
    assert.ok(d, id);
    assert.ok(Math.abs(d.params / params - 1) < 0.03, `${id}: ${d.params} vs ${params}`);
  }
  assert.equal(lookupModel('org/unknown-model'), undefined);
});

test('config.json gives the same shape as the table', () => {
  const d = dimsFromConfig({ hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, intermediate_size: 14336, vocab_size: 128256, tie_word_embeddings: false });
  assert.equal(d.params, lookupModel('meta-llama/Meta-Llama-3-8B')!.params);
  assert.throws(() => dimsFromConfig({ hidden_size: 1 }), /cannot estimate/);
});

test('7B figures match LLaMA-Factory within tolerance', () => {
  const full = estimateMemory(small('full')).totalGiB;
  const lora = estimateMemory(small('lora')).totalGiB;
  const qlora = estimateMemory(small('qlora')).totalGiB;
  // train.py keeps fp32 master weights under bf16/fp16 autocast ("full AMP 120 GB"); GRPO's script loads pure bf16 ("pure_bf16 60 GB").
  assert.ok(Math.abs(full / (120 * GB) - 1) < 0.25, `full (AMP) ${full} GiB vs 120 GB`);
  const pure = estimateMemory({ ...small('full'), precision: 'bf16' }).totalGiB;
  assert.ok(Math.abs(pure / (60 * GB) - 1) < 0.25, `full (pure bf16) ${pure} GiB vs 60 GB`);
  assert.ok(Math.abs(lora / (16 * GB) - 1) < 0.25, `LoRA ${lora} GiB vs 16 GB`);
  assert.ok(Math.abs(qlora / (6 * GB) - 1) < 0.35, `QLoRA ${qlora} GiB vs 6 GB`);
});

test('monotone: more tokens, bigger rank, no checkpointing, bigger model all cost more', () => {
  const base = small('lora');
  const t = (x: Partial<EstimateInput>) => estimateMemory({ ...base, ...x }).totalGiB;
  assert.ok(t({ perDeviceTrainBatchSize: 2 }) > t({}));
  assert.ok(t({ maxLength: 4096 }) > t({}));
  assert.ok(t({ gradientCheckpointing: false }) > t({}));
  assert.ok(t({ loraR: 64 }) > t({}));
  assert.ok(t({ dims: lookupModel('Qwen/Qwen2.5-14B')! }) > t({}));
  assert.ok(t({ adapter: 'full' }) > t({}) && t({}) > t({ adapter: 'qlora' }));
  assert.ok(t({ method: 'dpo' }) > t({ method: 'sft' }));
  const e = estimateMemory(base);
  const sum = Object.values(e.breakdownGiB).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - e.totalGiB) < 0.05);
  assert.ok(e.trainableParams > 1e6 && e.trainableParams < 0.01 * e.params);
});

test('planBatch keeps the effective batch and degrades gracefully', () => {
  const spec = { baseModel: 'meta-llama/Meta-Llama-3-8B-Instruct', adapter: 'lora' as const, method: 'sft' as const, maxLength: 2048, perDeviceTrainBatchSize: 8, gradientAccumulationSteps: 2 };
  const big = planBatch(spec, 81920);
  assert.ok(big.fits);
  assert.equal(big.perDeviceTrainBatchSize * big.gradientAccumulationSteps, 16);
  // 32 GiB (RTX 5090): LoRA fits at 2,048 tokens with a smaller micro-batch or checkpointing. On 24 GiB
  // the calibrated estimate (real H200 peaks: weights 15 GiB + logits 2.7 GiB + activations) needs QLoRA at
  // 2,048 tokens but fits LoRA at 1,024.
  const mid = planBatch(spec, 32768);
  assert.ok(mid.fits);
  assert.equal(mid.adapter, 'lora');
  assert.ok(mid.perDeviceTrainBatchSize < 8 || mid.gradientCheckpointing);
  assert.equal(mid.perDeviceTrainBatchSize * mid.gradientAccumulationSteps, 16);
  const rtx4090 = planBatch({ ...spec, maxLength: 1024 }, 24576);
  assert.equal(rtx4090.adapter, 'lora');
  assert.equal(planBatch(spec, 24576).adapter, 'qlora');
  const t4 = planBatch(spec, 15360);
  assert.equal(t4.adapter, 'qlora');
  assert.ok(t4.notes.some((n) => /only QLoRA fits/.test(n)));
  const none = planBatch({ ...spec, baseModel: 'meta-llama/Llama-3.1-70B' }, 8192);
  assert.equal(none.fits, false);
  assert.ok(none.notes.some((n) => /Nothing fits/.test(n)));
  assert.throws(() => planBatch({ ...spec, baseModel: 'org/unknown' }, 8192), /config\.json/);
});

test('planBatch picks the fastest plan that fits: no checkpointing at a smaller micro-batch over checkpointing at a bigger one', () => {
  const spec = { baseModel: 'meta-llama/Meta-Llama-3-8B-Instruct', adapter: 'lora' as const, method: 'sft' as const, maxLength: 2048, perDeviceTrainBatchSize: 8, gradientAccumulationSteps: 2 };
  const dims = lookupModel(spec.baseModel)!;
  const at = (bs: number, gc: boolean) => estimateMemory({ dims, adapter: 'lora', method: 'sft', maxLength: 2048, perDeviceTrainBatchSize: bs, gradientCheckpointing: gc }).totalGiB;
  // On an 80 GiB GPU the estimate fits both micro-batch 8 with checkpointing and micro-batch 2 without.
  assert.ok(at(8, true) < 80 * 0.9 && at(2, false) < 80 * 0.9 && at(4, false) > 80);
  const plan = planBatch(spec, 81920);
  assert.deepEqual([plan.perDeviceTrainBatchSize, plan.gradientAccumulationSteps, plan.gradientCheckpointing], [2, 8, false]);
  assert.ok(plan.notes.some((n) => /Gradient checkpointing off at micro-batch 2: faster than micro-batch 8 with checkpointing/.test(n)));
  assert.ok(relativeStepTime(2, 2048, false) < relativeStepTime(4, 2048, true) && relativeStepTime(4, 2048, true) < relativeStepTime(8, 2048, true) * 1.3);
  // When checkpointing is what fits, it stays; when the user asked for it, it is kept.
  assert.equal(planBatch({ ...spec, maxLength: 8192 }, 32768).gradientCheckpointing, true);
  assert.equal(planBatch({ ...spec, gradientCheckpointing: true }, 81920).gradientCheckpointing, true);
  // Tiny micro-batches starve the GPU: at 256 tokens checkpointing at micro-batch 8 beats micro-batch 1 without it.
  assert.ok(relativeStepTime(8, 256, true) < relativeStepTime(1, 256, false));
});

test('KTO plans a per-step batch of at least 4 (trl KTO docs: the KL estimate is poor below it), or says it cannot', () => {
  const spec = { baseModel: 'meta-llama/Meta-Llama-3-8B-Instruct', adapter: 'lora' as const, maxLength: 2048, perDeviceTrainBatchSize: 8, gradientAccumulationSteps: 2 };
  assert.equal(planBatch({ ...spec, method: 'sft' }, 81920).perDeviceTrainBatchSize, 2, 'SFT takes the fastest plan, micro-batch 2');
  const kto = planBatch({ ...spec, method: 'kto' }, 81920);
  assert.ok(kto.fits && kto.perDeviceTrainBatchSize >= 4 && kto.gradientCheckpointing, JSON.stringify(kto));
  assert.equal(kto.perDeviceTrainBatchSize * kto.gradientAccumulationSteps, 16);
  // QLoRA at 4,096 tokens on 32 GiB fits only micro-batch 1: the plan says so instead of staying silent.
  const tight = planBatch({ ...spec, adapter: 'qlora', method: 'kto', maxLength: 4096 }, 32768);
  assert.equal(tight.perDeviceTrainBatchSize, 1);
  assert.ok(tight.notes.some((n) => /KTO: only micro-batch 1 fits in 32 GiB; below 4 its KL estimate is poor .* and trl refuses 1: shorten MAX_LENGTH/.test(n)), JSON.stringify(tight.notes));
  const src = renderRecipe({ method: 'kto', baseModel: 'm/x', dataset: 'd.jsonl', perDeviceTrainBatchSize: 2, columnMapping: { prompt: 'prompt', completion: 'completion', label: 'label' } });
  assert.match(src.files[0].content, /PER_DEVICE_TRAIN_BATCH_SIZE = 2 +# micro-batch per GPU; KTO: keep it >= 4/);
  assert.ok(src.notes.some((n) => /KTO with micro-batch 2: .*at least 4/.test(n)));
});
