// Reopening a long run (Show Runs, a reload): its metrics.jsonl may hold hundreds of thousands of
// points. The panel gets a few thousand, and shows the same card: every eval point, the same latest
// figures, the same last step and loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricPoint } from '../../../src/core/events';
import { metricsEvents } from '../../../src/ui/chat/runReplay';
import { thinPoints } from '../../../src/core/runs/thinPoints';
import { ChartData } from '../../../media/chartData';
import { makeView, RUN } from './helpers';
import { RunEventLogs } from '../../../src/core/runs/eventLog';

/** 50k train logs, an eval every 250 steps, the closing summary (as the session writes them). */
function longRun(): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (let step = 1; step <= 50_000; step++) {
    points.push({ step, loss: 2 / Math.sqrt(step), gradNorm: 0.5 + (step % 7) / 10, learningRate: 2e-5 * (1 - step / 50_000), mean_token_accuracy: 0.5 + step / 125_000 });
    if (step % 250 === 0) points.push({ step, evalLoss: 1 / Math.sqrt(step) + 0.3 });
  }
  points.push({ step: 50_000, train_runtime: 86_400, train_loss: 0.21 });
  return points;
}

test('a 50k-point history is sent as about 4,000 points; every eval, the summary and the last train point stay', () => {
  const all = longRun();
  const thin = thinPoints(all);
  assert.ok(thin.length <= 4000 + 200 + 2, `${thin.length} points`);
  assert.equal(thin.filter((p) => p.evalLoss !== undefined).length, 200, 'every eval point');
  assert.deepEqual(thin.at(-1), all.at(-1), 'the summary');
  const train = thin.filter((p) => p.loss !== undefined);
  assert.equal(train[0].step, 1);
  assert.equal(train.at(-1)!.step, 50_000, 'the last train point');
  // In order, each point as logged.
  for (let i = 1; i < thin.length; i++) assert.ok(thin[i].step >= thin[i - 1].step);
  assert.equal(thinPoints(all.slice(0, 3000)).length, 3000, 'a short history is sent whole');
});

test('the reopened card shows what the whole history shows: figures, last step and loss, the eval curve', () => {
  const all = longRun();
  const lines = all.map((p) => JSON.parse(JSON.stringify(p)) as unknown);
  const events = metricsEvents(RUN, lines);
  const sent = events.flatMap((e) => (e.type === 'metrics' ? e.points : []));
  assert.ok(sent.length < 5000);
  const card = (points: MetricPoint[]) => {
    const { root, apply } = makeView();
    apply({ type: 'process_started', runId: RUN, processId: 'training', name: 'Training', argv: [] });
    for (let i = 0; i < points.length; i += 500) apply({ type: 'metrics', runId: RUN, processId: 'training', points: points.slice(i, i + 500) });
    return (root.querySelector('[data-testid="run-figures"]') as HTMLElement).textContent;
  };
  assert.equal(card(sent), card(all));
  const chart = (points: MetricPoint[]) => {
    const c = new ChartData();
    c.push(points);
    const lastLoss = [...c.loss].reverse().find((v) => v !== null);
    return { lastStep: c.steps.at(-1), lastLoss, evals: c.evalLoss.filter((v) => v !== null).length };
  };
  assert.deepEqual(chart(sent), chart(all));
});

test('histories of other shapes are bounded too: metrics without a loss, an evaluation at every step', () => {
  const lossless: MetricPoint[] = [];
  for (let step = 1; step <= 100_000; step++) lossless.push({ step, reward: step / 100_000 });
  const a = thinPoints(lossless);
  assert.ok(a.length <= 4001, `${a.length}`);
  assert.deepEqual(a.at(-1), lossless.at(-1), 'the latest point');
  const evalEveryStep: MetricPoint[] = [];
  for (let step = 1; step <= 50_000; step++) evalEveryStep.push({ step, loss: 1 / step }, { step, evalLoss: 2 / step });
  const b = thinPoints(evalEveryStep);
  assert.ok(b.length <= 6000, `${b.length}`);
  assert.deepEqual(b.at(-1), evalEveryStep.at(-1));
});

test('the host event log stays bounded on a long run that logs no loss', () => {
  const logs = new RunEventLogs();
  for (let step = 1; step <= 20_000; step++) logs.append(RUN, { type: 'metrics', runId: RUN, processId: 'p', points: [{ step, reward: step }] });
  const kept = logs.get(RUN).flatMap((e) => (e.type === 'metrics' ? e.points : []));
  assert.ok(kept.length <= 8000, `${kept.length}`);
  assert.equal(kept.at(-1)!.step, 20_000);
});
