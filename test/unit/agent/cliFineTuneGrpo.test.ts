// `ml-intern fine-tune --method grpo`: the real CLI on fixture files, the fixture GPU box replaying
// GRPOTrainer's log lines. What it writes (train.py's columns, rewards.py's functions and weights) comes
// from the data inspection's GRPO proposal, or from --rewards; prompt-only data, which no supervised
// method can use, trains with GRPO instead of being refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';
import { tempWorkspace } from './helpers';
import { readConfig } from '../../../src/core/recipes/configBlock';

const FAKE_PYTHON = path.resolve(__dirname, '../../fixtures/trainer/fake-python');
const DATASETS = path.resolve(__dirname, '../../fixtures/datasets');
const FOLDER = 'ml-intern/grpo-qwen2-5-0-5b-instruct';

function io(cwd: string): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', cwd, env: { CI: '1' }, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}

/** Runs `ml-intern fine-tune` on a copy of the fixture file; the exit code, the output and the files it wrote. */
async function fineTune(file: string, extra: string[]): Promise<{ code: number; out: string; err: string; train?: string; rewards?: string }> {
  const root = tempWorkspace('mli-cli-grpo-');
  mkdirSync(path.join(root, 'data'));
  cpSync(path.join(DATASETS, file), path.join(root, 'data', file));
  const o = io(root);
  const saved = { args: process.env.FAKE_TRAINER_ARGS, steps: process.env.FAKE_STEPS, delay: process.env.FAKE_DELAY_MS };
  Object.assign(process.env, { FAKE_TRAINER_ARGS: '--method grpo', FAKE_STEPS: '10', FAKE_DELAY_MS: '0' });
  const code = await runCli(['fine-tune', '--model', 'Qwen/Qwen2.5-0.5B-Instruct', '--data', `data/${file}`, '--python', FAKE_PYTHON, '--approve=all', ...extra], o).finally(() => {
    for (const [k, v] of [['FAKE_TRAINER_ARGS', saved.args], ['FAKE_STEPS', saved.steps], ['FAKE_DELAY_MS', saved.delay]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  const read = (name: string) => (existsSync(path.join(root, FOLDER, name)) ? readFileSync(path.join(root, FOLDER, name), 'utf8') : undefined);
  return { code, out: o.stdout, err: o.stderr, train: read('train.py'), rewards: read('rewards.py') };
}

const rewardLines = (rewards: string | undefined) => (rewards ?? '').split('\n').filter((l) => /^REWARD_(FUNCS|WEIGHTS) = /.test(l));

test('--method grpo on GSM8K: the question is the prompt, the answer the reference, exact_answer + format rewards; the run succeeds', { timeout: 120_000 }, async () => {
  const r = await fineTune('gsm8k.jsonl', ['--method', 'grpo']);
  assert.equal(r.code, 0, r.err + r.out.slice(-2000));
  assert.match(r.out, /^GRPO \(lora\) of Qwen\/Qwen2\.5-0\.5B-Instruct on data\/gsm8k\.jsonl: 2 rows, custom_qa \(question → prompt, answer → answer\)\n {2}rewards: exact_answer x1, format x0\.2\n/);
  const cfg = readConfig(r.train ?? '');
  assert.deepEqual([cfg.PROMPT_COLUMN, cfg.ANSWER_COLUMN], ['question', 'answer']);
  assert.deepEqual(rewardLines(r.rewards), ['REWARD_FUNCS = [exact_answer_reward, format_reward]', 'REWARD_WEIGHTS = [1.0, 0.2]']);
  assert.match(r.out, /Run \S+: succeeded/);
  // The sampled completions of the last logging step (10 of 10), scored by the recipe's rewards.py: a right answer totals 1.2.
  assert.match(r.out, /^samples at step 10: totals (?:0\.2|1\.2)(?:, (?:0\.2|1\.2)){3}; best "/m, r.out.slice(-3000));
});

test('prompt-only data (MT-Bench turns) is no longer refused: GRPO by default, with the form rewards', { timeout: 120_000 }, async () => {
  const r = await fineTune('no_answers.jsonl', []);
  assert.equal(r.code, 0, r.err + r.out.slice(-2000));
  assert.match(r.out, /^GRPO \(lora\) of .* on data\/no_answers\.jsonl: 2 rows, unknown \(turns → prompt\)\n {2}rewards: format x1, length x0\.5\n {2}note: no reference answer/);
  assert.equal(readConfig(r.train ?? '').PROMPT_COLUMN, 'turns');
  assert.equal(readConfig(r.train ?? '').ANSWER_COLUMN, null);
  assert.deepEqual(rewardLines(r.rewards), ['REWARD_FUNCS = [format_reward, length_reward]', 'REWARD_WEIGHTS = [1.0, 0.5]']);
});

test('--rewards overrides the proposal, weights included', { timeout: 120_000 }, async () => {
  const r = await fineTune('gsm8k.jsonl', ['--method', 'grpo', '--rewards', 'exact_answer:2, length']);
  assert.equal(r.code, 0, r.err + r.out.slice(-2000));
  assert.match(r.out, /\n {2}rewards: exact_answer x2, length x1\n/);
  assert.deepEqual(rewardLines(r.rewards), ['REWARD_FUNCS = [exact_answer_reward, length_reward]', 'REWARD_WEIGHTS = [2.0, 1.0]']);
});

test('usage errors: an unknown reward lists the built-in ones; an answer reward without a reference; --rewards off GRPO; GRPO without prompts', { timeout: 120_000 }, async () => {
  const unknown = await fineTune('gsm8k.jsonl', ['--method', 'grpo', '--rewards', 'exact_answer,accuracy']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /--rewards: 'accuracy' is not a built-in reward \(built-in: exact_answer, choice_letter, format, length, code_tests\)/);
  assert.equal(unknown.train, undefined, 'nothing written');
  const weight = await fineTune('gsm8k.jsonl', ['--method', 'grpo', '--rewards', 'format:lots']);
  assert.equal(weight.code, 2);
  assert.match(weight.err, /'format:lots' is not name or name:weight/);
  const noReference = await fineTune('no_answers.jsonl', ['--rewards', 'exact_answer']);
  assert.equal(noReference.code, 2);
  assert.match(noReference.err, /'exact_answer' compares with a reference answer and the data has none/);
  const notGrpo = await fineTune('gsm8k.jsonl', ['--method', 'sft', '--rewards', 'format']);
  assert.equal(notGrpo.code, 2);
  assert.match(notGrpo.err, /--rewards is for --method grpo \(the method is sft\)/);
  const noPrompts = await fineTune('text.jsonl', ['--method', 'grpo']);
  assert.equal(noPrompts.code, 2);
  assert.match(noPrompts.err, /--method grpo needs prompts for the model to answer/);
});
