/**
 * The batch plan for the rows as the token preview measured them. The recipe is written before the
 * preview runs, so its plan counted MAX_LENGTH tokens for every row; once the preview has tokenized
 * the data, the plan is made again for the longest row (lengthPlan.ts says why that one) and, when
 * it differs, offered as a reviewed diff of train.py's CONFIG block. With a smoke run the smoke
 * run's fitted plan does this instead (it counts the same rows and the measured peak as well).
 */
import { ConfigValue, readConfig } from '../recipes/configBlock';
import { applyOverrides } from '../recipes/configOverrides';
import { planBatch, resolveDims } from '../recipes/estimate';
import { MeasuredLengths, planRowLength } from '../recipes/lengthPlan';
import { Method } from '../recipes/spec';
import { ProposedChange, ReviewDecision } from '../ports';
import { adapterOf } from './smokeRun';
import { EnvReport } from '../python/types';
import { gpusFromComputeNode } from '../exec/slurmProbe';
import { recipeEnvironment } from './envAdapters';

/**
 * The GPU memory the plan is made for: this machine's first GPU; on the Slurm target a compute
 * node's only (asked with a short job), since the login node's card (or none) is not what trains.
 */
export function trainingGpuMemoryMiB(report: EnvReport | undefined, target: 'local' | 'slurm'): number | undefined {
  if (target === 'slurm' && !gpusFromComputeNode(report)) return undefined;
  return recipeEnvironment(report)?.gpus?.[0]?.memoryTotalMiB;
}

export interface LengthFit {
  /** CONFIG names → values to change (empty: the reviewed plan already fits these rows best). */
  changes: Record<string, ConfigValue>;
  /** Which row length was planned for, and why. */
  why: string;
  estimateGiB: number;
}

function num(config: Record<string, ConfigValue>, name: string, fallback: number): number {
  const v = config[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/** The planner's fastest plan for the measured rows on this card, or why there is none to offer. */
export function fitToLengths(config: Record<string, ConfigValue>, method: Method, lengths: MeasuredLengths, gpuMemoryMiB: number): LengthFit | string {
  const maxLength = num(config, 'MAX_LENGTH', 1024);
  const rows = planRowLength(lengths, maxLength);
  if (!rows.measured) return rows.why;
  const modelId = typeof config.MODEL_ID === 'string' ? config.MODEL_ID : '';
  let dims;
  try {
    dims = resolveDims({ baseModel: modelId });
  } catch {
    return `${modelId || 'the model'} is not in the planner's model table`;
  }
  const adapter = adapterOf(config);
  const bs = num(config, 'PER_DEVICE_TRAIN_BATCH_SIZE', 1);
  const gas = num(config, 'GRADIENT_ACCUMULATION_STEPS', 1);
  const gc = config.GRADIENT_CHECKPOINTING === true;
  const lora = { loraR: num(config, 'LORA_R', 16), loraDropout: num(config, 'LORA_DROPOUT', 0.05), ...(config.LORA_TARGET_MODULES ? { targetModules: config.LORA_TARGET_MODULES as string | string[] } : {}) };
  // The effective batch stays; the micro-batch may go up (short rows) as well as down.
  const plan = planBatch({ dims, adapter, method, maxLength, rowTokens: rows.tokens, perDeviceTrainBatchSize: bs * gas, gradientAccumulationSteps: 1, ...lora }, gpuMemoryMiB);
  if (plan.adapter !== adapter || !plan.fits) return `even the measured rows need ${plan.fits ? plan.adapter : 'more memory'} on this card`;
  const changes: Record<string, ConfigValue> = {};
  if (plan.perDeviceTrainBatchSize !== bs) changes.PER_DEVICE_TRAIN_BATCH_SIZE = plan.perDeviceTrainBatchSize;
  if (plan.gradientAccumulationSteps !== gas) changes.GRADIENT_ACCUMULATION_STEPS = plan.gradientAccumulationSteps;
  if (plan.gradientCheckpointing !== gc) changes.GRADIENT_CHECKPOINTING = plan.gradientCheckpointing;
  return { changes, why: rows.why, estimateGiB: plan.estimate.totalGiB };
}

export const NO_NODE_GPU = "No batch plan for the measured rows: the compute node's GPU is not known here (mlIntern.slurm.gpuCheck asks one with a short job). The job keeps the reviewed settings.";

export interface LengthFitPorts {
  runId: string;
  method: Method;
  /** The training environment's report and where it trains: the GPU planned for (trainingGpuMemoryMiB). */
  environment: EnvReport | undefined;
  target: 'local' | 'slurm';
  read: (path: string) => Promise<string>;
  propose: (change: ProposedChange) => Promise<ReviewDecision>;
  say: (text: string) => Promise<void>;
}

/** After the preview, before the full run: the plan for the measured rows as a reviewed diff of train.py, when it changes anything. */
export async function proposeLengthFit(p: LengthFitPorts, scriptPath: string, lengths: MeasuredLengths): Promise<void> {
  const gpuMemoryMiB = trainingGpuMemoryMiB(p.environment, p.target);
  // Without a GPU to plan for, nothing is planned; on Slurm that is said (the job keeps the reviewed plan).
  if (!gpuMemoryMiB) return p.target === 'slurm' ? p.say(NO_NODE_GPU) : undefined;
  const accepted = await p.read(scriptPath);
  const fit = fitToLengths(readConfig(accepted), p.method, lengths, gpuMemoryMiB);
  if (typeof fit === 'string' || !Object.keys(fit.changes).length) return;
  const what = Object.entries(fit.changes).map(([k, v]) => `${k} = ${String(v)}`).join(', ');
  const decision = await p.propose({
    path: scriptPath, original: accepted, proposed: applyOverrides(accepted, fit.changes), origin: 'recipe', runId: p.runId,
    description: `Batch plan for the measured rows (${what}; ~${fit.estimateGiB} GiB of ${Math.round(gpuMemoryMiB / 1024)} GiB): ${fit.why}`,
  });
  await p.say(decision.kind === 'accepted' ? `The batch plan for the measured rows is in train.py (${what}): the full run uses it.` : 'The batch plan for the measured rows was declined: the full run keeps the reviewed settings.');
}
