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
