// The run card's line of latest figures, fed the metric points the log pipeline extracts from the
// real trl 1.9 console output of a DPO, a KTO and an SFT run (test/fixtures/real-gpu/trl-1.9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { MetricPoint } from '../../../src/core/events';
import { LogPipeline } from '../../../src/core/logs/pipeline';
import { makeView, RUN } from './helpers';

const DIR = path.resolve(__dirname, '../../fixtures/real-gpu/trl-1.9');

function pointsOf(name: string): MetricPoint[] {
  const points: MetricPoint[] = [];
  const p = new LogPipeline({ onMetric: (point) => points.push({ ...point }) });
  p.pushBytes(readFileSync(path.join(DIR, `${name}.log`)));
  p.end();
  return points;
}

function figuresAfter(name: string): { text: string; hidden: boolean } {
  const { root, apply } = makeView();
  apply({ type: 'process_started', runId: RUN, processId: 'p1', name: 'train.py', argv: ['python', 'train.py'] });
  // As the session sends them: a few points per event.
  const points = pointsOf(name);
  for (let i = 0; i < points.length; i += 3) apply({ type: 'metrics', runId: RUN, processId: 'p1', points: points.slice(i, i + 3) });
  const el = root.querySelector('[data-testid="run-figures"]') as HTMLElement;
  return { text: el.textContent ?? '', hidden: el.hidden };
}

test('a DPO run shows its last eval loss, reward margin and reward accuracy', () => {
  // Last train record of dpo-lora-implicit: rewards/margins 0.05298, rewards/accuracies 1; the
  // final evaluate(): eval_loss 0.6676 (values as the console printed them).
  const { text, hidden } = figuresAfter('dpo-lora-implicit');
  assert.equal(hidden, false);
  const last = pointsOf('dpo-lora-implicit').filter((p) => p['rewards/margins'] !== undefined).at(-1)!;
  assert.match(text, new RegExp(`^eval loss 0\\.6676 · reward margin ${String(last['rewards/margins']).replace('.', '\\.')} · reward accuracy ${last['rewards/accuracies']! * 100} % · token accuracy`));
});

test('a KTO run shows its KL; an SFT run its token accuracy and no reward figures', () => {
  assert.match(figuresAfter('kto-lora').text, /· KL \d/);
  const sft = figuresAfter('sft-lora-custom-qa').text;
  assert.match(sft, /^eval loss [\d.]+ · token accuracy [\d.]+ % · grad norm [\d.]+$/);
  assert.doesNotMatch(sft, /reward/);
});

test('no figures line before the first logged figure', () => {
  const { root, apply } = makeView();
  apply({ type: 'process_started', runId: RUN, processId: 'p1', name: 'train.py', argv: [] });
  apply({ type: 'metrics', runId: RUN, processId: 'p1', points: [{ step: 1, loss: 2 }] });
  assert.equal((root.querySelector('[data-testid="run-figures"]') as HTMLElement).hidden, true);
});
