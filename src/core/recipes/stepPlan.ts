/**
 * How often a run logs, evaluates and checkpoints, scaled to its length. Fixed defaults (log every
 * 10 steps, evaluate and save every 200) leave a small run with an empty chart: a real DPO session
 * on 76 rows trained 5 optimizer steps and logged no loss at all. With the dataset's row count
 * from the inspection, a run logs ~25 times (at most every 10 steps), evaluates ~5 times and saves
 * ~3 times (at most every 200 steps); without it, the fixed defaults stay.
 */
export interface StepPlan {
  loggingSteps: number;
  evalSteps: number;
  saveSteps: number;
  /** Optimizer steps the run will take (estimate). */
  totalSteps: number;
}

export interface StepPlanInput {
  rows: number;
  evalSplit: number;
  epochs: number;
  perDeviceTrainBatchSize: number;
  gradientAccumulationSteps: number;
  gpus: number;
}

export const FIXED_STEPS = { loggingSteps: 10, evalSteps: 200, saveSteps: 200 } as const;

export function totalSteps(i: StepPlanInput): number {
  const trainRows = Math.max(1, Math.floor(i.rows * (1 - i.evalSplit)));
  const perStep = Math.max(1, i.perDeviceTrainBatchSize * i.gradientAccumulationSteps * Math.max(1, i.gpus));
  return Math.max(1, Math.ceil(trainRows / perStep) * Math.max(1, Math.ceil(i.epochs)));
}

export function planSteps(i: StepPlanInput): StepPlan {
  const total = totalSteps(i);
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const loggingSteps = clamp(Math.round(total / 25), 1, FIXED_STEPS.loggingSteps);
  // Evaluate on logging steps, so eval points sit on the train curve.
  const evalSteps = clamp(Math.round(total / 5 / loggingSteps) * loggingSteps, loggingSteps, FIXED_STEPS.evalSteps);
  const saveSteps = clamp(Math.round(total / 3 / evalSteps) * evalSteps, evalSteps, FIXED_STEPS.saveSteps);
  return { loggingSteps, evalSteps, saveSteps, totalSteps: total };
}
