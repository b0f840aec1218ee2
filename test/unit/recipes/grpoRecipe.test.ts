/**
 * GRPO recipes: train.py + rewards.py for LoRA / QLoRA / full at several trl versions compile, and
 * every keyword they pass is one the targeted trl / transformers / peft accepts (table read from trl's
 * tags); the spec refuses what trl would refuse hours later, naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { acceptsKeyword, Adapter, EnvReportLike, Library, readConfig, renderRecipe, resolveTargets, SpecError } from '../../../src/core/recipes';
import { extractCalls, pyCompile, writeFiles } from './helpers';

const TARGETS: Record<string, EnvReportLike | undefined> = {
  'default (no env)': undefined,
  'trl 0.14 / transformers 4.48 / peft 0.14': { packages: { trl: '0.14.0', transformers: '4.48.0', peft: '0.14.0' } },
  'trl 0.19 / transformers 4.52 / peft 0.15': { packages: { trl: '0.19.1', transformers: '4.52.4', peft: '0.15.2', wandb: '0.19.0' } },
  'trl 1.9 / transformers 5.2 / peft 0.18': { packages: { trl: '1.9.0', transformers: '5.2.0', peft: '0.18.1' }, gpus: [{ name: 'H100', memoryTotalMiB: 81559, bf16: true }] },
};

const SYMBOLS: Record<string, [Library, string]> = {
  GRPOConfig: ['trl', 'GRPOConfig'], GRPOTrainer: ['trl', 'GRPOTrainer'], LoraConfig: ['peft', 'LoraConfig'],
  prepare_model_for_kbit_training: ['peft', 'prepare_model_for_kbit_training'], BitsAndBytesConfig: ['transformers', 'BitsAndBytesConfig'],
  'AutoModelForCausalLM.from_pretrained': ['transformers', 'from_pretrained'],
};

const MATH = { method: 'grpo' as const, baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/gsm8k.jsonl', columnMapping: { prompt: 'question', answer: 'answer' } };

for (const [label, env] of Object.entries(TARGETS)) {
  for (const adapter of ['lora', 'qlora', 'full'] as Adapter[]) {
    test(`grpo ${adapter} for ${label}: train.py and rewards.py compile, every keyword exists in the targeted versions`, () => {
      const r = renderRecipe({ ...MATH, adapter }, { env });
      assert.deepEqual(r.files.map((f) => f.path), ['train.py', 'rewards.py', 'requirements.txt']);
      const dir = writeFiles(r.files);
      assert.equal(pyCompile([join(dir, 'train.py'), join(dir, 'rewards.py')]), '');
      const t = resolveTargets(env?.packages);
      const { calls } = extractCalls(join(dir, 'train.py'));
      const names = calls.map((c) => c.name);
      assert.ok(names.includes('GRPOConfig') && names.includes('GRPOTrainer'), `config and trainer calls in ${names}`);
      for (const c of calls) {
        const sym = SYMBOLS[c.name];
        if (!sym) continue;
        for (const kw of c.keywords) assert.ok(acceptsKeyword(sym[0], sym[1], kw, t), `${sym[1]}(${kw}=...) at line ${c.line} is not accepted by ${sym[0]} ${t[sym[0]]}`);
      }
      assert.equal(names.includes('LoraConfig'), adapter !== 'full');
      assert.equal(names.includes('BitsAndBytesConfig'), adapter === 'qlora');
      const cfg = readConfig(r.files[0].content);
      assert.equal(cfg.ANSWER_COLUMN, 'answer');
      assert.equal(cfg.PROMPT_COLUMN, 'question');
      const n = cfg.NUM_GENERATIONS as number;
      assert.equal(((cfg.PER_DEVICE_TRAIN_BATCH_SIZE as number) * (cfg.GRADIENT_ACCUMULATION_STEPS as number)) % n, 0, 'the generation batch holds whole groups');
      assert.equal(cfg.BETA, 0, 'GRPO defaults to no reference model');
      assert.match(r.files[1].content, /REWARD_FUNCS = \[exact_answer_reward, format_reward\]/);
    });
  }
}

test('trl older than 0.14 has no GRPOTrainer: refused naming trl and the fix', () => {
  assert.throws(() => renderRecipe(MATH, { env: { packages: { trl: '0.11.4', transformers: '4.44.2', peft: '0.7.1' } } }), (e: unknown) => e instanceof SpecError && /grpo needs trl >= 0\.14\.0.*pip install -U trl/.test(e.message));
});

test('the version decides vllm_mode, reward_weights and max_prompt_length', () => {
  const src = (trl: string): string => renderRecipe(MATH, { env: { packages: { trl, transformers: '4.52.4', peft: '0.15.2' } } }).files[0].content;
  assert.match(src('0.19.1'), /vllm_mode="colocate"/);
  assert.match(src('0.19.1'), /reward_weights=rewards\.REWARD_WEIGHTS/);
  assert.match(src('0.19.1'), /max_prompt_length=MAX_PROMPT_LENGTH/);
  assert.doesNotMatch(src('0.28.0'), /max_prompt_length/);
  assert.doesNotMatch(src('0.17.0'), /vllm_mode/);
  assert.match(src('0.15.0'), /reward_funcs=recorder\.wrap\(weighted_rewards\(\)\)/);
});

test('accumulation is raised to hold whole groups; a user-fixed one that cannot is refused with the value to use', () => {
  // 3 x 8 (the default accumulation) = 24 completions: not whole groups of 16.
  const r = renderRecipe({ ...MATH, perDeviceTrainBatchSize: 3, numGenerations: 16, gradientCheckpointing: true });
  const cfg = readConfig(r.files[0].content);
  assert.equal(cfg.GRADIENT_ACCUMULATION_STEPS, 16);
  assert.ok(r.notes.some((n) => /Gradient accumulation 8 -> 16: .*whole groups of 16 generations/.test(n)), r.notes.join('\n'));
  assert.throws(() => renderRecipe({ ...MATH, perDeviceTrainBatchSize: 3, gradientAccumulationSteps: 5, numGenerations: 4 }), /gradientAccumulationSteps: .*use 8/);
});

test('the spec names the GRPO field to fix', () => {
  assert.throws(() => renderRecipe({ ...MATH, columnMapping: { prompt: 'question' }, rewards: [{ name: 'exact_answer' }] }), /rewards: "exact_answer" compares with a reference answer: map .*columnMapping\.answer/);
  assert.throws(() => renderRecipe({ ...MATH, rewards: [{ name: 'is_correct' as never }] }), /rewards: item 0 needs a name from exact_answer, choice_letter, format, length/);
  assert.throws(() => renderRecipe({ ...MATH, numGenerations: 1 }), /numGenerations: must be a whole number from 2/);
  assert.throws(() => renderRecipe({ ...MATH, lossType: 'ppo' as never }), /lossType: must be one of grpo, dapo, dr_grpo, bnpo/);
  assert.throws(() => renderRecipe({ ...MATH, columnMapping: { answer: 'answer' } }), /columnMapping: grpo needs columns for prompt, or messages, or user/);
  assert.throws(() => renderRecipe({ method: 'dpo', baseModel: 'm/x', dataset: 'd.jsonl', columnMapping: { chosen: 'c', rejected: 'r' }, beta: 0 }), /beta: must be above 0 for dpo/);
  assert.throws(() => renderRecipe({ method: 'sft', baseModel: 'm/x', dataset: 'd.jsonl', columnMapping: { text: 't' }, numGenerations: 8 }), /numGenerations: only used by method "grpo"/);
  // Prompt-only data gets rewards that need no reference.
  const open = renderRecipe({ ...MATH, columnMapping: { prompt: 'question' } });
  assert.match(open.files[1].content, /REWARD_FUNCS = \[format_reward, length_reward\]/);
});
