/**
 * ml-intern reward-test on a GRPO recipe written by `ml-intern recipe`: real python3 runs rewards.py on
 * GSM8K-shaped rows (worked solution ending in '#### N') with the reference, a wrong and a malformed answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';
import { recipeCommand } from '../../../src/cli/commands/recipe';
import { rewardTestCommand } from '../../../src/cli/commands/rewardTest';

const COMMANDS = [recipeCommand, rewardTestCommand];

function io(cwd: string): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', cwd, env: {} as NodeJS.ProcessEnv, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}

const ROWS = [
  { question: 'A baker makes 12 loaves a day for 6 days. How many loaves?', answer: 'He makes 12 * 6 = <<12*6=72>>72 loaves.\n#### 72' },
  { question: 'Tom has 1,200 stamps and gives away 250. How many are left?', answer: 'He keeps 1200 - 250 = <<1200-250=950>>950 stamps.\n#### 950' },
  { question: 'A book costs $4.50 and a pen $1.50. What do both cost?', answer: 'Together 4.50 + 1.50 = <<4.5+1.5=6>>6 dollars.\n#### 6' },
];

async function grpoRecipe(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-reward-test-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'gsm8k.jsonl'), ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(dir, 'spec.json'), JSON.stringify({
    method: 'grpo', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/gsm8k.jsonl', columnMapping: { prompt: 'question', answer: 'answer' },
  }));
  const o = io(dir);
  assert.equal(await runCli(['recipe', 'spec.json', '--out', 'run1'], o, COMMANDS), 0, o.stderr);
  return dir;
}

test('the built-in answer reward tells the reference from a wrong answer on every row; the format reward is flagged', async () => {
  const dir = await grpoRecipe();
  const o = io(dir);
  assert.equal(await runCli(['reward-test', 'run1', '--json'], o, COMMANDS), 0, o.stderr);
  const report = JSON.parse(o.stdout) as { rows: number; rewards: { name: string; distinguishes: boolean; errors: unknown[]; scores: { reference: number; wrong: number; malformed: number }[] }[] };
  assert.equal(report.rows, 3);
  const exact = report.rewards.find((r) => r.name === 'exact_answer_reward')!;
  assert.deepEqual(exact.scores.map((s) => [s.reference, s.wrong, s.malformed]), [[1, 0, 0], [1, 0, 0], [1, 0, 0]]);
  assert.equal(exact.distinguishes, true);
  const format = report.rewards.find((r) => r.name === 'format_reward')!;
  assert.equal(format.distinguishes, false);
  const text = io(dir);
  assert.equal(await runCli(['reward-test', 'run1'], text, COMMANDS), 0);
  assert.match(text.stdout, /! format_reward cannot tell right from wrong/);
  assert.match(text.stdout, /OK: at least one reward tells right from wrong/);
});

test('a user reward that raises, or rewards that cannot tell right from wrong, fail the test with the reason', async () => {
  const dir = await grpoRecipe();
  appendFileSync(join(dir, 'run1', 'rewards.py'), `
def always_one(completions, **kwargs):
    return [1.0 for _ in completions]


def broken(completions, **kwargs):
    return [float(c[0]["content"].split("####")[1]) for c in completions]


REWARD_FUNCS = [always_one, broken]
REWARD_WEIGHTS = [1.0, 1.0]
`);
  const o = io(dir);
  assert.equal(await runCli(['reward-test', 'run1', '--rows', '2'], o, COMMANDS), 1);
  assert.match(o.stdout, /broken raised on 2 of 2 rows \((IndexError|ValueError)/);
  assert.match(o.stdout, /no reward scores the reference answer above a wrong one/);
  assert.match(o.stdout, /! always_one cannot tell right from wrong/);
});

test('reward-test on a folder without rewards.py says what it needs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-reward-test-'));
  const o = io(dir);
  assert.notEqual(await runCli(['reward-test', '.'], o, COMMANDS), 0);
  assert.match(o.stderr + o.stdout, /needs a GRPO recipe folder \(train\.py and rewards\.py\)/);
  const usage = io(dir);
  assert.equal(await runCli(['reward-test', '.', '--rows', '0'], usage, COMMANDS), 2);
});

/** A GRPO recipe with the code_tests reward on the given rows (written here, shaped like MBPP or HumanEval). */
async function codeRecipe(rows: object[], columnMapping: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-reward-test-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'code.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(dir, 'spec.json'), JSON.stringify({
    method: 'grpo', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/code.jsonl', columnMapping, rewards: [{ name: 'code_tests', weight: 1 }, { name: 'format', weight: 0.2 }],
  }));
  const o = io(dir);
  assert.equal(await runCli(['recipe', 'spec.json', '--out', 'run1'], o, COMMANDS), 0, o.stderr);
  return dir;
}

test('code with tests: the row\'s solution is the reference completion, so code_tests scores it 1 and a do-nothing version 0', async () => {
  const mbpp = [
    { text: 'Write a function to triple a number.', code: 'def triple(n):\n    return 3 * n', test_list: ['assert triple(2) == 6', 'assert triple(0) == 0', 'assert triple(-1) == -3'] },
    { text: 'Write a function that joins words with dashes.', code: 'def dashed(words):\n    return "-".join(words)', test_list: ['assert dashed(["a", "b"]) == "a-b"'] },
  ];
  const dir = await codeRecipe(mbpp, { prompt: 'text', answer: 'test_list' });
  const o = io(dir);
  assert.equal(await runCli(['reward-test', 'run1', '--json'], o, COMMANDS), 0, o.stderr);
  const report = JSON.parse(o.stdout) as { notes: string[]; rewards: { name: string; distinguishes: boolean; scores: { reference: number; wrong: number; malformed: number }[] }[] };
  const code = report.rewards.find((r) => r.name === 'code_tests_reward')!;
  assert.deepEqual(code.scores.map((s) => [s.reference, s.wrong, s.malformed]), [[1, 0, 0], [1, 0, 0]]);
  assert.equal(code.distinguishes, true);
  assert.match(report.notes.join('\n'), /the row's solution \(code\)/);
  const text = io(dir);
  assert.equal(await runCli(['reward-test', 'run1'], text, COMMANDS), 0);
  assert.match(text.stdout, /Note: code with tests: the reference completion is the row's solution \(code\)/);
});

test('code with tests but no solution column (HumanEval-shaped without canonical_solution): the output says why code_tests cannot be checked', async () => {
  const rows = [{ prompt: 'def half(x: float) -> float:\n    """Half of x."""\n', test: '\n\ndef check(candidate):\n    assert candidate(4) == 2\n', entry_point: 'half' }];
  const dir = await codeRecipe(rows, { prompt: 'prompt', answer: 'test' });
  const o = io(dir);
  assert.equal(await runCli(['reward-test', 'run1'], o, COMMANDS), 1);
  assert.match(o.stdout, /Note: code with tests but no solution column \(code, canonical_solution\)/);
  assert.match(o.stdout, /! code_tests_reward cannot tell right from wrong/);
});

test('HumanEval-shaped with canonical_solution: the prompt\'s signature and the solution body are the reference completion', async () => {
  const rows = [{
    prompt: 'from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    """The sum of xs."""\n', canonical_solution: '    return sum(xs)\n',
    test: '\n\nMETADATA = {}\n\n\ndef check(candidate):\n    assert candidate([1, 2]) == 3\n    assert candidate([]) == 0\n', entry_point: 'total',
  }];
  const dir = await codeRecipe(rows, { prompt: 'prompt', answer: 'test' });
  const o = io(dir);
  assert.equal(await runCli(['reward-test', 'run1', '--json'], o, COMMANDS), 0, o.stderr);
  const report = JSON.parse(o.stdout) as { notes: string[]; rewards: { name: string; scores: { reference: number; wrong: number }[] }[] };
  assert.deepEqual(report.rewards.find((r) => r.name === 'code_tests_reward')!.scores.map((s) => [s.reference, s.wrong]), [[1, 0]]);
  assert.match(report.notes.join('\n'), /the row's solution \(canonical_solution\)/);
});
