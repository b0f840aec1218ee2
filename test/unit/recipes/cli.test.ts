import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';
import { recipeCommand } from '../../../src/cli/commands/recipe';
import { estimateCommand } from '../../../src/cli/commands/estimate';

const COMMANDS = [recipeCommand, estimateCommand];

function io(cwd: string): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', cwd, env: {} as NodeJS.ProcessEnv, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}

const SEED = {
  method: 'sft', baseModel: 'meta-llama/Meta-Llama-3-8B-Instruct', dataset: 'data/medical_qa.jsonl', adapter: 'lora', evalSplit: 0.05, hubRepo: 'llama-3-med-qa',
  columnMapping: { user: 'patient_query', assistant: 'doctor_response' },
};

function workspace(spec: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-cli-'));
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
  return dir;
}

test('recipe writes the files, lists them as JSON, and refuses to overwrite without --force', async () => {
  const dir = workspace(SEED);
  const o = io(dir);
  assert.equal(await runCli(['recipe', 'spec.json', '--out', 'run1', '--json'], o, COMMANDS), 0, o.stderr);
  const r = JSON.parse(o.stdout);
  assert.deepEqual(r.files.map((f: { path: string }) => f.path.split('/').pop()), ['train.py', 'requirements.txt', 'README.md']);
  assert.deepEqual(r.commands[0].argv, ['python', 'train.py']);
  assert.match(readFileSync(join(dir, 'run1', 'train.py'), 'utf8'), /HUB_MODEL_ID = "llama-3-med-qa"/);
  const again = io(dir);
  assert.equal(await runCli(['recipe', 'spec.json', '--out', 'run1'], again, COMMANDS), 1);
  assert.match(again.stderr, /already exist.*--force/);
  const forced = io(dir);
  assert.equal(await runCli(['recipe', 'spec.json', '--out', 'run1', '--force'], forced, COMMANDS), 0);
  assert.match(forced.stdout, /Wrote 3 file\(s\)/);
});

test('recipe reports spec problems and usage errors', async () => {
  const dir = workspace({ method: 'dpo', baseModel: 'm/x' });
  const o = io(dir);
  assert.equal(await runCli(['recipe', 'spec.json', '--out', 'x'], o, COMMANDS), 1);
  assert.match(o.stderr, /dataset: required/);
  assert.equal(existsSync(join(dir, 'x')), false);
  assert.equal(await runCli(['recipe', 'spec.json'], io(dir), COMMANDS), 2);
  assert.equal(await runCli(['recipe', 'missing.json', '--out', 'x'], io(dir), COMMANDS), 2);
});

test('estimate prints the breakdown and a plan as JSON', async () => {
  const dir = workspace(SEED);
  const o = io(dir);
  assert.equal(await runCli(['estimate', 'spec.json', '--gpu-memory', '32768', '--json'], o, COMMANDS), 0, o.stderr);
  const r = JSON.parse(o.stdout);
  assert.ok(r.params > 8e9 && r.params < 8.1e9);
  for (const k of ['weights', 'gradients', 'optimizer', 'activations', 'logits', 'overhead']) assert.equal(typeof r.breakdownGiB[k], 'number');
  assert.equal(typeof r.totalGiB, 'number');
  assert.equal(typeof r.fits, 'boolean');
  assert.equal(r.plan.adapter, 'lora');
  assert.equal(r.plan.perDeviceTrainBatchSize * r.plan.gradientAccumulationSteps, 16);
  const h = io(dir);
  assert.equal(await runCli(['estimate', 'spec.json'], h, COMMANDS), 0);
  assert.match(h.stdout, /Estimated peak: .* GiB/);
});

test('estimate reads a local config.json for models outside the table', async () => {
  const dir = workspace({ ...SEED, baseModel: './my-model' });
  const model = join(dir, 'my-model');
  mkdirSync(model);
  writeFileSync(join(model, 'config.json'), JSON.stringify({ hidden_size: 2048, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, intermediate_size: 8192, vocab_size: 128256, tie_word_embeddings: true }));
  const o = io(dir);
  assert.equal(await runCli(['estimate', 'spec.json', '--json'], o, COMMANDS), 0, o.stderr);
  assert.ok(Math.abs(JSON.parse(o.stdout).params / 1.24e9 - 1) < 0.03);
  const bad = io(workspace({ ...SEED, baseModel: 'org/unknown' }));
  assert.equal(await runCli(['estimate', 'spec.json'], bad, COMMANDS), 1);
  assert.match(bad.stderr, /config\.json/);
});

test('estimate counts vLLM\'s colocate share for a GRPO spec whose environment has vLLM', async () => {
  const grpo = {
    method: 'grpo', baseModel: 'Qwen/Qwen2.5-7B-Instruct', dataset: 'data/gsm8k.jsonl', adapter: 'lora', columnMapping: { prompt: 'question', answer: 'answer' },
    env: { packages: { trl: '0.19.1', transformers: '4.52.4', peft: '0.15.2', vllm: '0.9.1' }, gpus: [{ name: 'H100', memoryTotalMiB: 81559, bf16: true }] },
  };
  const dir = workspace(grpo);
  const o = io(dir);
  assert.equal(await runCli(['estimate', 'spec.json', '--json'], o, COMMANDS), 0, o.stderr);
  const r = JSON.parse(o.stdout);
  assert.ok(Math.abs(r.breakdownGiB.vllm - (0.3 * 81559) / 1024) < 0.01, JSON.stringify(r.breakdownGiB));
  assert.ok(r.notes.some((n: string) => /vLLM colocated on the training GPU takes 30 %/.test(n)), r.notes.join('\n'));
  const text = io(dir);
  assert.equal(await runCli(['estimate', 'spec.json'], text, COMMANDS), 0);
  assert.match(text.stdout, /, vLLM 23\.89\)/);
  const without = workspace({ ...grpo, env: { ...grpo.env, packages: { trl: '0.19.1', transformers: '4.52.4', peft: '0.15.2' } } });
  const w = io(without);
  assert.equal(await runCli(['estimate', 'spec.json', '--json'], w, COMMANDS), 0, w.stderr);
  assert.equal(JSON.parse(w.stdout).breakdownGiB.vllm, undefined, 'no vLLM installed: transformers generates');
});
