// write_recipe with method grpo, called as a model calls it: trl's own snake_case names
// (num_generations, max_completion_length, beta, reward_funcs, reward_weights) through the real
// tool-call path (aliases, the closed schema), the files proposed as diffs, the answer echoing
// what train.py and rewards.py really hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../../../../src/core/recipes/configBlock';
import { fakeGpuEnv, harness, ROOT, workspace } from './context';

const GSM8K = join(ROOT, 'test', 'fixtures', 'datasets', 'gsm8k.jsonl');
const FOLDER = 'ml-intern/grpo-qwen2-5-0-5b-instruct';

function grpoWorkspace(): string {
  const ws = workspace();
  copyFileSync(GSM8K, join(ws, 'data', 'gsm8k.jsonl'));
  return ws;
}

const BASE = { method: 'grpo', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/gsm8k.jsonl', columnMapping: { prompt: 'question', answer: 'answer' } };

test('write_recipe grpo with trl names: train.py + rewards.py proposed, every value honoured and echoed as written', async () => {
  const ws = grpoWorkspace();
  try {
    const h = harness(ws, { env: fakeGpuEnv() });
    const r = await h.call('write_recipe', {
      ...BASE,
      num_generations: 4,
      max_completion_length: 256,
      beta: 0.04,
      loss_type: 'dr_grpo',
      temperature: 0.8,
      reward_funcs: ['exact_answer_reward', 'format'],
      reward_weights: [1, 0.5],
    });
    assert.equal(r.ok, true, r.output);
    assert.deepEqual(h.proposals.map((p) => p.path).sort(), [`${FOLDER}/requirements.txt`, `${FOLDER}/rewards.py`, `${FOLDER}/train.py`]);
    const cfg = readConfig(readFileSync(join(ws, FOLDER, 'train.py'), 'utf8'));
    assert.deepEqual([cfg.NUM_GENERATIONS, cfg.MAX_COMPLETION_LENGTH, cfg.BETA, cfg.TEMPERATURE, cfg.PROMPT_COLUMN, cfg.ANSWER_COLUMN], [4, 256, 0.04, 0.8, 'question', 'answer']);
    const rewards = readFileSync(join(ws, FOLDER, 'rewards.py'), 'utf8');
    assert.match(rewards, /^REWARD_FUNCS = \[exact_answer_reward, format_reward\]$/m);
    assert.match(rewards, /^REWARD_WEIGHTS = \[1\.0, 0\.5\]$/m);
    assert.match(r.output, /GRPO recipe for Qwen\/Qwen2\.5-0\.5B-Instruct on data\/gsm8k\.jsonl \(lora\) -> folder ml-intern\/grpo-qwen2-5-0-5b-instruct\/ \(3 files\)/);
    assert.match(r.output, /generations per prompt 4, max completion length 256, temperature 0\.8/);
    assert.match(r.output, /Rewards in rewards\.py \(REWARD_FUNCS x REWARD_WEIGHTS\): exact_answer_reward x 1, format_reward x 0\.5\./);
    assert.doesNotMatch(r.output, /NOT AS ASKED/);
    const spec = (r.data as { spec: Record<string, unknown> }).spec;
    assert.deepEqual([spec.numGenerations, spec.maxCompletionLength, spec.beta, spec.rewards], [4, 256, 0.04, [{ name: 'exact_answer', weight: 1 }, { name: 'format', weight: 0.5 }]]);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('write_recipe grpo: defaults resolved and echoed (beta 0, 8 generations, the answer reward when an answer column is mapped)', async () => {
  const ws = grpoWorkspace();
  try {
    const h = harness(ws, { env: fakeGpuEnv() });
    const r = await h.call('write_recipe', BASE);
    assert.equal(r.ok, true, r.output);
    const spec = (r.data as { spec: Record<string, unknown> }).spec;
    assert.deepEqual([spec.numGenerations, spec.maxCompletionLength, spec.beta], [8, 512, 0]);
    assert.match(r.output, /beta 0, /);
    assert.match(r.output, /Rewards in rewards\.py \(REWARD_FUNCS x REWARD_WEIGHTS\): exact_answer_reward x 1, format_reward x 0\.2\./);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('write_recipe grpo: unknown rewards, mismatched weights and unknown fields are refused by name, nothing written', async () => {
  const ws = grpoWorkspace();
  try {
    const h = harness(ws, { env: fakeGpuEnv() });
    const unknown = await h.call('write_recipe', { ...BASE, reward_funcs: ['accuracy_reward'] });
    assert.equal(unknown.ok, false);
    assert.match(unknown.output, /rewards\[0\]: "accuracy_reward" is not a built-in reward \(exact_answer, choice_letter, format, length, code_tests\)\. For your own reward, .*rewards\.py/);
    const weights = await h.call('write_recipe', { ...BASE, reward_funcs: ['format'], reward_weights: [1, 2] });
    assert.equal(weights.ok, false);
    assert.match(weights.output, /rewardWeights: 2 weight\(s\) for 1 reward\(s\)/);
    const field = await h.call('write_recipe', { ...BASE, num_generation: 4 });
    assert.equal(field.ok, false);
    assert.match(field.output, /num_generation is not a known parameter/);
    const notGrpo = await h.call('write_recipe', { ...BASE, method: 'sft', columnMapping: { user: 'question', assistant: 'answer' }, num_generations: 4 });
    assert.equal(notGrpo.ok, false);
    assert.match(notGrpo.output, /numGenerations: only used by method "grpo" \(method is "sft"\)/);
    const noAnswer = await h.call('write_recipe', { ...BASE, columnMapping: { prompt: 'question' }, reward_funcs: ['exact_answer'] });
    assert.equal(noAnswer.ok, false);
    assert.match(noAnswer.output, /"exact_answer" compares with a reference answer: map the column holding it as columnMapping\.answer/);
    assert.equal(h.proposals.length, 0);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
