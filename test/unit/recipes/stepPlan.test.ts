// How often a generated script logs, evaluates and saves, scaled to the run's length. The real DPO
// session on a GPU (test/fixtures/real-gpu/cli/dpo) trained 5 optimizer steps with LOGGING_STEPS = 10:
// its chart had no training loss at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readConfig, renderRecipe, resolveSpec } from '../../../src/core/recipes';
import { planSteps } from '../../../src/core/recipes/stepPlan';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const dpo = { method: 'dpo', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/train.jsonl', columnMapping: { prompt: 'q', chosen: 'a', rejected: 'b' } } as const;

test('the real DPO session: 80 rows, 5 % held out, 2 x 8 per step, one epoch → 5 steps, logged every step', () => {
  const real = JSON.parse(readFileSync(path.resolve(__dirname, '../../fixtures/real-gpu/cli/dpo/metrics.jsonl'), 'utf8').split('\n')[0]);
  assert.equal(real.step, 5, 'the real run: 5 optimizer steps, its only record the final eval');
  const s = resolveSpec({ ...dpo, inspection: { rows: 80 } });
  assert.deepEqual([s.loggingSteps, s.evalSteps, s.saveSteps], [1, 1, 2]);
});

test("a long run keeps the fixed cadence; an unknown length keeps it too; the user's values win", () => {
  assert.deepEqual(planSteps({ rows: 100_000, evalSplit: 0.05, epochs: 3, perDeviceTrainBatchSize: 4, gradientAccumulationSteps: 4, gpus: 1 }),
    { loggingSteps: 10, evalSteps: 200, saveSteps: 200, totalSteps: 17_814 });
  const unknown = resolveSpec({ method: 'sft', baseModel: 'm', dataset: 'd.jsonl', columnMapping: { text: 'text' } });
  assert.deepEqual([unknown.loggingSteps, unknown.evalSteps, unknown.saveSteps], [10, 200, 200]);
  const mine = resolveSpec({ method: 'sft', baseModel: 'm', dataset: 'd.jsonl', columnMapping: { text: 'text' }, loggingSteps: 7, evalSteps: 50, inspection: { rows: 36 } });
  assert.deepEqual([mine.loggingSteps, mine.evalSteps], [7, 50]);
});

test('mid-sized runs log ~25 times and evaluate ~5 times, on logging steps; more GPUs, fewer steps', () => {
  const one = planSteps({ rows: 2_000, evalSplit: 0.05, epochs: 3, perDeviceTrainBatchSize: 4, gradientAccumulationSteps: 4, gpus: 1 });
  assert.equal(one.totalSteps, 357);
  assert.deepEqual([one.loggingSteps, one.evalSteps, one.saveSteps], [10, 70, 140]);
  assert.equal(one.evalSteps % one.loggingSteps, 0);
  const four = planSteps({ rows: 2_000, evalSplit: 0.05, epochs: 3, perDeviceTrainBatchSize: 4, gradientAccumulationSteps: 4, gpus: 4 });
  assert.equal(four.totalSteps, 90);
  assert.deepEqual([four.loggingSteps, four.evalSteps, four.saveSteps], [4, 20, 40]);
});

test('the script says how many steps the run will take, next to LOGGING_STEPS', () => {
  const r = renderRecipe({ method: 'sft', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/train.jsonl', columnMapping: { user: 'q', assistant: 'a' }, inspection: { rows: 36 } });
  const script = r.files.find((f) => f.path === 'train.py')!.content;
  assert.match(script, /^LOGGING_STEPS = 1 +# ~9 optimizer steps in this run \(36 rows\)$/m);
  assert.deepEqual([readConfig(script).EVAL_STEPS, readConfig(script).SAVE_STEPS], [2, 4]);
});
