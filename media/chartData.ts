/**
 * The loss / learning-rate chart's data: fixed-capacity arrays in the shape
 * uPlot wants (x first, then one array per series, null for a gap).
 *
 * A run may log hundreds of thousands of steps; the arrays never grow past
 * `capacity`: when full, every other point is dropped and from then on only
 * every `stride`-th step is kept, so the whole history stays visible. Points
 * carrying an eval loss are always kept (they are rare and matter), and so is
 * the latest point, until the next one takes its place: the line always ends
 * at the loss just logged, not at the last stride point.
 */
import type { MetricPoint } from '../src/core/events';

/** x first, then one array per plotted series (see ChartData.plotted), null for a gap. */
export type AlignedData = [number[], ...(number | null)[][]];

/** The series a chart can draw, in drawing order. */
export type SeriesKey = 'loss' | 'evalLoss' | 'lr' | 'reward';

/** What the legend calls each series. */
export const SERIES_LABEL: Record<SeriesKey, string> = { loss: 'loss', evalLoss: 'eval loss', lr: 'lr', reward: 'reward' };

/** How a screen reader hears each series. */
const SERIES_SPOKEN: Record<SeriesKey, string> = { loss: 'training loss', evalLoss: 'eval loss', lr: 'learning rate', reward: 'mean reward' };

const ORDER: readonly SeriesKey[] = ['loss', 'evalLoss', 'lr', 'reward'];

export class ChartData {
  readonly steps: number[] = [];
  readonly loss: (number | null)[] = [];
  readonly evalLoss: (number | null)[] = [];
  readonly lr: (number | null)[] = [];
  /** GRPO's mean reward (trl logs `reward`): what tells a GRPO run learns, its loss does not. */
  readonly reward: (number | null)[] = [];
  private stride = 1;
  private seen = 0;
  /** The last point is kept only as the latest (off the stride): the next point replaces it. */
  private provisional = false;
  /** Bumped on every change; the view redraws when it moved. */
  rev = 0;

  constructor(readonly capacity = 1000) {}

  get length(): number {
    return this.steps.length;
  }

  /** Add points; returns true when anything changed. */
  push(points: readonly MetricPoint[]): boolean {
    let changed = false;
    for (const p of points) {
      if (!p || typeof p.step !== 'number' || !Number.isFinite(p.step)) continue;
      const loss = num(p.loss);
      const evalLoss = num(p.evalLoss);
      const lr = num(p.learningRate);
      const reward = num(p.reward);
      if (loss === null && evalLoss === null && lr === null && reward === null) continue;
      const last = this.steps.length - 1;
      // The trainer logs train and eval loss of one step as separate records: merge them.
      if (last >= 0 && this.steps[last] === p.step) {
        if (loss !== null) this.loss[last] = loss;
        if (evalLoss !== null) {
          this.evalLoss[last] = evalLoss;
          this.provisional = false;
        }
        if (lr !== null) this.lr[last] = lr;
        if (reward !== null) this.reward[last] = reward;
        changed = true;
        continue;
      }
      if (last >= 0 && p.step < this.steps[last]) continue; // out of order (a resumed run replays): ignore
      this.seen++;
      if (this.provisional) {
        this.steps.pop();
        this.loss.pop();
        this.evalLoss.pop();
        this.lr.pop();
        this.reward.pop();
      }
      this.provisional = evalLoss === null && this.stride > 1 && this.seen % this.stride !== 0;
      this.steps.push(p.step);
      this.loss.push(loss);
      this.evalLoss.push(evalLoss);
      this.lr.push(lr);
      this.reward.push(reward);
      changed = true;
      if (this.steps.length >= this.capacity) this.decimate();
    }
    if (changed) this.rev++;
    return changed;
  }

  /**
   * The series with at least one point, in drawing order. Only these are drawn and named in the
   * legend: a run without evaluation has no "eval loss" entry, an SFT/DPO run no "reward" (issue 25 polish).
   */
  plotted(): SeriesKey[] {
    return ORDER.filter((k) => this.series(k).some((v) => v !== null));
  }

  /** x, then the plotted series' values. */
  aligned(): AlignedData {
    return [this.steps, ...this.plotted().map((k) => this.series(k))];
  }

  /** The chart's accessible name: "Training loss and learning rate by step". */
  describe(): string {
    const names = this.plotted().map((k) => SERIES_SPOKEN[k]);
    const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names[0] ?? 'training metrics';
    return `${list.charAt(0).toUpperCase()}${list.slice(1)} by step`;
  }

  series(key: SeriesKey): (number | null)[] {
    return key === 'loss' ? this.loss : key === 'evalLoss' ? this.evalLoss : key === 'lr' ? this.lr : this.reward;
  }

  hasReward(): boolean {
    return this.reward.some((v) => v !== null);
  }

  hasEval(): boolean {
    return this.evalLoss.some((v) => v !== null);
  }

  private decimate(): void {
    const keep = (_: unknown, i: number) => i % 2 === 0 || this.evalLoss[i] !== null || i === this.steps.length - 1;
    const idx = this.steps.map((_, i) => i).filter((i) => keep(null, i));
    for (const arr of [this.steps, this.loss, this.evalLoss, this.lr, this.reward] as Array<Array<number | null>>) {
      const kept = idx.map((i) => arr[i]);
      arr.length = 0;
      arr.push(...kept);
    }
    this.stride *= 2;
  }
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * The learning-rate axis's tick labels: the fewest significant digits (1–3) that keep neighbouring
 * ticks apart — a schedule from 1.4e-4 to 7e-5 read "1e-4" on two ticks with one digit. 0 reads 0.
 */
export function lrTickLabels(values: (number | null)[]): string[] {
  const label = (v: number | null, digits: number) => (v == null ? '' : v === 0 ? '0' : v.toExponential(digits));
  for (let digits = 0; digits < 3; digits++) {
    const labels = values.map((v) => label(v, digits));
    const shown = labels.filter(Boolean);
    if (new Set(shown).size === shown.length) return labels;
  }
  return values.map((v) => label(v, 2));
}
