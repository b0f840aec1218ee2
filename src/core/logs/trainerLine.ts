/**
 * One segment of trainer output → what it says: rank prefix, metrics (HF/trl
 * dicts, torchtitan step lines, DeepSpeed step lines, Unsloth tables), progress
 * bars, and total-step hints. Pure functions; the pipeline keeps the state.
 */
import { parseMetricDict, parsePythonNumber } from './pyDict';

/** Canonical MetricPoint names for the common keys; the rest keep their own names. */
const KEY_MAP: Record<string, string> = {
  loss: 'loss',
  eval_loss: 'evalLoss',
  learning_rate: 'learningRate',
  lr: 'learningRate',
  grad_norm: 'gradNorm',
  epoch: 'epoch',
  step: 'step',
};

export type MetricKind = 'train' | 'eval' | 'summary';

export interface ParsedMetrics {
  kind: MetricKind;
  values: Record<string, number>;
  /** The step the line names itself, when it does. */
  step?: number;
  /**
   * Set by the byte parser: `values` laid out as the MetricPoint already ({ step: 0, ...values },
   * keys in the same order), so the pipeline only fills in the step instead of copying it.
   */
  asPoint?: boolean;
}

/** The MetricPoint name of a dict key (keys not inherited from Object.prototype). */
export function metricName(key: string): string {
  return KEY_MAP[key] ?? key;
}

export function renameKeys(dict: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(dict)) out[KEY_MAP[k] ?? k] = dict[k];
  return out;
}

export function parseDictLine(text: string): ParsedMetrics | undefined {
  if (text.indexOf("{'") === -1) return undefined;
  const dict = parseMetricDict(text);
  if (!dict) return undefined;
  return dictMetrics(dict);
}

/** parseDictLine's answer for the dict parseMetricDict gave. */
export function dictMetrics(dict: Record<string, number>): ParsedMetrics | undefined {
  const keys = Object.keys(dict);
  if (keys.length === 0) return undefined;
  let kind: MetricKind = 'train';
  if (keys.some((k) => k.startsWith('eval_'))) kind = 'eval';
  else if ('train_runtime' in dict || 'train_loss' in dict) kind = 'summary';
  const values = renameKeys(dict);
  const step = values.step;
  delete values.step;
  return { kind, values, step };
}

// torchtitan: "step: 22  loss:  6.2250  memory:  1.41GiB(1.79%)  tps: 193,831  tflops: 18.36  mfu: 1.86%"
const TITAN_RE = /\bstep:\s*(\d+)\s+loss:\s*(\S+)/;
const TITAN_MEM_RE = /memory:\s*([\d.]+)GiB/;

export function parseStepLossLine(text: string): (ParsedMetrics & { memoryGiB?: number }) | undefined {
  if (text.indexOf('step:') === -1 || text.indexOf('loss:') === -1) return undefined;
  const m = TITAN_RE.exec(text);
  if (!m) return undefined;
  const loss = parsePythonNumber(m[2]);
  if (loss === undefined) return undefined;
  const mem = TITAN_MEM_RE.exec(text);
  return { kind: 'train', values: { loss }, step: Number(m[1]), memoryGiB: mem ? Number(mem[1]) : undefined };
}

// DeepSpeed log_dist: "[Rank 0] step=2000, skipped=1995, lr=[0.001, 0.001], mom=[0.0, 0.0]"
const DS_RE = /\bstep=(\d+), skipped=(\d+), lr=\[([^\],]+)/;

export function parseDeepSpeedStep(text: string): ParsedMetrics | undefined {
  if (text.indexOf('step=') === -1 || text.indexOf('lr=[') === -1) return undefined;
  const m = DS_RE.exec(text);
  if (!m) return undefined;
  const values: Record<string, number> = { skippedSteps: Number(m[2]) };
  const lr = parsePythonNumber(m[3]);
  if (lr !== undefined) values.learningRate = lr;
  return { kind: 'train', values, step: Number(m[1]) };
}

// "Total optimization steps = 378" (HF Trainer, LLaMA-Factory) and "Total steps = 60" (Unsloth banner)
const TOTAL_RE = /Total (?:optimization )?steps = ([\d,]+)/;

export function parseTotalSteps(text: string): number | undefined {
  if (text.indexOf('Total ') === -1) return undefined;
  const m = TOTAL_RE.exec(text);
  return m ? Number(m[1].replace(/,/g, '')) : undefined;
}

/** Header of the notebook step table: "Step\tTraining Loss\tValidation Loss". */
export function parseTableHeader(text: string): string[] | undefined {
  if (text.indexOf('\t') === -1 || !text.startsWith('Step\t')) return undefined;
  const cols = text.trim().split('\t');
  if (!cols.includes('Training Loss')) return undefined;
  return cols.map((c) => (c === 'Step' ? 'step' : c === 'Training Loss' ? 'loss' : c === 'Validation Loss' ? 'evalLoss' : c));
}

export function parseTableRow(text: string, header: string[]): ParsedMetrics | undefined {
  const cells = text.trim().split('\t');
  if (cells.length !== header.length) return undefined;
  const values: Record<string, number> = {};
  let step: number | undefined;
  for (let i = 0; i < cells.length; i++) {
    if (cells[i] === 'No log') continue;
    const n = parsePythonNumber(cells[i]);
    if (n === undefined) return undefined;
    if (header[i] === 'step') step = n;
    else values[header[i]] = n;
  }
  if (step === undefined) return undefined;
  return { kind: 'train', values, step };
}

// Unsloth's unsloth_train prints "step, loss" right after the bar: "…12.12s/it]10, 2.2398"
const STEP_LOSS_AFTER_BAR_RE = /^\]?\s*(\d+), (-?\d+(?:\.\d+)?(?:e-?\d+)?|nan)\s*$/;

export function parseStepLossAfterBar(after: string): ParsedMetrics | undefined {
  if (after.length === 0 || after.indexOf(', ') === -1) return undefined;
  const m = STEP_LOSS_AFTER_BAR_RE.exec(after);
  if (!m) return undefined;
  const loss = parsePythonNumber(m[2]);
  return loss === undefined ? undefined : { kind: 'train', values: { loss }, step: Number(m[1]) };
}
