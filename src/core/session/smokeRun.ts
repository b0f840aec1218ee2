/**
 * The smoke run: a few real optimizer steps of the accepted train.py, with its own configuration,
 * before the full run. What it prints (the Trainer's loss dicts and summary, the script's
 * ML_INTERN_PEAK_MEMORY line) gives the step time, tokens/s, the peak GPU memory and whether the
 * loss is finite and moving; from those, the full run's ETA and a batch plan fitted to the memory
 * really used (the planner of estimate.ts, calibrated by the measured peak) as a CONFIG diff.
 * Pure functions here; smokeStage.ts runs it through the session's runs and repair loop.
 */
import * as path from 'node:path';
import { ConfigValue, readConfig } from '../recipes/configBlock';
import { applyOverrides, ConfigOverrideError } from '../recipes/configOverrides';
import { estimateMemory, planBatch, relativeStepTime, resolveDims } from '../recipes/estimate';
import { totalSteps } from '../recipes/stepPlan';
import { MeasuredLengths, planRowLength } from '../recipes/lengthPlan';
import { Adapter, Method } from '../recipes/spec';
import { parseMetricDict } from '../logs/pyDict';
import { stripAnsi } from '../logs/logLine';

export const DEFAULT_SMOKE_STEPS = 10;
/** Beside the accepted script (same folder, same relative DATASET, same accelerate config); removed after. */
export const SMOKE_SCRIPT_NAME = 'train.smoke.py';

// The report's shape lives in recipes/smokeReport.ts (events.ts names it); re-exported for this module's users.
import { FittedPlan, SmokeMeasurement, SmokeReport } from '../recipes/smokeReport';
export type { FittedPlan, SmokeMeasurement, SmokeReport } from '../recipes/smokeReport';

/** The accepted script with the smoke run's settings: N steps, its own output folder, no push, no resume. */
export function smokeScript(script: string, steps: number, outputDir: string): string {
  const config = readConfig(script);
  if (!('MAX_STEPS' in config)) {
    throw new ConfigOverrideError('The script has no MAX_STEPS in its CONFIG block (it predates the smoke run): add MAX_STEPS = -1 there and pass max_steps=MAX_STEPS to the training config, or write the recipe again.');
  }
  const overrides: Record<string, ConfigValue> = { MAX_STEPS: steps, OUTPUT_DIR: outputDir };
  if ('HUB_MODEL_ID' in config) overrides.HUB_MODEL_ID = null;
  if ('RESUME_FROM_CHECKPOINT' in config) overrides.RESUME_FROM_CHECKPOINT = null;
  // No checkpoint in the middle of a few steps (it would only cost disk and time).
  if (typeof config.SAVE_STEPS === 'number') overrides.SAVE_STEPS = Math.max(config.SAVE_STEPS, steps + 1);
  return applyOverrides(script, overrides);
}

/** The launch argv with the smoke copy in place of the accepted script (python, accelerate launch …). */
export function smokeArgv(argv: string[], scriptPath: string): string[] {
  const name = path.basename(scriptPath);
  if (name !== SMOKE_SCRIPT_NAME) return argv;
  return argv.map((a) => (a === 'train.py' || a.endsWith('/train.py') ? a.slice(0, a.length - 'train.py'.length) + name : a));
}

const PEAK_LINE = /ML_INTERN_PEAK_MEMORY peak_gib=([0-9.]+) total_gib=([0-9.]+)/;

/** What a smoke run's output says; undefined numbers are left out rather than guessed. */
export function measureSmoke(logText: string, config: Record<string, ConfigValue>, tokensPerRow?: number, processes = 1): SmokeMeasurement {
  const losses: number[] = [];
  let summary: Record<string, number> | undefined;
  let trainRows: number | undefined;
  let peak: RegExpExecArray | null = null;
  for (const raw of logText.split(/[\r\n]/)) {
    const line = stripAnsi(raw);
    const dict = parseMetricDict(line);
    if (dict && 'train_runtime' in dict) summary = dict;
    else if (dict && 'loss' in dict) losses.push(dict.loss);
    const rows = /Num examples = ([0-9,]+)/.exec(line);
    if (rows) trainRows = Number(rows[1].replace(/,/g, ''));
    peak = PEAK_LINE.exec(line) ?? peak;
  }
  const maxSteps = typeof config.MAX_STEPS === 'number' && config.MAX_STEPS > 0 ? config.MAX_STEPS : DEFAULT_SMOKE_STEPS;
  const runtime = summary?.train_runtime;
  const stepsPerSecond = summary?.train_steps_per_second;
  const steps = runtime && stepsPerSecond ? Math.round(runtime * stepsPerSecond) || maxSteps : maxSteps;
  const stepSeconds = runtime !== undefined ? runtime / steps : NaN;
  const m: SmokeMeasurement = {
    steps,
    stepSeconds,
    losses,
    lossFinite: losses.length > 0 && losses.every(Number.isFinite) && (summary?.train_loss === undefined || Number.isFinite(summary.train_loss)),
    lossMoving: losses.length > 1 && Math.abs(losses[losses.length - 1] - losses[0]) > 1e-3 * Math.abs(losses[0]),
    ...(trainRows !== undefined ? { trainRows } : {}),
  };
  if (peak) Object.assign(m, { peakMemoryGiB: Number(peak[1]), gpuMemoryGiB: Number(peak[2]) });
  if (summary?.train_tokens_per_second !== undefined) Object.assign(m, { tokensPerSecond: summary.train_tokens_per_second, tokensPerSecondFrom: 'trainer' });
  else if (Number.isFinite(stepSeconds) && stepSeconds > 0) {
    const rowTokens = tokensPerRow ?? (typeof config.MAX_LENGTH === 'number' ? config.MAX_LENGTH : undefined);
    if (rowTokens) Object.assign(m, { tokensPerSecond: (effectiveBatch(config) * Math.max(1, processes) * rowTokens) / stepSeconds, tokensPerSecondFrom: 'batch plan' });
  }
  return m;
}

function num(config: Record<string, ConfigValue>, name: string, fallback: number): number {
  const v = config[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function effectiveBatch(config: Record<string, ConfigValue>): number {
  return Math.max(1, num(config, 'PER_DEVICE_TRAIN_BATCH_SIZE', 1) * num(config, 'GRADIENT_ACCUMULATION_STEPS', 1));
}

/** Adapter as the recipe's CONFIG block shows it: LOAD_IN_4BIT → QLoRA, LORA_R → LoRA, else full. */
export function adapterOf(config: Record<string, ConfigValue>): Adapter {
  if (config.LOAD_IN_4BIT === true) return 'qlora';
  return 'LORA_R' in config ? 'lora' : 'full';
}

export interface SmokeContext {
  /** The accepted script's CONFIG (not the smoke copy's). */
  config: Record<string, ConfigValue>;
  method: Method;
  /** Rows of the dataset (the inspection) when the log does not say. */
  datasetRows?: number;
  processes?: number;
  /** The token preview's measured lengths: the plan counts the longest row instead of MAX_LENGTH (lengthPlan.ts). */
  lengths?: MeasuredLengths;
}

/** Optimizer steps of the full run: MAX_STEPS when set, else rows / effective batch x epochs. */
export function fullRunSteps(m: SmokeMeasurement, c: SmokeContext): number | undefined {
  const maxSteps = num(c.config, 'MAX_STEPS', -1);
  if (maxSteps > 0) return maxSteps;
  const rows = m.trainRows ?? (c.datasetRows !== undefined ? Math.floor(c.datasetRows * (1 - num(c.config, 'EVAL_SPLIT', 0))) : undefined);
  if (!rows) return undefined;
  return totalSteps({
    rows, evalSplit: 0, epochs: num(c.config, 'NUM_TRAIN_EPOCHS', 1),
    perDeviceTrainBatchSize: num(c.config, 'PER_DEVICE_TRAIN_BATCH_SIZE', 1), gradientAccumulationSteps: num(c.config, 'GRADIENT_ACCUMULATION_STEPS', 1), gpus: c.processes ?? 1,
  });
}

/**
 * The planner's fastest plan that fits, with its estimates scaled by what the smoke run really used:
 * calibration = measured peak / estimate for the smoke run's own settings, so the budget it plans
 * against is the card's memory divided by that factor. The effective batch stays; the micro-batch
 * may go up as well as down.
 */
export function fitPlan(m: SmokeMeasurement, c: SmokeContext): FittedPlan | string {
  if (m.peakMemoryGiB === undefined || !m.gpuMemoryGiB) return 'no peak GPU memory was printed (no CUDA device, or a script without the ML_INTERN_PEAK_MEMORY line)';
  const modelId = typeof c.config.MODEL_ID === 'string' ? c.config.MODEL_ID : '';
  let dims;
  try {
    dims = resolveDims({ baseModel: modelId });
  } catch {
    return `${modelId || 'the model'} is not in the planner's model table, so no plan can be fitted (the measured peak still stands)`;
  }
  const adapter = adapterOf(c.config);
  const bs = num(c.config, 'PER_DEVICE_TRAIN_BATCH_SIZE', 1);
  const gas = num(c.config, 'GRADIENT_ACCUMULATION_STEPS', 1);
  const gc = c.config.GRADIENT_CHECKPOINTING === true;
  const maxLength = num(c.config, 'MAX_LENGTH', 1024);
  const lora = { loraR: num(c.config, 'LORA_R', 16), loraDropout: num(c.config, 'LORA_DROPOUT', 0.05), ...(c.config.LORA_TARGET_MODULES ? { targetModules: c.config.LORA_TARGET_MODULES as string | string[] } : {}) };
  const rows = c.lengths ? planRowLength(c.lengths, maxLength) : undefined;
  const rowTokens = rows?.tokens ?? maxLength;
  const estimate = estimateMemory({ dims, adapter, method: c.method, maxLength, rowTokens, perDeviceTrainBatchSize: bs, gradientCheckpointing: gc, ...lora });
  const calibration = m.peakMemoryGiB / estimate.totalGiB;
  const plan = planBatch({ dims, adapter, method: c.method, maxLength, rowTokens, perDeviceTrainBatchSize: bs * gas, gradientAccumulationSteps: 1, ...lora }, (m.gpuMemoryGiB * 1024) / calibration);
  const notes = [...plan.notes.filter((n) => !n.startsWith('Micro-batch lowered'))];
  if (rows) notes.push(`Rows: ${rows.why}.`);
  const changes: Record<string, ConfigValue> = {};
  if (plan.adapter !== adapter || !plan.fits) {
    notes.push(`Measured ${m.peakMemoryGiB.toFixed(1)} GiB of ${m.gpuMemoryGiB.toFixed(1)} GiB: the plan would need ${plan.fits ? plan.adapter : 'more memory'}; the smoke run's settings are kept.`);
    return { changes, plan, calibration, stepSeconds: m.stepSeconds, notes };
  }
  if (plan.perDeviceTrainBatchSize !== bs) changes.PER_DEVICE_TRAIN_BATCH_SIZE = plan.perDeviceTrainBatchSize;
  if (plan.gradientAccumulationSteps !== gas) changes.GRADIENT_ACCUMULATION_STEPS = plan.gradientAccumulationSteps;
  if (plan.gradientCheckpointing !== gc) changes.GRADIENT_CHECKPOINTING = plan.gradientCheckpointing;
  // Same tokens per optimizer step: the step time scales with the planner's time per token.
  const stepSeconds = m.stepSeconds * (relativeStepTime(plan.perDeviceTrainBatchSize, rowTokens, plan.gradientCheckpointing) / relativeStepTime(bs, rowTokens, gc));
  return { changes, plan, calibration, stepSeconds, notes };
}

/** Everything the smoke run found, as smoke.json keeps it. */
export function smokeReport(logText: string, c: SmokeContext & { steps: number; tokensPerRow?: number }): SmokeReport {
  const m = measureSmoke(logText, { ...c.config, MAX_STEPS: c.steps }, c.tokensPerRow, c.processes);
  const warnings: string[] = [];
  if (!m.losses.length) warnings.push('No loss was logged: set LOGGING_STEPS at or below the smoke run\'s steps to see whether it moves.');
  else if (!m.lossFinite) warnings.push('The loss is not finite (nan or inf): the full run would not learn. Lower LEARNING_RATE or check the data and precision (BF16/FP16).');
  else if (!m.lossMoving) warnings.push('The loss did not move over the smoke run\'s steps: check LEARNING_RATE and that the trained tokens are not all masked (Preview Training Tokens).');
  const report: SmokeReport = { steps: c.steps, measurement: m, warnings };
  const full = fullRunSteps(m, c);
  if (full !== undefined && Number.isFinite(m.stepSeconds)) Object.assign(report, { fullRunSteps: full, etaSeconds: full * m.stepSeconds });
  else warnings.push('No ETA: the number of training rows is unknown or the run printed no train_runtime.');
  const fitted = fitPlan(m, c);
  if (typeof fitted === 'string') warnings.push(`No fitted batch plan: ${fitted}.`);
  else report.fitted = fitted;
  return report;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${String(m).padStart(2, '0')} min` : m ? `${m} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`;
}

/** The report as lines for a terminal or the chat. */
/** One line for the chat beside the smoke card: step time, peak memory, the full run's ETA and whether a plan was fitted. */
export function smokeSummaryLine(r: SmokeReport): string {
  const m = r.measurement;
  const bits = [`${m.stepSeconds.toFixed(2)} s per step`];
  if (m.peakMemoryGiB !== undefined) bits.push(`peak ${m.peakMemoryGiB.toFixed(1)}${m.gpuMemoryGiB !== undefined ? ` of ${m.gpuMemoryGiB.toFixed(1)}` : ''} GiB`);
  if (r.etaSeconds !== undefined) bits.push(`full run about ${formatDuration(r.etaSeconds)}`);
  const fitted = r.fitted && Object.keys(r.fitted.changes).length ? ' A faster batch plan that fits is proposed next.' : '';
  const warn = r.warnings.length ? ` ${r.warnings.length === 1 ? 'One warning' : `${r.warnings.length} warnings`} on the card.` : '';
  return `${SMOKE_MEASURED} (${m.steps} steps): ${bits.join(', ')}.${fitted}${warn}`;
}

/** How the chat message after a smoke run begins: a reload puts the smoke card back right after it. */
export const SMOKE_MEASURED = 'Smoke run measured';

export function formatSmokeReport(r: SmokeReport): string[] {
  const m = r.measurement;
  const lines = [`Smoke run: ${m.steps} steps, ${m.stepSeconds.toFixed(2)} s per step`];
  if (m.tokensPerSecond !== undefined) lines.push(`Tokens/s: ${Math.round(m.tokensPerSecond).toLocaleString('en-US')}${m.tokensPerSecondFrom === 'batch plan' ? ' (at most: from the batch plan with full-length rows)' : ''}`);
  if (m.peakMemoryGiB !== undefined) lines.push(`Peak GPU memory: ${m.peakMemoryGiB.toFixed(1)} GiB of ${m.gpuMemoryGiB?.toFixed(1)} GiB`);
  lines.push(`Loss: ${m.losses.map((l) => (Number.isFinite(l) ? l.toFixed(3) : String(l))).join(' → ') || 'not logged'}`);
  if (r.etaSeconds !== undefined) lines.push(`Full run: ${r.fullRunSteps} steps, about ${formatDuration(r.etaSeconds)}`);
  const f = r.fitted;
  if (f && Object.keys(f.changes).length) {
    const eta = r.fullRunSteps !== undefined ? `, about ${formatDuration(r.fullRunSteps * f.stepSeconds)}` : '';
    lines.push(`Fitted plan: ${Object.entries(f.changes).map(([k, v]) => `${k} = ${String(v)}`).join(', ')}${eta}`);
  } else if (f) lines.push('Fitted plan: the current batch settings are already the fastest that fit.');
  if (f) lines.push(...f.notes.map((n) => `  ${n}`));
  lines.push(...r.warnings);
  return lines;
}
