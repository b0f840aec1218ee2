/**
 * The CONFIG block at the top of every generated script: plain `NAME = value` assignments, one per
 * line, that the user edits and tools rewrite (the recovery playbook halves
 * PER_DEVICE_TRAIN_BATCH_SIZE, turns GRADIENT_CHECKPOINTING on, …). These names are a contract:
 * keep them stable.
 *
 * | name                        | meaning                                                    |
 * |-----------------------------|------------------------------------------------------------|
 * | MODEL_ID                    | base model (Hub id or folder)                              |
 * | DATASET, DATASET_SPLIT      | data source and the split trained on                       |
 * | EVAL_SPLIT                  | fraction held out for evaluation (0 = none)                |
 * | SEED                        | seed for the split and the trainer                         |
 * | OUTPUT_DIR                  | checkpoints and the final adapter/model                    |
 * | HUB_MODEL_ID, HUB_PRIVATE   | where to push at the end (None = do not push)              |
 * | MAX_LENGTH, MAX_PROMPT_LENGTH | token limits                                             |
 * | NUM_TRAIN_EPOCHS, LEARNING_RATE, LR_SCHEDULER_TYPE, WARMUP_RATIO | optimisation      |
 * | PER_DEVICE_TRAIN_BATCH_SIZE, PER_DEVICE_EVAL_BATCH_SIZE, GRADIENT_ACCUMULATION_STEPS | batch |
 * | GRADIENT_CHECKPOINTING      | recompute activations to save memory                       |
 * | BF16, FP16                  | mixed precision (at most one True)                         |
 * | ATTN_IMPLEMENTATION         | "sdpa", "flash_attention_2" or "eager"                     |
 * | OPTIM                       | optimizer name (e.g. "adamw_torch", "paged_adamw_8bit")    |
 * | LORA_R, LORA_ALPHA, LORA_DROPOUT, LORA_TARGET_MODULES | LoRA shape (adapters only)       |
 * | LOAD_IN_4BIT                | QLoRA: quantize the frozen base to 4-bit NF4               |
 * | BETA                        | DPO/ORPO/KTO strength                                      |
 * | LOGGING_STEPS, EVAL_STEPS, SAVE_STEPS, SAVE_TOTAL_LIMIT | how often to log/evaluate/save |
 * | RESUME_FROM_CHECKPOINT      | "auto": go on from the newest checkpoint in OUTPUT_DIR; None: start over |
 * | REPORT_TO                   | "trackio", "wandb", "tensorboard" or "none"                |
 * | SYSTEM_PROMPT               | optional system message added to every example             |
 * | COMPLETION_ONLY_LOSS        | SFT: learn the answers only (prompt tokens masked)         |
 * | ASSISTANT_ONLY_LOSS         | SFT: learn the assistant turns only (system/user masked)   |
 * | USE_LIGER_KERNEL, PADDING_FREE | SFT speed switches, written when the package is installed |
 */

import { pyStr } from './templates/escape';

export type ConfigValue = string | number | boolean | null | string[];

export const CONFIG_START = '# --- CONFIG';
export const CONFIG_END = '# --- END CONFIG';

/** One CONFIG line: NAME = value, optionally followed by a comment. */
const LINE = /^([A-Z][A-Z0-9_]*)([^\S\r\n]*=[^\S\r\n]*)(.*?)([^\S\r\n]*#.*)?(\r?)$/;

/** The line range of the CONFIG block, or the whole file when it has no markers. */
function blockRange(lines: string[]): [number, number] {
  const start = lines.findIndex((l) => l.startsWith(CONFIG_START));
  const end = lines.findIndex((l, i) => i > start && l.startsWith(CONFIG_END));
  if (start >= 0 && end > start) return [start + 1, end];
  return [0, lines.length];
}

/** Split value and trailing comment, aware of '#' inside quoted strings. */
function splitValue(rest: string): { value: string; comment: string } {
  let quote: string | null = null;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') {
      let j = i;
      while (j > 0 && /[ \t]/.test(rest[j - 1])) j--;
      return { value: rest.slice(0, j), comment: rest.slice(j) };
    }
  }
  return { value: rest.replace(/[ \t]+$/, ''), comment: rest.slice(rest.replace(/[ \t]+$/, '').length) };
}

export function parsePythonLiteral(text: string): ConfigValue | undefined {
  const t = text.trim();
  if (t === 'True') return true;
  if (t === 'False') return false;
  if (t === 'None') return null;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
  const str = /^(['"])((?:\\.|(?!\1).)*)\1$/.exec(t);
  if (str) return unescapePython(str[2]);
  const list = /^\[(.*)\]$/s.exec(t);
  if (list) {
    const items = list[1].split(',').map((x) => x.trim()).filter(Boolean).map(parsePythonLiteral);
    if (items.every((x): x is string => typeof x === 'string')) return items;
  }
  return undefined;
}

/** The escapes pyStr writes (and Python's other one-letter ones) back to their characters. */
function unescapePython(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_m, c: string) =>
    c.length > 1 ? String.fromCharCode(parseInt(c.slice(1), 16)) : ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '0': '\0' } as Record<string, string>)[c] ?? c);
}

/** A JS value as a Python literal. */
export function toPythonLiteral(v: ConfigValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot write ${v} into a Python script`);
    if (Number.isInteger(v)) return String(v);
    const abs = Math.abs(v);
    // 2e-4 reads better than 0.0002 for learning rates.
    return abs < 1e-3 ? v.toExponential().replace('e-', 'e-').replace(/\.?0+e/, 'e') : String(v);
  }
  if (Array.isArray(v)) return `[${v.map((x) => toPythonLiteral(x)).join(', ')}]`;
  return pyStr(v);
}

/** Every NAME = value of the CONFIG block (values that are not plain literals are left out). */
export function readConfig(script: string): Record<string, ConfigValue> {
  const lines = script.split('\n');
  const [a, b] = blockRange(lines);
  const out: Record<string, ConfigValue> = {};
  for (let i = a; i < b; i++) {
    const m = LINE.exec(lines[i]);
    if (!m) continue;
    const { value } = splitValue(m[3] + (m[4] ?? ''));
    const parsed = parsePythonLiteral(value);
    if (parsed !== undefined) out[m[1]] = parsed;
  }
  return out;
}

/**
 * Rewrite one CONFIG value and nothing else: the comment on that line, the line ending and every
 * other byte stay as they were. Throws when the name is not in the block.
 */
export function setConfig(script: string, name: string, value: ConfigValue): string {
  const lines = script.split('\n');
  const [a, b] = blockRange(lines);
  for (let i = a; i < b; i++) {
    const m = LINE.exec(lines[i]);
    if (!m || m[1] !== name) continue;
    const cr = m[5] ?? '';
    const body = cr ? lines[i].slice(0, -1) : lines[i];
    const prefix = m[1] + m[2];
    const { comment } = splitValue(body.slice(prefix.length));
    lines[i] = prefix + toPythonLiteral(value) + comment + cr;
    return lines.join('\n');
  }
  throw new Error(`${name} is not in the script's CONFIG block`);
}
