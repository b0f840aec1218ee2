/**
 * What a training log shows of the training itself: how far it got (logged steps, the last step and
 * the planned total), the loss from first to last, and whether the trainer printed its closing
 * summary (train_runtime, train_loss). A diagnosis says this beside its verdict: "no known failure
 * pattern" alone leaves the user of a healthy log, or of one cut off without an error, guessing.
 * The same reader as the live chart (LogPipeline), so the numbers agree with what the panel showed.
 */
import { LogPipeline } from './pipeline';

export interface TrainingSummary {
  /** Training log lines with metrics (loss dicts, tables, progress bars with a loss). */
  trainPoints: number;
  evalPoints: number;
  /** The highest step a training metric was logged at. */
  lastStep?: number;
  /** The planned number of steps (the progress bar's total). */
  totalSteps?: number;
  firstLoss?: number;
  lastLoss?: number;
  lastEvalLoss?: number;
  /** The trainer's end-of-training summary was logged: the training ran to its end. */
  finished: boolean;
  /** How many of the last logged training losses in a row are exactly 0. */
  zeroLossTail: number;
}

export class TrainingSummaryReader {
  private readonly pipeline: LogPipeline;
  private lastStep: number | undefined;
  private finished = false;
  private zeroLossTail = 0;

  constructor() {
    this.pipeline = new LogPipeline({
      tailLines: 1,
      onMetric: (point, kind) => {
        if (kind === 'summary') this.finished = true;
        else if (kind === 'train') {
          if (Number.isFinite(point.step)) this.lastStep = Math.max(this.lastStep ?? 0, point.step);
          if (point.loss !== undefined) this.zeroLossTail = point.loss === 0 ? this.zeroLossTail + 1 : 0;
        }
      },
    });
  }

  push(text: string): void {
    this.pipeline.push(text);
  }

  end(): TrainingSummary {
    this.pipeline.end();
    const s = this.pipeline.stats;
    return {
      trainPoints: s.trainPoints,
      evalPoints: s.evalPoints,
      ...(this.lastStep !== undefined ? { lastStep: this.lastStep } : {}),
      ...(s.totalSteps ? { totalSteps: s.totalSteps } : {}),
      ...(s.firstLoss !== undefined ? { firstLoss: s.firstLoss } : {}),
      ...(s.lastLoss !== undefined ? { lastLoss: s.lastLoss } : {}),
      ...(s.lastEvalLoss !== undefined ? { lastEvalLoss: s.lastEvalLoss } : {}),
      finished: this.finished,
      zeroLossTail: this.zeroLossTail,
    };
  }
}

const shown = (n: number): string => (Math.abs(n) >= 100 || Number.isInteger(n) ? String(Math.round(n * 100) / 100) : n.toPrecision(3));

/**
 * One paragraph for the user, or undefined when the log holds no training metrics at all. `failed`:
 * the diagnosis named a failure, which is then what ended the training.
 */
export function describeTraining(s: TrainingSummary, opts: { failed?: boolean } = {}): string | undefined {
  if (!s.trainPoints && !s.finished) return undefined;
  const reach = s.lastStep !== undefined ? ` up to step ${s.lastStep}${s.totalSteps ? ` of ${s.totalSteps}` : ''}` : '';
  const parts = [`${s.trainPoints} logged training step${s.trainPoints === 1 ? '' : 's'}${reach}`];
  if (s.firstLoss !== undefined && s.lastLoss !== undefined) parts.push(`loss ${shown(s.firstLoss)} → ${shown(s.lastLoss)}`);
  if (s.lastEvalLoss !== undefined) parts.push(`last eval loss ${shown(s.lastEvalLoss)}`);
  let end: string;
  if (s.finished) end = "It ends with the trainer's closing summary: the training ran to its end.";
  else if (opts.failed) end = `The failure above stopped it${s.lastStep !== undefined ? ` after step ${s.lastStep}` : ''}.`;
  else if (s.totalSteps && s.lastStep !== undefined && s.lastStep < s.totalSteps) {
    end =
      `It stops at step ${s.lastStep} of ${s.totalSteps} with no closing summary: if no error follows, the process was ended from outside ` +
      '(the system out-of-memory killer, a time limit, Ctrl+C, a closed terminal), or it is still running.';
  } else end = 'It has no closing summary: the training may still be running, or was ended from outside.';
  // A loss of exactly 0, log after log, is how several silent failures look (ZERO_LOSS_LOGS in a row).
  const zero = s.zeroLossTail >= ZERO_LOSS_LOGS
    ? ` The last ${s.zeroLossTail} logged losses are exactly 0: in SFT that means no token is trained (every label masked: check the chat template and the preview's trained tokens) or fp16 overflow; in DPO that the preference margins saturated (the model no longer learns from these pairs); GRPO logs 0 when a group's rewards do not vary.`
    : '';
  return `The log shows training: ${parts.join('; ')}. ${end}${zero}`;
}

/** Logged losses of exactly 0 in a row before the summary warns (one or two can be rounding). */
export const ZERO_LOSS_LOGS = 3;
