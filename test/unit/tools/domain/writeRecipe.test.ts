import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../../../../src/core/recipes/configBlock';
import { fakeGpuEnv, harness, workspace } from './context';

const SFT = {
  method: 'sft',
  baseModel: 'Qwen/Qwen2.5-0.5B-Instruct',
  dataset: 'data/medical_qa.jsonl',
  columnMapping: { user: 'patient_query', assistant: 'doctor_response' },
};
const FOLDER = 'ml-intern/sft-qwen2-5-0-5b-instruct';

test('write_recipe: SFT on medical-qa → train.py + requirements.txt proposed (origin recipe), written, commands and notes', async () => {
  const ws = workspace();
  try {
    const h = harness(ws, { env: fakeGpuEnv() });
    const r = await h.call('write_recipe', SFT);
    assert.equal(r.ok, true, r.output);
    assert.deepEqual(h.proposals.map((p) => [p.path, p.origin, p.original]), [
      [`${FOLDER}/train.py`, 'recipe', null],
      [`${FOLDER}/requirements.txt`, 'recipe', null],
    ]);
    const script = readFileSync(join(ws, FOLDER, 'train.py'), 'utf8');
    assert.match(script, /patient_query/);
    const cfg = readConfig(script);
    // The fake nvidia-smi's first GPU is a T4 (no bf16): the recipe trains in fp16.
    assert.equal(cfg.BF16, false);
    assert.equal(cfg.FP16, true);
    assert.match(r.output, /SFT recipe for Qwen\/Qwen2\.5-0\.5B-Instruct on data\/medical_qa\.jsonl \(lora\) -> folder ml-intern\/sft-qwen2-5-0-5b-instruct\/ \(2 files\)/);
    assert.match(r.output, /train\.py: accepted by the user as proposed \(\d+ lines\)/);
    assert.match(r.output, /Commands:\n1\. python train\.py — Train Qwen/);
    assert.match(r.output, /cwd "ml-intern\/sft-qwen2-5-0-5b-instruct"/);
    assert.match(r.output, /Memory estimate: ~[\d.]+ GiB of 15 GiB/);
    const data = r.data as { folder: string; files: Array<{ decision: string }>; commands: Array<{ argv: string[]; cwd: string }> };
    assert.equal(data.folder, FOLDER);
    assert.deepEqual([data.commands[0].argv, data.commands[0].cwd], [['python', 'train.py'], FOLDER]);
    assert.equal(h.approvals.length, 0, 'writing a recipe runs nothing');

    // The same spec again: nothing to propose.
    const again = await h.call('write_recipe', SFT);
    assert.equal(again.ok, true);
    assert.match(again.output, /train\.py: unchanged/);
    assert.equal(h.proposals.length, 2);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('write_recipe: without a mapping the data set is inspected and its mapping used; a custom folder', async () => {
  const ws = workspace();
  try {
    const h = harness(ws);
    const r = await h.call('write_recipe', { method: 'sft', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/medical_qa.jsonl', adapter: 'qlora', folder: 'recipes/first/' });
    assert.equal(r.ok, true, r.output);
    assert.equal(h.proposals[0].path, 'recipes/first/train.py');
    assert.match(h.proposals[0].proposed, /patient_query/);
    assert.equal(readConfig(h.proposals[0].proposed).LOAD_IN_4BIT, true);
    const outside = await h.call('write_recipe', { ...SFT, folder: '../elsewhere' });
    assert.equal(outside.ok, false);
    assert.match(outside.output, /outside the workspace/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('write_recipe: the user rejects train.py, or edits it; the answer says so', async () => {
  const ws = workspace();
  try {
    const rejecting = harness(ws, { decide: (c) => (c.path.endsWith('train.py') ? { kind: 'rejected', reason: 'use QLoRA instead' } : { kind: 'accepted', text: c.proposed, userPatch: '', auto: false }) });
    const r = await rejecting.call('write_recipe', SFT);
    assert.equal(r.ok, false);
    assert.match(r.output, /train\.py: REJECTED by the user: use QLoRA instead; the file is unchanged/);
    assert.match(r.output, /1 file was not written\. Adjust the spec/);
    assert.equal(existsSync(join(ws, FOLDER, 'train.py')), false);

    const editing = harness(ws, {
      decide: (c) => ({ kind: 'accepted', text: c.proposed.replace(/NUM_TRAIN_EPOCHS = \d+/, 'NUM_TRAIN_EPOCHS = 1'), userPatch: '@@ -1 +1 @@\n-NUM_TRAIN_EPOCHS = 3\n+NUM_TRAIN_EPOCHS = 1', auto: false }),
    });
    const e = await editing.call('write_recipe', SFT);
    assert.equal(e.ok, true);
    assert.match(e.output, /train\.py: accepted by the user WITH THE USER'S OWN EDITS[\s\S]*\+NUM_TRAIN_EPOCHS = 1/);
    assert.equal(readConfig(readFileSync(join(ws, FOLDER, 'train.py'), 'utf8')).NUM_TRAIN_EPOCHS, 1);

    const auto = harness(ws, { decide: (c) => ({ kind: 'accepted', text: c.proposed, userPatch: '', auto: true }) });
    const a = await auto.call('write_recipe', { ...SFT, folder: 'auto' });
    assert.match(a.output, /auto-approved by the mlIntern\.autoApprove policy/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('write_recipe: spec problems are listed by field and nothing is proposed', async () => {
  const ws = workspace();
  try {
    const h = harness(ws);
    const r = await h.call('write_recipe', { method: 'dpo', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/medical_qa.jsonl', evalSplit: 0.9 });
    assert.equal(r.ok, false);
    assert.match(r.output, /evalSplit: a fraction from 0 to 0\.5/);
    assert.match(r.output, /columnMapping: dpo needs columns for chosen \+ rejected/);
    assert.match(r.output, /Nothing was written/);
    const push = await h.call('write_recipe', { method: 'push', modelPath: 'outputs/x' });
    assert.equal(push.ok, false);
    assert.match(push.output, /hubRepo: required for push/);
    const method = await h.call('write_recipe', { method: 'ppo' });
    assert.equal(method.ok, false);
    assert.match(method.output, /arguments\.method must be one of/);
    assert.equal(h.proposals.length, 0);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('write_recipe: eval, merge and push recipes', async () => {
  const ws = workspace();
  try {
    const h = harness(ws);
    const ev = await h.call('write_recipe', { method: 'eval', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', modelPath: '../sft-qwen/outputs/run1', evalTasks: ['gsm8k'] });
    assert.equal(ev.ok, true, ev.output);
    assert.deepEqual(h.proposals.map((p) => p.path), ['ml-intern/eval-qwen2-5-0-5b-instruct/merge_adapter.py', 'ml-intern/eval-qwen2-5-0-5b-instruct/compare_results.py']);
    assert.match(ev.output, /1\. python merge_adapter\.py/);
    assert.match(ev.output, /lighteval accelerate .*lighteval\|gsm8k\|5/);
    assert.match(ev.output, /python compare_results\.py/);

    const merge = await h.call('write_recipe', { method: 'merge', mergeMethod: 'slerp', t: 0.5, models: [{ model: 'Qwen/Qwen2.5-7B-Instruct' }, { model: 'Qwen/Qwen2.5-Math-7B' }] });
    assert.equal(merge.ok, true, merge.output);
    assert.equal(h.proposals.at(-1)?.path, 'ml-intern/merge-qwen2-5-7b-instruct/config.yaml');
    assert.match(merge.output, /mergekit-yaml config\.yaml/);

    const push = await h.call('write_recipe', { method: 'push', hubRepo: 'me/qwen-medical', modelPath: 'outputs/final' });
    assert.equal(push.ok, true, push.output);
    assert.deepEqual(h.proposals.slice(-2).map((p) => p.path), ['ml-intern/push-qwen-medical/push_to_hub.py', 'ml-intern/push-qwen-medical/README.md']);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('write_recipe writes workspace paths as the script sees them from its folder (its commands run there); Hub ids stay', async () => {
  const ws = workspace();
  try {
    mkdirSync(join(ws, 'models', 'my-base'), { recursive: true });
    writeFileSync(join(ws, 'models', 'my-base', 'config.json'), '{"model_type": "llama"}');
    const h = harness(ws, { env: fakeGpuEnv() });
    const local = await h.call('write_recipe', { ...SFT, baseModel: 'models/my-base', folder: 'runs/sft' });
    assert.equal(local.ok, true, local.output);
    const cfg = readConfig(readFileSync(join(ws, 'runs', 'sft', 'train.py'), 'utf8'));
    assert.equal(cfg.DATASET, '../../data/medical_qa.jsonl');
    assert.equal(cfg.MODEL_ID, '../../models/my-base');
    assert.match(local.output, /^SFT recipe for models\/my-base on data\/medical_qa\.jsonl/);

    const hub = await h.call('write_recipe', SFT);
    assert.equal(readConfig(readFileSync(join(ws, FOLDER, 'train.py'), 'utf8')).MODEL_ID, 'Qwen/Qwen2.5-0.5B-Instruct', hub.output);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('write_recipe echo: a value the script does not hold as asked is said loudly (the engine refused nothing, a later step changed it)', async () => {
  const ws = workspace();
  try {
    const h = harness(ws, { env: fakeGpuEnv() });
    const r = await h.call('write_recipe', { ...SFT, learningRate: 5e-6 });
    assert.equal(r.ok, true, r.output);
    assert.match(r.output, /Hyper-parameters in train\.py \(its CONFIG block\): learning rate 0\.000005, /);
    assert.doesNotMatch(r.output, /NOT AS ASKED/);
    // The same echo on a script whose CONFIG differs from the request (as a preflight fix or a user edit would make it).
    const { hyperParameterLines } = await import('../../../../src/core/tools/domain/recipeParams');
    const script = readFileSync(join(ws, FOLDER, 'train.py'), 'utf8').replace(/^LEARNING_RATE = .*$/m, 'LEARNING_RATE = 2e-4');
    const lines = hyperParameterLines(script, { method: 'sft', learningRate: 5e-6, beta: 0.2 });
    assert.match(lines.join('\n'), /NOT AS ASKED: learning rate: asked 0\.000005, the script has 0\.0002; beta 0\.2 was asked for but the script has no BETA/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
