/**
 * What a smoke run measured and the batch plan fitted to it (session/smokeRun.ts computes them),
 * as the smoke_result event carries them to the panel: here, beside the batch plan's own types,
 * because events.ts, the lowest layer of the core, names them.
 */
import { ConfigValue } from './configBlock';
import { BatchPlan } from './estimate';

export interface SmokeMeasurement {
  /** Optimizer steps the smoke run took (its summary's steps, else MAX_STEPS). */
  steps: number;
  /** Seconds per optimizer step (train_runtime / steps, including the first step's warm-up). */
  stepSeconds: number;
  tokensPerSecond?: number;
  /** 'trainer': its own train_tokens_per_second; 'batch plan': tokens per step / step time (an upper bound with MAX_LENGTH per row). */
  tokensPerSecondFrom?: 'trainer' | 'batch plan';
  peakMemoryGiB?: number;
  gpuMemoryGiB?: number;
  losses: number[];
  lossFinite: boolean;
  /** The logged loss changed by more than 0.1 % between the first and the last log. */
  lossMoving: boolean;
  /** Training rows the Trainer reported ("Num examples = 1,000"). */
  trainRows?: number;
}

export interface FittedPlan {
  /** CONFIG names → values to change (empty: the current plan is already the one to keep). */
  changes: Record<string, ConfigValue>;
  plan: BatchPlan;
  /** Measured peak / the estimate for the smoke run's own configuration. */
  calibration: number;
  /** Seconds per optimizer step expected with the fitted plan. */
  stepSeconds: number;
  notes: string[];
}

export interface SmokeReport {
  steps: number;
  measurement: SmokeMeasurement;
  /** Optimizer steps of the full run, and its ETA at the measured step time. */
  fullRunSteps?: number;
  etaSeconds?: number;
  fitted?: FittedPlan;
  /** Why there is no ETA or no fitted plan, or what looks wrong (loss not finite or not moving). */
  warnings: string[];
}
