/**
 * Overfitting while it happens: the evaluation loss rising evaluation after evaluation while the
 * training loss keeps falling. Nothing fails, and every later checkpoint is worse on held-out rows
 * than the best one, so the session says so once, with the step of the lowest eval loss (the
 * checkpoint to keep) and what to change for the next run.
 */
import { MetricPoint } from '../events';

/** How far above its lowest the eval loss must be (relative) before a rise counts, not noise. */
export const OVERFIT_MARGIN = 0.02;

export interface OverfitWarning {
  id: string;
  step: number;
  message: string;
}

interface Eval {
  step: number;
  loss: number;
  /** The training loss last logged before this evaluation. */
  trainLoss: number | undefined;
}

const finite = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
const shown = (n: number) => n.toPrecision(3);

export class OverfitWatch {
  private readonly evals: Eval[] = [];
  private lastTrain: number | undefined;

  constructor(private readonly warned: Set<string> = new Set()) {}

  add(points: MetricPoint[]): OverfitWarning | undefined {
    for (const p of points) {
      if (finite(p.loss)) this.lastTrain = p.loss;
      if (!finite(p.evalLoss)) continue;
      this.evals.push({ step: p.step, loss: p.evalLoss, trainLoss: this.lastTrain });
      const warning = this.check();
      if (warning && !this.warned.has(warning.id)) {
        this.warned.add(warning.id);
        return warning;
      }
    }
    return undefined;
  }

  private check(): OverfitWarning | undefined {
    if (this.evals.length < 3) return undefined;
    const [a, b, c] = this.evals.slice(-3);
    // Rose twice in a row, clearly above the best so far, while the training loss kept falling.
    if (!(b.loss > a.loss && c.loss > b.loss)) return undefined;
    const best = this.evals.reduce((m, x) => (x.loss < m.loss ? x : m));
    if (c.loss < best.loss * (1 + OVERFIT_MARGIN)) return undefined;
    if (!finite(best.trainLoss) || !finite(c.trainLoss) || c.trainLoss >= best.trainLoss) return undefined;
    return {
      id: 'overfit',
      step: c.step,
      message:
        `The eval loss has risen for 2 evaluations (from ${shown(best.loss)} at step ${best.step} to ${shown(c.loss)}) while the training loss kept falling ` +
        `(${shown(best.trainLoss)} → ${shown(c.trainLoss)}): the model is memorising its training rows. The lowest eval loss was at step ${best.step}: ` +
        'keep the checkpoint nearest it; next time train fewer epochs (NUM_TRAIN_EPOCHS), lower LEARNING_RATE or add data.',
    };
  }
}
