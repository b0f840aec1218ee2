/**
 * The latest value of the figures a user judges a run by, beyond the loss the progress line
 * already shows: eval loss for every method, and what each trainer logs about its own health —
 * DPO's reward margin and accuracy (its loss barely moves from 0.693 with a small beta), KTO's KL,
 * SFT's token accuracy. Keys are those trl 1.9 / transformers 5 print (test/fixtures/real-gpu/trl-1.9).
 */
import type { MetricPoint } from '../src/core/events';
import { formatNumber } from './dom';

interface Figure {
  key: string;
  label: string;
  percent?: boolean;
}

/** In the order they are shown; a figure appears once the run has logged it. */
export const FIGURES: readonly Figure[] = [
  { key: 'evalLoss', label: 'eval loss' },
  { key: 'rewards/margins', label: 'reward margin' },
  { key: 'rewards/accuracies', label: 'reward accuracy', percent: true },
  { key: 'kl', label: 'KL' },
  // GRPO (trl's GRPOTrainer keys): the reward and its spread within groups (0 = nothing to learn from),
  // how long the completions are and how many hit max_completion_length.
  { key: 'reward', label: 'reward' },
  { key: 'reward_std', label: 'reward std' },
  { key: 'completions/mean_length', label: 'completion length' },
  { key: 'completions/clipped_ratio', label: 'clipped', percent: true },
  { key: 'mean_token_accuracy', label: 'token accuracy', percent: true },
  { key: 'gradNorm', label: 'grad norm' },
];

export class LatestFigures {
  private readonly values = new Map<string, number>();

  /** Take the figures of new points (eval points carry evalLoss; train points the rest). Returns true when any changed. */
  push(points: readonly MetricPoint[]): boolean {
    let changed = false;
    for (const p of points) {
      if (!p) continue;
      for (const f of FIGURES) {
        const v = p[f.key];
        if (typeof v === 'number' && Number.isFinite(v) && this.values.get(f.key) !== v) {
          this.values.set(f.key, v);
          changed = true;
        }
      }
    }
    return changed;
  }

  /** "eval loss 0.6676 · reward margin 0.05431 · reward accuracy 100 %", or '' before any. */
  text(): string {
    return FIGURES.filter((f) => this.values.has(f.key))
      .map((f) => {
        const v = this.values.get(f.key)!;
        return `${f.label} ${f.percent ? `${formatNumber(v * 100, 3)} %` : formatNumber(v)}`;
      })
      .join(' · ');
  }
}
