import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvReport } from '../../../../src/core/python';
import { fakeGpuEnv, harness, workspace } from './context';

test('environment: GPUs, bf16, libraries and what is missing, from env_report.py', async () => {
  const ws = workspace();
  try {
    const h = harness(ws, { env: fakeGpuEnv() });
    const r = await h.call('environment', {});
    assert.equal(r.ok, true, r.output);
    assert.match(r.output, /GPUs \(3, from nvidia-smi; CUDA 12\.2, driver 535\.104\.05\)/);
    assert.match(r.output, /GPU 0: Tesla T4, 15\.0 GiB total.*compute capability 7\.5, bf16 no/);
    assert.match(r.output, /GPU 2: NVIDIA A100-SXM4-80GB, 80\.0 GiB total.*bf16 yes, FlashAttention 2 capable yes/);
    assert.match(r.output, /Python 3\.\d+/);
    assert.match(r.output, /Hugging Face token: /);
    const report = r.data as EnvReport;
    assert.equal(report.gpus.length, 3);
    // Whatever this machine has, every training library is listed either as installed or as missing.
    for (const lib of ['torch', 'transformers', 'trl', 'peft', 'datasets', 'accelerate']) {
      assert.ok(new RegExp(`Installed:.*\\b${lib} |MISSING for training:.*\\b${lib}\\b`).test(r.output), `${lib} in ${r.output}`);
    }
    const noGpu = await harness(ws, { env: { PATH: '/usr/bin:/bin' }, python: process.env.ML_INTERN_PYTHON || 'python3' }).call('environment', {});
    assert.equal(noGpu.ok, true, noGpu.output);
    assert.match(noGpu.output, /GPUs: none found/);
    const broken = await harness(ws, { python: '/no/such/python3' }).call('environment', {});
    assert.equal(broken.ok, false);
    assert.match(broken.output, /mlIntern\.pythonPath/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('estimate_memory: breakdown, plan for a given GPU, default GPU from the environment report', async () => {
  const ws = workspace();
  try {
    const h = harness(ws, { env: fakeGpuEnv() });
    const small = await h.call('estimate_memory', { baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', gpuMemoryMiB: 24576 });
    assert.equal(small.ok, true, small.output);
    assert.match(small.output, /Qwen\/Qwen2\.5-0\.5B-Instruct: 0\.\d+B parameters, [\d.]+M trainable \(SFT, lora\)/);
    assert.match(small.output, /Estimated peak .*~[\d.]+ GiB \(weights [\d.]+, gradients/);
    assert.match(small.output, /Plan for 24 GiB \(as given; 90 % usable\): FITS with adapter lora/);

    const big = await h.call('estimate_memory', { baseModel: 'meta-llama/Meta-Llama-3-70B-Instruct', adapter: 'full', gpuMemoryMiB: 24576 });
    assert.equal(big.ok, true, big.output);
    assert.match(big.output, /DOES NOT FIT/);
    assert.match(big.output, /Nothing fits in 24 GiB/);
    assert.match(big.output, /SCOPE: full fits this GPU not even with the leanest setting/);
    // Full fine-tuning of a 7B model on 24 GiB needs another adapter: the user's call, not a silent switch.
    const full7b = await h.call('estimate_memory', { baseModel: 'Qwen/Qwen2.5-7B-Instruct', adapter: 'full', gpuMemoryMiB: 24576 });
    assert.match(full7b.output, /SCOPE: full fits this GPU only with adapter "q?lora" instead of "full"\. .*ask the user \(ask_user\)/);
    assert.doesNotMatch(full7b.output, /Pass these to write_recipe/);
    assert.match(small.output, /It fits as asked: perDeviceTrainBatchSize \d+/);

    // No GPU given: the fake nvidia-smi's first GPU (a 15 GiB T4).
    const def = await h.call('estimate_memory', { baseModel: 'Qwen/Qwen2.5-7B-Instruct', method: 'dpo' });
    assert.match(def.output, /Plan for 15 GiB \(Tesla T4, from the environment report/);
    assert.match(def.output, /\(DPO, lora\)/);

    // A workspace folder with config.json.
    mkdirSync(join(ws, 'models', 'tiny'), { recursive: true });
    writeFileSync(join(ws, 'models', 'tiny', 'config.json'), JSON.stringify({ hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, vocab_size: 32000, intermediate_size: 1024 }));
    const local = await h.call('estimate_memory', { baseModel: 'models/tiny', gpuMemoryMiB: 8192 });
    assert.equal(local.ok, true, local.output);
    assert.match(local.output, /models\/tiny: 0\.0\dB parameters/);

    const unknown = await h.call('estimate_memory', { baseModel: 'acme/secret-model-9000' });
    assert.equal(unknown.ok, false);
    assert.match(unknown.output, /not in the built-in model table .*config\.json/);
    const bad = await h.call('estimate_memory', { baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', adapter: 'lorra' });
    assert.equal(bad.ok, false);
    assert.match(bad.output, /must be one of "lora", "qlora", "full"/);
    assert.equal(h.proposals.length + h.approvals.length, 0);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
