// Output captured on a real GPU machine (NVIDIA H200, torch 2.11.0, transformers 5.17.0, peft 0.21.0;
// scripts/gpu-check, see test/fixtures/real-gpu/README.md): what the log pipeline, the diagnosis and
// the playbook make of it. transformers 5 prints every logged value as a quoted string of four
// significant digits ({'loss': '10.43'}), which the pipeline used to skip: no chart at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { MetricPoint, ProgressInfo } from '../../../src/core/events';
import { LogPipeline } from '../../../src/core/logs/pipeline';
import { buildFailureObservation } from '../../../src/core/logs/observation';
import { diagnose } from '../../../src/core/recovery/diagnose';
import { playbook } from '../../../src/core/recovery/playbook';
import { renderRecipe } from '../../../src/core/recipes/render';

const DIR = path.resolve(__dirname, '../../fixtures/real-gpu');
const log = readFileSync(path.join(DIR, 'transformers-5.17-trainer.log'));
const history: Array<Record<string, number>> = JSON.parse(readFileSync(path.join(DIR, 'transformers-5.17-log-history.json'), 'utf8'));

/** What the console shows for a logged value: four significant digits. */
const shown = (v: number) => Number(v.toPrecision(4));

function collect(feed: (p: LogPipeline) => void) {
  const points: Array<{ kind: string; point: MetricPoint }> = [];
  let progress: ProgressInfo | undefined;
  const p = new LogPipeline({ onMetric: (point, kind) => points.push({ kind, point: { ...point } }), onProgress: (pr) => (progress = { ...pr }) });
  feed(p);
  p.end();
  return { points, progress, stats: p.stats };
}

for (const [name, feed] of [
  ['pushBytes, whole file', (p: LogPipeline) => p.pushBytes(log)],
  ['push(string), 97-byte chunks', (p: LogPipeline) => {
    const text = log.toString('utf8');
    for (let i = 0; i < text.length; i += 97) p.push(text.slice(i, i + 97));
  }],
] as const) {
  test(`real transformers 5.17 log (${name}): every logged value of log_history is on the chart`, () => {
    const { points, progress, stats } = collect(feed);
    const train = history.filter((h) => 'loss' in h);
    const evals = history.filter((h) => 'eval_loss' in h);
    const summary = history.filter((h) => 'train_runtime' in h);
    assert.deepEqual(
      points.filter((p) => p.kind === 'train').map((p) => [p.point.loss, p.point.gradNorm, p.point.learningRate, p.point.epoch]),
      train.map((h) => [shown(h.loss), shown(h.grad_norm), shown(h.learning_rate), shown(h.epoch)]),
    );
    assert.deepEqual(points.filter((p) => p.kind === 'eval').map((p) => [p.point.evalLoss, p.point.epoch]), evals.map((h) => [shown(h.eval_loss), shown(h.epoch)]));
    assert.deepEqual(points.filter((p) => p.kind === 'summary').map((p) => p.point.train_loss), summary.map((h) => shown(h.train_loss)));
    // The dicts carry no step: it comes from the tqdm bar. In this fast run (≈ 40 steps/s) the bar
    // drawn before a dict lags (tqdm redraws at most every 0.1 s); the one tqdm.write redraws right
    // after it has the step the dict belongs to.
    assert.deepEqual(points.filter((p) => p.kind === 'train').map((p) => p.point.step), train.map((h) => h.step));
    assert.deepEqual(points.filter((p) => p.kind === 'eval').map((p) => p.point.step), evals.map((h) => h.step));
    assert.equal(stats.totalSteps, 80);
    assert.equal(stats.lastEvalLoss, shown(evals[evals.length - 1].eval_loss));
    assert.deepEqual({ current: progress?.current, total: progress?.total, phase: progress?.phase }, { current: 80, total: 80, phase: 'train' });
  });
}

test('a transformers 5 NaN loss ({\'loss\': \'nan\'}) is diagnosed as nan_loss', () => {
  // The real log with its last train dict's values turned to what transformers 5 prints for NaN.
  const text = log.toString('utf8').replace("{'loss': '10.4', 'grad_norm': '0.4431'", "{'loss': 'nan', 'grad_norm': 'nan'");
  assert.notEqual(text, log.toString('utf8'));
  assert.equal(diagnose(text).category, 'nan_loss');
  const { points } = collect((p) => p.push(text));
  assert.ok(points.some((p) => p.kind === 'train' && Number.isNaN(p.point.loss)), 'the NaN reaches the chart as NaN');
});

test('the real CUDA OOM of a Trainer run: diagnosed, explained with the real figures, fixed by the playbook', () => {
  const text = readFileSync(path.join(DIR, 'transformers-5.17-oom.log'), 'utf8');
  const d = diagnose(text);
  assert.equal(d.category, 'cuda_oom');
  assert.match(d.summary, /16\.00 GiB/);
  assert.match(d.summary, /139\.80 GiB/);
  const observation = buildFailureObservation({ text, exitCode: 1 });
  assert.match(observation, /torch\.OutOfMemoryError: CUDA out of memory\. Tried to allocate 16\.00 GiB/);
  assert.ok(observation.length / 4 <= 2000);
  const script = renderRecipe({ method: 'sft', baseModel: 'meta-llama/Llama-3.2-1B', dataset: 'data/train.jsonl', adapter: 'lora', columnMapping: { text: 'text' }, perDeviceTrainBatchSize: 8 })
    .files.find((f) => f.path === 'train.py')!.content;
  const fix = playbook({ diagnosis: d, script });
  assert.equal(fix.kind, 'edit');
  if (fix.kind !== 'edit') return;
  assert.match(fix.script, /^PER_DEVICE_TRAIN_BATCH_SIZE = 4\b/m);
  assert.match(fix.script, /^GRADIENT_ACCUMULATION_STEPS = 8\b/m);
});
