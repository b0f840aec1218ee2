/**
 * From the real inspection (python/inspect_data.py) of GRPO-shaped data to a rendered GRPO recipe whose
 * own functions run on the file's rows: the prompt the model sees (choices lettered under a multiple-
 * choice question, the first of several user turns), the reference kept under its column name, and the
 * proposed reward scoring the right answer above a wrong one on that reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inspectData } from '../../../src/core/python';
import { renderRecipe } from '../../../src/core/recipes';
import { grpoDataChoice } from '../../../src/core/recipes/grpoData';
import { writeFiles } from './helpers';

const ROOT = resolve(__dirname, '..', '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const DATASETS = join(FIXTURES, 'datasets');

interface Mapped {
  prompt: Array<{ role: string; content: string }>;
  [column: string]: unknown;
}

/** Every row of `data` through the script's to_grpo_row, and the named reward on [right, wrong] completions of the first row. */
function runScript(dir: string, data: string, reward: string, right: string, wrong: string): { rows: Mapped[]; scores: number[] } {
  const code = `
import json, sys
sys.path.insert(0, ${JSON.stringify(FIXTURES)})
sys.path.insert(0, ${JSON.stringify(dir)})
from map_rows import namespace_of
import rewards
ns, _ = namespace_of(${JSON.stringify(join(dir, 'train.py'))})
rows = [ns["to_grpo_row"](json.loads(line)) for line in open(${JSON.stringify(data)}, encoding="utf-8") if line.strip()]
ref = rows[0].get(rewards.ANSWER_COLUMN) if rewards.ANSWER_COLUMN else None
completions = [[{"role": "assistant", "content": sys.argv[1]}], [{"role": "assistant", "content": sys.argv[2]}]]
kwargs = {rewards.ANSWER_COLUMN: [ref, ref]} if rewards.ANSWER_COLUMN else {}
print(json.dumps({"rows": rows, "scores": getattr(rewards, sys.argv[3])(completions, **kwargs)}))
`;
  const r = spawnSync('python3', ['-c', code, right, wrong, reward], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

async function recipeFor(file: string): Promise<{ dir: string; choice: NonNullable<ReturnType<typeof grpoDataChoice>> }> {
  const inspection = await inspectData('python3', file);
  const choice = grpoDataChoice(inspection.grpo);
  assert.ok(choice, `no GRPO proposal for ${file}`);
  const r = renderRecipe({ method: 'grpo', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: file, columnMapping: choice.columnMapping, rewards: choice.rewards });
  return { dir: writeFiles(r.files), choice };
}

test('multiple choice (MMLU-shaped): the options are lettered under the question, choice_letter scores the right letter 1 and the wrong 0', async () => {
  const file = join(DATASETS, 'multiple_choice_eval.jsonl');
  const { dir, choice } = await recipeFor(file);
  assert.deepEqual(choice.rewards, [{ name: 'choice_letter', weight: 1 }, { name: 'format', weight: 0.2 }]);
  assert.match(choice.summary, /^GRPO: prompt ← question, choices ← choices, reference ← answer \(index or letter of the right choice\); rewards choice_letter x1, format x0\.2$/);
  const { rows, scores } = runScript(dir, file, 'choice_letter_reward', 'The answer is (B)', 'The answer is (C)');
  assert.equal(rows[0].prompt.at(-1)?.content, 'Which gas do plants absorb for photosynthesis?\n\nA. Oxygen\nB. Carbon dioxide\nC. Nitrogen\nD. Helium');
  assert.equal(rows[0].answer, 1, 'the reference keeps its column name and value');
  assert.deepEqual(scores, [1, 0]);
});

test('ARC-shaped choices {text, label}: the data\'s own labels letter the options', async () => {
  const file = join(DATASETS, 'arc_choices_answerkey.jsonl');
  const { dir } = await recipeFor(file);
  const { rows, scores } = runScript(dir, file, 'choice_letter_reward', 'Answer: A', 'Answer: C');
  assert.equal(rows[0].prompt.at(-1)?.content, 'Which unit measures force?\n\nA. newton\nB. joule\nC. watt');
  assert.equal(rows[0].answerKey, 'A');
  assert.deepEqual(scores, [1, 0]);
});

test('GSM8K-shaped: the question is the prompt, exact_answer compares with the reference after ####', async () => {
  const file = join(DATASETS, 'gsm8k.jsonl');
  const { dir, choice } = await recipeFor(file);
  assert.deepEqual(choice.columnMapping, { prompt: 'question', answer: 'answer' });
  const { rows, scores } = runScript(dir, file, 'exact_answer_reward', '<think>3 + 2</think> #### 5', '<think>3 + 2</think> #### 6');
  assert.equal(rows[0].prompt.at(-1)?.content, 'Janet has 3 apples and buys 2 more. How many?');
  assert.equal(rows[0].answer, '3 + 2 = <<3+2=5>>5\n#### 5');
  assert.deepEqual(scores, [1, 0]);
});

test('prompts only with several user turns per row: the first turn is the prompt; format and length rewards, no answer column', async () => {
  const file = join(DATASETS, 'no_answers.jsonl');
  const { dir, choice } = await recipeFor(file);
  assert.deepEqual(choice.rewards, [{ name: 'format', weight: 1 }, { name: 'length', weight: 0.5 }]);
  const { rows, scores } = runScript(dir, file, 'format_reward', '<think>short poem</think> Waves.', 'Waves.');
  assert.deepEqual(rows.map((r) => r.prompt.at(-1)?.content), ['Write a poem.', 'What is 2+2?']);
  assert.equal(readFileSync(join(dir, 'rewards.py'), 'utf8').match(/^ANSWER_COLUMN = (.*)$/m)?.[1], 'None');
  assert.deepEqual(scores, [1, 0]);
});

test('code with tests (MBPP-shaped): code_tests is proposed with format as a light nudge, and runs the completion against the row\'s test_list', async () => {
  const file = join(FIXTURES, 'grpo-data', 'code_tests.jsonl');
  const { dir, choice } = await recipeFor(file);
  assert.deepEqual(choice.rewards, [{ name: 'code_tests', weight: 1 }, { name: 'format', weight: 0.2 }]);
  assert.match(choice.summary, /reference ← test_list \(tests\); rewards code_tests x1, format x0\.2$/);
  const { rows, scores } = runScript(dir, file, 'code_tests_reward', '```python\ndef add(a, b):\n    return a + b\n```', 'def add(a, b):\n    return a - b');
  assert.deepEqual(rows[0].test_list, ['assert add(1, 2) == 3', 'assert add(-1, 1) == 0']);
  assert.deepEqual(scores, [1, 0]);
});
