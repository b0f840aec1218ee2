/**
 * GRPO on several GPUs with vLLM installed: train.py generates through a `trl vllm-serve` server
 * (vllm_mode="server", vllm_server_base_url, both GRPOConfig keywords since trl 0.18.0 in the version
 * table); one GPU keeps colocate mode; QLoRA and trl < 0.18 use no vLLM. The estimate counts no vLLM
 * share on the training GPUs in server mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { acceptsKeyword, readConfig, renderRecipe, resolveTargets } from '../../../src/core/recipes';
import { extractCalls, pyCompile, writeFiles } from './helpers';

const MATH = { method: 'grpo' as const, baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/gsm8k.jsonl', columnMapping: { prompt: 'question', answer: 'answer' } };
const H100 = { name: 'H100', memoryTotalMiB: 81559, bf16: true };
const gpus = (n: number) => Array.from({ length: n }, () => H100);

for (const stack of [{ trl: '0.19.1', transformers: '4.52.4', peft: '0.15.2' }, { trl: '1.9.0', transformers: '5.2.0', peft: '0.18.1' }]) {
  for (const adapter of ['lora', 'full'] as const) {
    test(`4 GPUs, vLLM, trl ${stack.trl}, ${adapter}: train.py uses the vLLM server, every keyword accepted by that trl`, () => {
      const env = { packages: { ...stack, vllm: '0.10.1' }, gpus: gpus(4) };
      const r = renderRecipe({ ...MATH, adapter }, { env });
      const dir = writeFiles(r.files);
      assert.equal(pyCompile([join(dir, 'train.py')]), '');
      const cfg = readConfig(r.files[0].content);
      assert.equal(cfg.VLLM_MODE, 'server');
      assert.equal(cfg.VLLM_SERVER_PORT, 8000, 'trl vllm-serve\'s default port, which the launch script passes');
      assert.equal(cfg.VLLM_GPU_MEMORY_UTILIZATION, undefined, 'no colocate share in server mode');
      const config = extractCalls(join(dir, 'train.py')).calls.find((c) => c.name === 'GRPOConfig')!;
      assert.ok(config.keywords.includes('vllm_mode') && config.keywords.includes('vllm_server_base_url'), config.keywords.join(', '));
      assert.ok(!config.keywords.includes('vllm_gpu_memory_utilization'));
      const t = resolveTargets(env.packages);
      for (const kw of config.keywords) assert.ok(acceptsKeyword('trl', 'GRPOConfig', kw, t), `GRPOConfig(${kw}=...) not accepted by trl ${t.trl}`);
      assert.match(r.files[0].content, /vllm_mode=VLLM_MODE/);
      assert.match(r.files[0].content, /vllm_server_base_url=f"http:\/\/127\.0\.0\.1:\{VLLM_SERVER_PORT\}"/);
      assert.match(r.notes.join('\n'), /vLLM server mode: generation runs on the server's own GPU/);
      assert.doesNotMatch(r.notes.join('\n'), /vLLM colocated/);
    });
  }
}

test('vllm_server_base_url is not offered to trl before 0.18 (no server mode keyword there)', () => {
  assert.equal(acceptsKeyword('trl', 'GRPOConfig', 'vllm_server_base_url', resolveTargets({ trl: '0.17.0', transformers: '4.52.4', peft: '0.15.2' })), false);
  assert.equal(acceptsKeyword('trl', 'GRPOConfig', 'vllm_server_base_url', resolveTargets({ trl: '0.18.0', transformers: '4.52.4', peft: '0.15.2' })), true);
});

test('one GPU keeps colocate; QLoRA, no vLLM or trl 0.17 on 4 GPUs use no server', () => {
  const stack = { trl: '0.19.1', transformers: '4.52.4', peft: '0.15.2' };
  const train = (packages: Record<string, string>, n: number, adapter: 'lora' | 'qlora' = 'lora') => renderRecipe({ ...MATH, adapter }, { env: { packages, gpus: gpus(n) } }).files[0].content;
  const one = train({ ...stack, vllm: '0.10.1' }, 1);
  assert.match(one, /vllm_mode="colocate"/);
  assert.equal(readConfig(one).VLLM_MODE, undefined);
  for (const src of [train({ ...stack, vllm: '0.10.1' }, 4, 'qlora'), train(stack, 4), train({ ...stack, trl: '0.17.0', vllm: '0.8.0' }, 4)]) {
    assert.doesNotMatch(src, /vllm_server_base_url|VLLM_MODE/);
  }
});

test('server mode counts the GPUs that train, not the one serving vLLM, when it fits the generation groups', () => {
  // 2 GPUs: one trains, one serves. micro-batch 4 x accumulation 1 x 2 GPUs would hold a group of 8,
  // but only one process trains: 4 x 1 x 1 = 4 is no whole group, and trl would refuse to start.
  const base = { ...MATH, adapter: 'lora' as const, numGenerations: 8, perDeviceTrainBatchSize: 4, gradientAccumulationSteps: 1 };
  const stack = { trl: '1.9.0', transformers: '5.2.0', peft: '0.18.1' };
  assert.throws(() => renderRecipe(base, { env: { packages: { ...stack, vllm: '0.10.1' }, gpus: gpus(2) } }), /micro-batch 4 x 1 x 1 GPU\(s\) is not a multiple of numGenerations \(8\).*use 2/);
  const plain = readConfig(renderRecipe(base, { env: { packages: stack, gpus: gpus(2) } }).files[0].content);
  assert.equal(plain.GRADIENT_ACCUMULATION_STEPS, 1, 'without vLLM both GPUs train: 4 x 1 x 2 = 8');
  const { gradientAccumulationSteps: _, ...unfixed } = base;
  const served = readConfig(renderRecipe(unfixed, { env: { packages: { ...stack, vllm: '0.10.1' }, gpus: gpus(2) } }).files[0].content);
  assert.equal(served.VLLM_MODE, 'server');
  assert.equal((4 * Number(served.GRADIENT_ACCUMULATION_STEPS)) % 8, 0, `4 x ${served.GRADIENT_ACCUMULATION_STEPS} on the one training GPU holds whole groups of 8`);
});

test('server mode: the logging/eval/save cadence is counted on the GPUs that train, not on the one serving vLLM', () => {
  const batch = { perDeviceTrainBatchSize: 8, gradientAccumulationSteps: 2, epochs: 1, inspection: { rows: 1200 } };
  const steps = (n: number, vllm: boolean) => {
    const env = { packages: { trl: '0.19.1', transformers: '4.52.4', peft: '0.15.2', ...(vllm ? { vllm: '0.10.1' } : {}) }, gpus: gpus(n) };
    const cfg = readConfig(renderRecipe({ ...MATH, adapter: 'lora', ...batch } as Parameters<typeof renderRecipe>[0], { env }).files[0].content);
    return [cfg.LOGGING_STEPS, cfg.EVAL_STEPS, cfg.SAVE_STEPS];
  };
  // Two GPUs in server mode train on one: the same steps per epoch as one GPU without vLLM.
  assert.deepEqual(steps(2, true), steps(1, false));
  assert.notDeepEqual(steps(2, false), steps(1, false), 'two training GPUs halve the steps (the test would not tell otherwise)');
});
