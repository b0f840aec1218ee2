/**
 * GRPO's samples.jsonl as the run reads it: the lines train.py's recorder writes (here through the
 * fixture trainer, which runs the recipe's own recorder and rewards.py) become the panel's newest
 * samples; hostile or broken lines are bounded or dropped, and a file written while it is followed
 * gives one event per read with its newest step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderRecipe } from '../../../src/core/recipes';
import { latestSamples, MAX_SAMPLES, MAX_TEXT, parseSamplesLine } from '../../../src/core/logs/grpoSamples';
import { followSamples } from '../../../src/core/run/samplesFollower';
import type { AgentEvent } from '../../../src/core/events';

const MATH = { method: 'grpo' as const, baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/gsm8k.jsonl', columnMapping: { prompt: 'question', answer: 'answer' }, outputDir: 'out' };

/** The fixture trainer on a rendered GRPO recipe (trl version from `packages`): the samples file's lines. */
function fixtureSamples(packages?: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-samples-'));
  try {
    mkdirSync(join(dir, 'data'));
    cpSync('test/fixtures/datasets/gsm8k.jsonl', join(dir, 'data', 'gsm8k.jsonl'));
    for (const f of renderRecipe(MATH, packages ? { env: { packages } } : {}).files) writeFileSync(join(dir, f.path), f.content);
    const file = join(dir, 'run', 'samples.jsonl');
    execFileSync(resolve('test/fixtures/trainer/fake-python'), ['train.py'], {
      cwd: dir, stdio: 'ignore',
      env: { ...process.env, FAKE_TRAINER_ARGS: '--method grpo', FAKE_STEPS: '10', FAKE_DELAY_MS: '0', ML_INTERN_SAMPLES_FILE: file },
    });
    return readFileSync(file, 'utf8').trim().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the recorder writes one line per logging step that the run reads back: prompt, completion, score per reward, weighted total', () => {
  for (const packages of [undefined, { trl: '0.19.1', transformers: '4.52.4', peft: '0.15.2' }]) {
    const lines = fixtureSamples(packages);
    assert.equal(lines.length, 2, 'steps 5 and 10 of 10, logged every 5');
    const latest = latestSamples(lines)!;
    assert.equal(latest.step, 10);
    assert.equal(latest.samples.length, 4);
    for (const s of latest.samples) {
      assert.match(s.prompt, /Janet has 3 apples/);
      assert.deepEqual(Object.keys(s.rewards), ['exact_answer_reward', 'format_reward']);
      assert.equal(s.rewards.exact_answer_reward, s.completion.endsWith('#### 5') ? 1 : 0, s.completion);
      assert.equal(s.total, (s.rewards.exact_answer_reward ?? 0) + 0.2 * (s.rewards.format_reward ?? 0));
    }
  }
});

test('lines that are not samples are dropped; long text, many samples and odd scores are bounded', () => {
  assert.equal(parseSamplesLine('{"step": 3, "samp'), undefined, 'a partial write');
  assert.equal(parseSamplesLine('{"step": -1, "samples": [{}]}'), undefined);
  assert.equal(parseSamplesLine('{"step": 2, "samples": []}'), undefined, 'nothing to show');
  const many = Array.from({ length: 50 }, () => ({ prompt: 'p'.repeat(MAX_TEXT * 3), completion: '<img src=x onerror=alert(1)>', rewards: { a: 'NaN', b: 1e400, ['__proto__']: 1, c: null, d: 0.5 }, total: 'x' }));
  const parsed = parseSamplesLine(JSON.stringify({ step: 7, samples: many }).replace('1e+400', '1e400'))!;
  assert.equal(parsed.samples.length, MAX_SAMPLES);
  const s = parsed.samples[0];
  assert.equal(s.prompt.length, MAX_TEXT + 1, 'cut, with an ellipsis');
  assert.equal(s.completion, '<img src=x onerror=alert(1)>', 'kept as text (the card makes it a text node)');
  assert.deepEqual(s.rewards, { a: null, b: null, c: null, d: 0.5 });
  assert.equal(Object.getPrototypeOf(s.rewards), Object.prototype);
  assert.equal(s.total, null);
  assert.equal(latestSamples(['{"step": 1, "samples": [{"completion": "a"}]}', 'garbage', ''])?.step, 1, 'the newest valid line');
});

test('a file appended while followed: each read sends its newest step once, a half-written line waits for its end', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-samples-follow-'));
  const file = join(dir, 'samples.jsonl');
  const events: AgentEvent[] = [];
  const line = (step: number) => JSON.stringify({ step, samples: [{ prompt: 'q', completion: `c${step}`, rewards: { r: step }, total: step }] });
  const stop = followSamples({ file, runId: 'r1', processId: 'p1', emit: (e) => events.push(e), pollMs: 20 });
  const wait = () => new Promise((r) => setTimeout(r, 120));
  try {
    await wait();
    assert.equal(events.length, 0, 'no file yet: nothing');
    appendFileSync(file, `${line(5)}\n${line(10)}\n`);
    await wait();
    assert.deepEqual(events.map((e) => (e.type === 'grpo_samples' ? e.step : -1)), [10], 'one event, the newest step');
    const next = line(15);
    appendFileSync(file, next.slice(0, 20));
    await wait();
    assert.equal(events.length, 1, 'a partial line is not read yet');
    appendFileSync(file, `${next.slice(20)}\n`);
  } finally {
    stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const last = events.at(-1);
  assert.ok(last?.type === 'grpo_samples' && last.step === 15 && last.runId === 'r1' && last.processId === 'p1' && last.samples[0].completion === 'c15');
});
