/**
 * A training loss of exactly 0, log after log, looks like a run going well and is one that learns
 * nothing: trl's SFTTrainer logs `loss: 0.0` when every label of a batch is masked (no answer token
 * survived MAX_LENGTH, or the template marked none; huggingface/trl#6668), fp16 overflow shows the
 * same, and a DPO loss sits at 0 once its margins saturate. Nothing fails, so the run would spend its
 * GPU hours silently: the watch says so once, while it runs. GRPO logs 0 routinely (its own
 * warnings cover a run without reward signal), so its points are left alone.
 */
import { MetricPoint } from '../events';
import { ZERO_LOSS_LOGS } from '../logs/trainingSummary';

/** Logs of exactly 0 in a row before the warning: the same count as a diagnosed log's (trainingSummary.ts). */
export const ZERO_LOSS_RUN = ZERO_LOSS_LOGS;

export interface ZeroLossWarning {
  id: string;
  step: number;
  message: string;
}

/** GRPOTrainer's points (reward, reward_std, completions/…); DPO's rewards/chosen… are not. */
const isGrpo = (p: MetricPoint) => typeof p.reward === 'number' || typeof p.reward_std === 'number' || Object.keys(p).some((k) => k.startsWith('completions/'));

export class ZeroLossWatch {
  private run = 0;

  constructor(private readonly warned: Set<string> = new Set()) {}

  /** The points of one metrics event; a warning the first time the loss has been 0 for ZERO_LOSS_RUN logs. */
  add(points: MetricPoint[]): ZeroLossWarning | undefined {
    for (const p of points) {
      if (p.loss === undefined || isGrpo(p)) continue;
      this.run = p.loss === 0 ? this.run + 1 : 0;
      if (this.run < ZERO_LOSS_RUN) continue;
      const dpo = typeof p['rewards/margins'] === 'number';
      const id = dpo ? 'zero-loss-dpo' : 'zero-loss';
      if (this.warned.has(id)) return undefined;
      this.warned.add(id);
      return { id, step: p.step, message: dpo ? dpoMessage(p['rewards/margins']!) : SFT_MESSAGE };
    }
    return undefined;
  }
}

const SFT_MESSAGE =
  `The training loss has been exactly 0 for ${ZERO_LOSS_RUN} logs in a row: nothing is being learned. trl logs 0.0 when every label of a batch is masked ` +
  '(no answer token left after MAX_LENGTH cuts the row, or a chat template that marks no assistant tokens): check the token preview of the data; fp16 overflow looks the same. ' +
  'Stop the run before it spends more GPU time.';

function dpoMessage(margin: number): string {
  return (
    `The DPO loss has been exactly 0 for ${ZERO_LOSS_RUN} logs in a row (rewards/margins ${margin.toFixed(1)}): the preference margins saturated and these pairs teach nothing more. ` +
    'A lower LEARNING_RATE or BETA, or fewer epochs, keeps the model from drifting further.'
  );
}
