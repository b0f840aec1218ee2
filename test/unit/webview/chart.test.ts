import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChartData, lrTickLabels, SERIES_LABEL } from '../../../media/chartData';
import { ChartView } from '../../../media/chartView';
import { dom, fakeCharts, makeView, ManualScheduler, RUN } from './helpers';

test('the data arrays grow with metrics and stay aligned', () => {
  const d = new ChartData(100);
  d.push([{ step: 1, loss: 2.0, learningRate: 1e-4 }]);
  d.push([{ step: 2, loss: 1.8 }, { step: 3, loss: 1.6 }]);
  assert.equal(d.length, 3);
  assert.deepEqual(d.plotted(), ['loss', 'lr'], 'no eval loss series without an eval');
  const [x, loss, lr] = d.aligned();
  assert.deepEqual(x, [1, 2, 3]);
  assert.deepEqual(loss, [2.0, 1.8, 1.6]);
  assert.deepEqual(d.evalLoss, [null, null, null]);
  assert.deepEqual(lr, [1e-4, null, null]);
});

test('train and eval records of the same step merge; out-of-order and empty points are ignored', () => {
  const d = new ChartData(100);
  d.push([{ step: 10, loss: 1.2 }]);
  d.push([{ step: 10, evalLoss: 1.4 }]);
  d.push([{ step: 5, loss: 9 }, { step: 11 }, { step: 12, loss: NaN }]);
  assert.deepEqual(d.plotted(), ['loss', 'evalLoss']);
  assert.deepEqual(d.aligned(), [[10], [1.2], [1.4]]);
  assert.ok(d.hasEval());
});

test('arrays never exceed the capacity; the whole history and every eval point stay', () => {
  const d = new ChartData(64);
  for (let s = 1; s <= 10_000; s++) d.push([{ step: s, loss: 10 / s, evalLoss: s % 1000 === 0 ? 1 : undefined }]);
  assert.ok(d.length < 64, `${d.length}`);
  assert.equal(d.steps[0], 1);
  assert.ok(d.steps[d.length - 1] > 9000);
  const evalSteps = d.steps.filter((_, i) => d.evalLoss[i] !== null);
  assert.deepEqual(evalSteps, [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000]);
  for (let i = 1; i < d.length; i++) assert.ok(d.steps[i] > d.steps[i - 1]);
});

test('on a long run the line always ends at the loss just logged, not at the last point kept on the stride', () => {
  const d = new ChartData(64);
  for (let s = 1; s <= 10_000; s++) {
    d.push([{ step: s, loss: 10 / s }]);
    assert.equal(d.steps[d.length - 1], s);
    assert.equal(d.loss[d.length - 1], 10 / s);
    assert.ok(d.length < 64);
  }
  // The latest point replaced the one before it (off the stride), so the history stays evenly thinned.
  const gaps = d.steps.slice(1, -1).map((x, i) => x - d.steps[i]);
  assert.ok(Math.max(...gaps.slice(1)) <= 2 * Math.min(...gaps.slice(1)), `${gaps}`);
  // An eval merged into the latest point keeps it for good.
  d.push([{ step: 10_000, evalLoss: 0.5 }]);
  d.push([{ step: 10_001, loss: 0.1 }]);
  assert.deepEqual(d.steps.slice(-2), [10_000, 10_001]);
});

test('redraws are throttled: many updates, one draw per interval, with the latest data', () => {
  const { document } = dom();
  const container = document.createElement('div');
  const data = new ChartData();
  const charts = fakeCharts();
  const sched = new ManualScheduler();
  let now = 0;
  const view = new ChartView(container, data, charts.factory, 500, sched, () => now);
  view.update();
  assert.equal(view.draws, 0, 'no draw without data');
  data.push([{ step: 1, loss: 1 }]);
  view.update();
  assert.equal(view.draws, 1);
  assert.equal(charts.renderers.length, 1);
  assert.ok(container.querySelector('[data-testid="loss-chart-canvas"]'));
  for (let s = 2; s < 50; s++) {
    data.push([{ step: s, loss: 1 / s }]);
    view.update();
  }
  assert.equal(view.draws, 1, 'throttled');
  assert.equal(sched.queue.length, 1);
  now = 600;
  sched.runAll();
  assert.equal(view.draws, 2);
  const last = charts.renderers[0].data.at(-1)!;
  assert.equal(last[0].length, 49);
  view.destroy();
  assert.ok(charts.renderers[0].destroyed);
});

test('the legend names only series that have points: no "eval loss" until an eval is logged, then the chart gets it', () => {
  const { charts, apply } = makeView();
  apply({ type: 'process_started', runId: RUN, processId: 'p1', name: 'train.py', argv: [] });
  apply({ type: 'metrics', runId: RUN, processId: 'p1', points: [{ step: 1, loss: 2.1, learningRate: 2e-4 }, { step: 2, loss: 1.9, learningRate: 1e-4 }] });
  assert.equal(charts.renderers.length, 1);
  assert.deepEqual(charts.renderers[0].series, ['loss', 'lr']);
  assert.ok(!charts.renderers[0].series.map((k) => SERIES_LABEL[k]).includes('eval loss'));
  apply({ type: 'metrics', runId: RUN, processId: 'p1', points: [{ step: 2, evalLoss: 2.0 }] });
  const last = charts.renderers.at(-1)!;
  assert.deepEqual(last.series.map((k) => SERIES_LABEL[k]), ['loss', 'eval loss', 'lr']);
  assert.ok(charts.renderers[0].destroyed, 'the chart without the eval series is replaced');
});

test('the chart\'s accessible name lists what it draws', () => {
  const d = new ChartData();
  d.push([{ step: 1, loss: 1 }]);
  assert.equal(d.describe(), 'Training loss by step');
  d.push([{ step: 2, loss: 0.9, learningRate: 1e-4, evalLoss: 1.1 }]);
  assert.equal(d.describe(), 'Training loss, eval loss and learning rate by step');
});

test('the learning-rate axis never shows one label on two ticks; 0 reads 0', () => {
  assert.deepEqual(lrTickLabels([1.4e-4, 1.2e-4, 1e-4, 8e-5]), ['1.4e-4', '1.2e-4', '1.0e-4', '8.0e-5'], 'one digit gave 1e-4 three times');
  assert.deepEqual(lrTickLabels([2e-4, 1e-4, 0]), ['2e-4', '1e-4', '0']);
  assert.deepEqual(lrTickLabels([1.06e-4, 1.07e-4, null]), ['1.06e-4', '1.07e-4', '']);
});
