/**
 * A GRPO run's card: the chart draws the mean reward (what tells a GRPO run learns; its loss does not)
 * and the figures line shows reward, reward std, completion length and the clipped share, from the
 * fixture trainer's GRPOTrainer lines through the real log pipeline. SFT charts get no reward series.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { MetricPoint } from '../../../src/core/events';
import { LogPipeline } from '../../../src/core/logs/pipeline';
import { ChartData } from '../../../media/chartData';
import { ChartView } from '../../../media/chartView';
import { dom, fakeCharts, makeView, ManualScheduler, RUN } from './helpers';

const TRAINER = path.join(__dirname, '..', '..', 'fixtures', 'trainer', 'fake_trainer.py');

function grpoPoints(): MetricPoint[] {
  const log = execFileSync('python3', [TRAINER, '--steps', '20', '--logging-steps', '5', '--method', 'grpo', '--no-color'], { encoding: 'utf8' });
  const out: MetricPoint[] = [];
  const p = new LogPipeline({ onMetric: (point) => out.push({ ...point }) });
  p.pushBytes(Buffer.from(log, 'utf8'));
  p.end();
  return out;
}

test('GRPO points give the chart a reward series with the logged means; SFT points do not', () => {
  const points = grpoPoints();
  const d = new ChartData();
  d.push(points);
  const aligned = d.aligned();
  assert.ok(d.plotted().includes('reward'));
  assert.deepEqual(aligned[1 + d.plotted().indexOf('reward')].filter((v) => v !== null), points.filter((p) => p.reward !== undefined).map((p) => p.reward));
  const sft = new ChartData();
  sft.push([{ step: 1, loss: 2 }, { step: 2, loss: 1.5 }]);
  assert.deepEqual(sft.plotted(), ['loss']);
  assert.equal(sft.aligned().length, 2);
});

test('when a reward first appears the chart is made again with its series, the old one destroyed', () => {
  const { document } = dom();
  const data = new ChartData();
  const charts = fakeCharts();
  let now = 0;
  const sched = new ManualScheduler();
  const view = new ChartView(document.createElement('div'), data, charts.factory, 500, sched, () => now);
  data.push([{ step: 1, loss: 0.01 }]);
  view.update();
  data.push([{ step: 2, loss: 0.02, reward: 0.4 }]);
  now = 1000;
  view.update();
  assert.equal(charts.renderers.length, 2);
  assert.ok(charts.renderers[0].destroyed);
  assert.deepEqual(charts.renderers[1].series, ['loss', 'reward']);
  assert.equal(charts.renderers[1].data.at(-1)!.length, 3);
});

test('the GRPO card\'s figures: reward, reward std, completion length, clipped share', () => {
  const points = grpoPoints();
  const { root, apply } = makeView();
  apply({ type: 'process_started', runId: RUN, processId: 'p1', name: 'train.py', argv: [] });
  apply({ type: 'metrics', runId: RUN, processId: 'p1', points });
  const text = root.querySelector('[data-testid="run-figures"]')!.textContent ?? '';
  const last = points.filter((p) => p.reward !== undefined).at(-1)!;
  assert.match(text, new RegExp(`reward ${String(last.reward).replace('.', '\\.')}`));
  assert.match(text, /reward std [\d.]+/);
  assert.match(text, /completion length [\d.]+/);
  assert.match(text, /clipped [\d.]+ %/);
});
