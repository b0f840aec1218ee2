/**
 * The generated rewards.py, run by real python3 on completions shaped like GRPO's (plain strings and
 * conversational message lists, dataset columns as keyword lists): a correct answer scores above a
 * wrong one, and malformed completions score 0.0 instead of stopping the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderRewards, REWARD_NAMES } from '../../../src/core/recipes/templates/rewards';

function runPython(rewardsPy: string, driver: string): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'grpo-rewards-'));
  writeFileSync(join(dir, 'rewards.py'), rewardsPy);
  writeFileSync(join(dir, 'driver.py'), driver);
  const r = spawnSync('python3', ['driver.py'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const ALL = renderRewards(REWARD_NAMES.map((name) => ({ name })), 'answer');

test('exact_answer_reward: GSM8K, boxed and stated answers score 1, a wrong number 0, in plain and conversational completions', () => {
  const out = runPython(ALL, `
import json, rewards
ref = "Natalia sold 48/2 = 24 clips in May.\\nAltogether she sold 48+24 = 72 clips.\\n#### 72"
completions = [
    "48 + 24 = 72\\n#### 72",
    "So she sold \\\\boxed{72.0} clips",
    [{"role": "assistant", "content": "<think>48+24</think>The answer is 72"}],
    "She sold 1,234 clips. #### 1,234",
    "48 + 24 = 71\\n#### 71",
]
print(json.dumps(rewards.exact_answer_reward(completions, answer=[ref] * len(completions), trainer_state=None)))
`);
  assert.deepEqual(out, [1, 1, 1, 0, 0]);
});

test('normalisation: commas, trailing .0, dollar signs and spaces do not make a right answer wrong', () => {
  const out = runPython(ALL, `
import json, rewards
print(json.dumps(rewards.exact_answer_reward(["#### $1,000.00", "#### 1000 .", "the answer is 999"], answer=["1000", "1,000", "1000"])))
`);
  assert.deepEqual(out, [1, 1, 0]);
});

test('malformed completions score 0.0 in every reward and never raise', () => {
  const out = runPython(ALL, `
import json, rewards
bad = [None, 12, "", {"content": None}, [{"role": "assistant"}], "\\\\boxed{unclosed", "<think>", "####"]
answers = ["42", None, 3, "B", [], {"x": 1}, "", "7"]
print(json.dumps({f.__name__: f(bad, answer=answers, log_extra=print) for f in rewards.REWARD_FUNCS}))
`) as Record<string, number[]>;
  assert.deepEqual(Object.keys(out), ['exact_answer_reward', 'choice_letter_reward', 'format_reward', 'length_reward', 'code_tests_reward']);
  for (const [name, scores] of Object.entries(out)) {
    assert.equal(scores.length, 8, name);
    // length_reward only measures: a broken answer that is still text has a length. Non-text scores 0 everywhere.
    const judged = name === 'length_reward' ? scores.slice(0, 5) : scores;
    assert.ok(judged.every((s) => s === 0), `${name} gave ${JSON.stringify(scores)} on malformed text`);
  }
});

test('choice_letter_reward reads the letter from the completion and the reference as a letter or an index', () => {
  const out = runPython(ALL, `
import json, rewards
completions = ["The answer is (B).", "Answer: c", "I think it is \\\\boxed{D}", "After weighing them: A", "The answer is (A)."]
print(json.dumps(rewards.choice_letter_reward(completions, answer=["B", 2, "D) Paris", 0, "B"])))
`);
  assert.deepEqual(out, [1, 1, 1, 1, 0]);
});

test('format_reward wants <think>...</think> then an answer; length_reward falls past the target', () => {
  const out = runPython(ALL, `
import json, rewards
print(json.dumps([
    rewards.format_reward(["<think>6*7</think>\\n42", "42", "<think>6*7</think>", "<think>a</think><think>b</think> 1"]),
    rewards.length_reward(["ok", "x" * 2250, "x" * 4000]),
]))
`);
  assert.deepEqual(out, [[1, 0, 0, 0], [1, 0.5, 0]]);
});

test('the chosen rewards and weights become REWARD_FUNCS/REWARD_WEIGHTS in order; a hostile column name stays one Python string', () => {
  const column = 'ans"\n__import__("os").system("x")#\u2028';
  const out = runPython(renderRewards([{ name: 'format', weight: 0.2 }, { name: 'exact_answer', weight: 1 }], column), `
import json, rewards
print(json.dumps([[f.__name__ for f in rewards.REWARD_FUNCS], rewards.REWARD_WEIGHTS, rewards.ANSWER_COLUMN]))
`);
  assert.deepEqual(out, [['format_reward', 'exact_answer_reward'], [0.2, 1], column]);
});

test('code_tests: a GRPO recipe on MBPP-shaped data renders the code reward and keeps the columns it reads; other recipes carry no code runner', async () => {
  const { renderRecipe } = await import('../../../src/core/recipes');
  const code = renderRecipe({ method: 'grpo', adapter: 'lora', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/mbpp.jsonl', columnMapping: { prompt: 'text', answer: 'test_list' }, rewards: [{ name: 'code_tests', weight: 1 }, { name: 'format', weight: 0.1 }] }, {});
  const train = code.files.find((f) => f.path === 'train.py')?.content ?? '';
  const rewardsPy = code.files.find((f) => f.path === 'rewards.py')?.content ?? '';
  assert.match(train, /for column in \("entry_point", "test_setup_code"\):/);
  const out = runPython(rewardsPy, `
import json, rewards
row = ["assert double(2) == 4", "assert double(0) == 0"]
print(json.dumps([rewards.REWARD_FUNCS[0].__name__,
                  rewards.code_tests_reward(["def double(x):\\n    return 2 * x", "def double(x):\\n    return 4"], test_list=[row, row])]))
`);
  assert.deepEqual(out, ['code_tests_reward', [1, 0.5]]);
  assert.doesNotMatch(renderRewards([{ name: 'exact_answer' }], 'answer'), /subprocess|bwrap/);
});
