// The console output of the scripts `ml-intern recipe` wrote, run unedited on a real GPU with real
// trl 1.9.0 / datasets 5.0.1 / transformers 5.17.0 / peft 0.21.0 (scripts/gpu-check/trl-e2e, see
// test/fixtures/real-gpu/README.md): SFT (LoRA and full; custom Q/A, Alpaca, ShareGPT, OpenAI
// messages, tool calls, a wrapped JSON file), DPO (LoRA and full; UltraFeedback, LLaMA-Factory,
// HH-RLHF), ORPO and KTO. Every value the Trainer recorded in log_history reaches the chart at its
// step, the trainer's own extra figures (DPO rewards, KTO kl, token accuracy) come along, and no
// run is mistaken for a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { MetricPoint, ProgressInfo } from '../../../src/core/events';
import { LogPipeline } from '../../../src/core/logs/pipeline';
import { failedDiagnosis } from '../../../src/core/recovery/repairLoop';

const DIR = path.resolve(__dirname, '../../fixtures/real-gpu/trl-1.9');
const CASES = readdirSync(DIR).filter((f) => f.endsWith('.log') && !f.startsWith('eval-merge')).map((f) => f.slice(0, -4)).sort();
/** The console shows a logged value to four significant digits (transformers 5), rounded by Python
 * (half to even: 8.0625 prints as 8.062, where JavaScript's toPrecision gives 8.063). */
function assertShown(got: unknown, value: number, what: string): void {
  assert.equal(typeof got, 'number', `${what}: a number`);
  const halfUnit = value === 0 ? 0 : 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(value))) - 3);
  assert.ok(Math.abs((got as number) - value) <= halfUnit * (1 + 1e-9), `${what}: ${got} is not ${value} to four digits`);
}

type Logged = Record<string, number>;

function run(log: Buffer, feed: 'bytes' | 'chunks') {
  const points: Array<{ kind: string; point: MetricPoint }> = [];
  let progress: ProgressInfo | undefined;
  const p = new LogPipeline({ onMetric: (point, kind) => points.push({ kind, point: { ...point } }), onProgress: (pr) => (progress = { ...pr }) });
  if (feed === 'bytes') p.pushBytes(log);
  else {
    const text = log.toString('utf8');
    for (let i = 0; i < text.length; i += 61) p.push(text.slice(i, i + 61));
  }
  p.end();
  return { points, progress };
}

test('the fixture holds every method and adapter the recipes write', () => {
  assert.deepEqual(CASES, [
    'dpo-full-implicit', 'dpo-lora-hh-rlhf', 'dpo-lora-implicit', 'dpo-lora-sharegpt', 'kto-lora', 'orpo-lora',
    'sft-full-alpaca', 'sft-lora-custom-qa', 'sft-lora-messages', 'sft-lora-sharegpt', 'sft-lora-toolcall', 'sft-lora-wrapped-json',
  ]);
});

for (const name of CASES) {
  const log = readFileSync(path.join(DIR, `${name}.log`));
  const state = JSON.parse(readFileSync(path.join(DIR, `${name}.trainer_state.json`), 'utf8')) as { log_history: Logged[]; max_steps: number };
  const train = state.log_history.filter((h) => 'loss' in h);
  const evals = state.log_history.filter((h) => 'eval_loss' in h);

  for (const feed of ['bytes', 'chunks'] as const) {
    test(`${name} (${feed}): every train and eval record of log_history is on the chart at its step`, () => {
      const { points, progress } = run(log, feed);
      const got = (kind: string) => points.filter((p) => p.kind === kind).map((p) => p.point);
      assert.deepEqual(got('train').map((p) => p.step), train.map((h) => h.step));
      assert.deepEqual(got('eval').map((p) => p.step), evals.map((h) => h.step));
      got('train').forEach((p, i) => {
        assertShown(p.loss, train[i].loss, `loss at step ${p.step}`);
        assertShown(p.gradNorm, train[i].grad_norm, `grad_norm at step ${p.step}`);
        assertShown(p.learningRate, train[i].learning_rate, `learning_rate at step ${p.step}`);
      });
      got('eval').forEach((p, i) => assertShown(p.evalLoss, evals[i].eval_loss, `eval_loss at step ${p.step}`));
      assert.equal(got('summary').length, 1, 'the train_runtime summary');
      // The trainer's own figures: each key it logged, with the value the console shows.
      const last = got('train').at(-1)!;
      const record = train.at(-1)!;
      for (const key of Object.keys(record).filter((k) => !['loss', 'grad_norm', 'learning_rate', 'step'].includes(k))) {
        assertShown(last[key], record[key], `${key} of the last train record`);
      }
      assert.equal(progress?.total, state.max_steps);
    });
  }

  test(`${name}: the finished run is not taken for a failure`, () => {
    assert.equal(failedDiagnosis({ exitCode: 0, logText: log.toString('utf8') } as Parameters<typeof failedDiagnosis>[0]), undefined);
  });
}

test('DPO runs carry the reward figures a user judges DPO by', () => {
  for (const name of CASES.filter((c) => c.startsWith('dpo-'))) {
    const last = run(readFileSync(path.join(DIR, `${name}.log`)), 'bytes').points.filter((p) => p.kind === 'train').at(-1)!.point;
    for (const key of ['rewards/margins', 'rewards/accuracies', 'rewards/chosen', 'rewards/rejected']) {
      assert.equal(typeof last[key], 'number', `${name}: ${key}`);
    }
  }
});
