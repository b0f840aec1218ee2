#!/usr/bin/env node
// Render the GPU end-to-end cases into .gpu-e2e/cases/<case>/: the scripts `ml-intern recipe`
// writes for the lent GPU machine (H200, torch 2.11, transformers 5.17, peft 0.21, accelerate 1.15,
// and trl 1.9.0 / datasets 5.0.1 put on PYTHONPATH by site.sh), each beside its dataset (real rows
// from ../shared/data, repeated so a run has several optimizer steps).
// Usage (repository root, after npm run build): node scripts/gpu-check/trl-e2e/cases.mjs [shared-data-dir]
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve('.');
const shared = resolve(process.argv[2] ?? join(root, '..', 'shared', 'data', 'datasets'));
const out = join(root, '.gpu-e2e', 'cases');
const cli = join(root, 'dist', 'cli.js');
// device.sh builds two tiny Llamas there (tiny_model.py): a base model (no pad token, no chat
// template) and an instruct one (Llama-3 chat template, pad token).
const BASE = '/tmp/mli-tiny/llama';
const CHAT = '/tmp/mli-tiny/llama-chat';

const env = {
  gpus: [{ name: 'NVIDIA H200', memoryTotalMiB: 143771, memoryFreeMiB: 143156, computeCapability: '9.0', bf16: true, flashAttention: true }],
  packages: { torch: '2.11.0', transformers: '5.17.0', trl: '1.9.0', peft: '0.21.0', datasets: '5.0.1', accelerate: '1.15.0' },
};
// Small steps so a tiny dataset still logs, evaluates and checkpoints.
const small = { epochs: 2, perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2, maxLength: 512, maxPromptLength: 256, loggingSteps: 2, evalSteps: 6, saveSteps: 12, evalSplit: 0.1 };

const cases = [
  { name: 'sft-lora-custom-qa', data: join(root, 'examples/medical-qa/data/medical_qa.jsonl'), repeat: 2, spec: { method: 'sft', adapter: 'lora' } },
  { name: 'sft-full-alpaca', data: join(shared, 'tatsu-lab_alpaca.jsonl'), repeat: 12, spec: { method: 'sft', adapter: 'full' } },
  { name: 'sft-lora-sharegpt', data: join(shared, 'medicalgpt_sharegpt_gpt4_zh.jsonl'), repeat: 16, spec: { method: 'sft', adapter: 'lora' } },
  { name: 'sft-lora-messages', data: join(shared, 'openai_cookbook_toy_chat_fine_tuning.jsonl'), repeat: 12, spec: { method: 'sft', adapter: 'lora', baseModel: CHAT } },
  { name: 'dpo-lora-implicit', data: join(shared, 'huggingfaceh4_ultrafeedback_binarized.jsonl'), repeat: 12, spec: { method: 'dpo', adapter: 'lora' } },
  { name: 'dpo-lora-sharegpt', data: join(shared, 'llamafactory_dpo_en_demo.jsonl'), repeat: 16, spec: { method: 'dpo', adapter: 'lora', baseModel: CHAT } },
  { name: 'dpo-full-implicit', data: join(shared, 'huggingfaceh4_ultrafeedback_binarized.jsonl'), repeat: 12, spec: { method: 'dpo', adapter: 'full' } },
  { name: 'orpo-lora', data: join(shared, 'huggingfaceh4_ultrafeedback_binarized.jsonl'), repeat: 12, spec: { method: 'orpo', adapter: 'lora' } },
  { name: 'dpo-lora-hh-rlhf', data: join(shared, 'anthropic_hh-rlhf_harmless-base.jsonl'), repeat: 12, spec: { method: 'dpo', adapter: 'lora', baseModel: CHAT } },
  { name: 'sft-lora-toolcall', data: join(shared, 'llamafactory_glaive_toolcall_en_demo.jsonl'), repeat: 12, spec: { method: 'sft', adapter: 'lora', baseModel: CHAT } },
  { name: 'sft-lora-wrapped-json', data: join(root, 'test/fixtures/datasets/wrapped.json'), file: 'train.json', spec: { method: 'sft', adapter: 'lora' } },
  { name: 'kto-lora', data: join(shared, 'llamafactory_kto_en_demo.jsonl'), repeat: 10, spec: { method: 'kto', adapter: 'lora', baseModel: CHAT } },
  // Runs after sft-lora-custom-qa: merges its adapter into the base (the step before LightEval).
  { name: 'eval-merge', after: 'sft-lora-custom-qa', spec: { method: 'eval', adapter: 'lora', modelPath: '../sft-lora-custom-qa/outputs/llama-sft', evalTasks: ['gsm8k'] } },
];

// CASES="a b" renders only those (and what runs after them).
const only = (process.env.CASES ?? '').split(/\s+/).filter(Boolean);
rmSync(out, { recursive: true, force: true });
for (const c of cases) {
  if (only.length && !only.includes(c.name) && !(c.after && only.includes(c.after))) continue;
  const dir = join(out, c.name);
  mkdirSync(join(dir, 'data'), { recursive: true });
  const spec = { baseModel: BASE, env, ...(c.data ? small : {}), ...c.spec };
  if (c.data) {
    const file = c.file ?? 'train.jsonl';
    if (c.repeat) {
      const rows = readFileSync(c.data, 'utf8').split('\n').filter((l) => l.trim());
      writeFileSync(join(dir, 'data', file), Array.from({ length: c.repeat }, () => rows.join('\n')).join('\n') + '\n');
    } else {
      copyFileSync(c.data, join(dir, 'data', file));
    }
    spec.dataset = `data/${file}`;
    const inspection = JSON.parse(execFileSync('node', [cli, 'inspect-data', join(dir, 'data', file), '--json'], { encoding: 'utf8' }));
    if (!inspection.trainable) throw new Error(`${c.name}: the data is not trainable as is: ${inspection.problems.join('; ')}`);
    spec.inspection = { format: inspection.format, task: inspection.task, mapping: inspection.mapping, columns: inspection.columns.map((x) => x.name), trainable: inspection.trainable, ...(inspection.jsonField ? { jsonField: inspection.jsonField } : {}) };
  }
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec, null, 2) + '\n');
  const result = JSON.parse(execFileSync('node', [cli, 'recipe', join(dir, 'spec.json'), '--out', dir, '--force', '--json'], { encoding: 'utf8' }));
  writeFileSync(join(dir, 'commands.json'), JSON.stringify({ after: c.after ?? null, commands: result.commands, notes: result.notes }, null, 2) + '\n');
  console.log(`${c.name}: ${result.files.map((f) => f.path.slice(dir.length + 1)).join(', ')}`);
}
