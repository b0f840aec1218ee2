/**
 * Full fine-tuning as train.py really runs it: fp32 master weights (trl's own default since PR #4778),
 * 16 bytes per parameter with AdamW, so an 8B model does not fit one 80 GiB card; with several GPUs
 * the recipe shards it with FSDP and proposes the accelerate config beside train.py.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planFullSharding, lookupModel, renderRecipe } from '../../../src/core/recipes';

const H100 = { name: 'NVIDIA H100 80GB HBM3', memoryTotalMiB: 81559, bf16: true };
const env = (gpus: number) => ({ packages: { trl: '1.9.0', transformers: '4.57.0', peft: '0.17.0' }, gpus: Array.from({ length: gpus }, () => H100) });
const spec = (baseModel: string, method: 'sft' | 'dpo' = 'sft') => ({
  method, adapter: 'full' as const, baseModel, dataset: 'data/train.jsonl',
  columnMapping: method === 'dpo' ? { prompt: 'q', chosen: 'c', rejected: 'r' } : { user: 'q', assistant: 'a' },
});
const trainPy = (r: ReturnType<typeof renderRecipe>) => r.files.find((f) => f.path === 'train.py')!.content;

test('an 8B full fine-tune on 4 H100s: FSDP across the 4, its accelerate config proposed and launched, fp32 master weights in train.py', () => {
  const r = renderRecipe(spec('meta-llama/Llama-3.1-8B-Instruct'), { env: env(4) });
  const cfg = r.files.find((f) => f.path === 'accelerate_fsdp.yaml');
  assert.ok(cfg, `files: ${r.files.map((f) => f.path).join(', ')}`);
  assert.match(cfg.content, /^distributed_type: FSDP$/m);
  assert.match(cfg.content, /fsdp_sharding_strategy: FULL_SHARD/);
  assert.match(cfg.content, /^num_processes: 4$/m);
  assert.match(cfg.content, /^mixed_precision: bf16$/m);
  assert.deepEqual(r.commands[0].argv, ['accelerate', 'launch', '--config_file', 'accelerate_fsdp.yaml', 'train.py']);
  assert.ok(r.notes.some((n) => /FSDP shards it across the 4 GPUs/.test(n)), r.notes.join('\n'));
  assert.ok(r.notes.some((n) => /per GPU \(FSDP across 4\)/.test(n)), r.notes.join('\n'));
  const src = trainPy(r);
  assert.match(src, /MODEL_DTYPE = torch\.float32/);
  // Under FSDP the Trainer shards the weights: no per-process device_map then.
  assert.match(src, /ACCELERATE_USE_FSDP/);
  assert.match(src, /set_state_dict_type\("FULL_STATE_DICT"\)/);
});

test('the same 8B on one H100 is not planned as if it fit: the recipe says how many GPUs it takes, and offers LoRA', () => {
  const r = renderRecipe(spec('meta-llama/Llama-3.1-8B-Instruct'), { env: env(1) });
  assert.ok(!r.files.some((f) => f.path === 'accelerate_fsdp.yaml'));
  assert.deepEqual(r.commands[0].argv, ['python', 'train.py']);
  const note = r.notes.find((n) => /it takes \d+ GPUs of 80 GiB with FSDP, and 1 is available/.test(n));
  assert.ok(note, r.notes.join('\n'));
  assert.ok(r.notes.some((n) => /Consider adapter "(lora|qlora)"/.test(n)), r.notes.join('\n'));
  const plan = planFullSharding({ dims: lookupModel('meta-llama/Llama-3.1-8B-Instruct')!, adapter: 'full', method: 'sft', maxLength: 2048, perDeviceTrainBatchSize: 1, precision: 'fp32', gpusAvailable: 1, gpuMemoryMiB: H100.memoryTotalMiB });
  assert.equal(plan.strategy, 'none');
  // 8B x 16 B = ~120 GiB of states alone: two cards at least.
  assert.ok((plan.gpusNeeded ?? 0) >= 2, String(plan.gpusNeeded));
  assert.ok(plan.perGpu.totalGiB > 110, String(plan.perGpu.totalGiB));
});

test('a 0.5B full fine-tune fits one GPU: no FSDP config, python train.py', () => {
  const r = renderRecipe(spec('Qwen/Qwen2.5-0.5B-Instruct'), { env: env(4) });
  assert.ok(!r.files.some((f) => f.path === 'accelerate_fsdp.yaml'));
  assert.deepEqual(r.commands[0].argv, ['python', 'train.py']);
});

test('full DPO loads its frozen reference in 16-bit, not a second fp32 copy', () => {
  const src = trainPy(renderRecipe(spec('Qwen/Qwen2.5-0.5B-Instruct', 'dpo'), { env: env(1) }));
  assert.match(src, /ref_model = AutoModelForCausalLM\.from_pretrained\([\s\S]*?dtype=torch\.bfloat16 if BF16 else torch\.float16/);
  assert.match(src, /ref_model=ref_model/);
});
