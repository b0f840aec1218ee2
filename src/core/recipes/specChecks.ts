/**
 * Type and range checks for every field of a recipe spec, before anything is rendered. A spec comes
 * from a JSON file, the wizard or the agent, so nothing in it is trusted to have its declared type:
 * `bf16: "false"` would be written as a truthy Python string, `seed: "abc"` would crash hours later.
 * Each problem names the field, what it got and what is allowed.
 */

import { REWARD_NAMES } from './templates/rewards';

type Check = (value: unknown) => string | undefined;

const show = (v: unknown): string => {
  const text = JSON.stringify(v);
  return text === undefined ? String(v) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

interface Range {
  min: number;
  max: number;
  /** The bounds themselves are excluded. */
  minOpen?: boolean;
  maxOpen?: boolean;
  integer?: boolean;
}

function rangeText(r: Range): string {
  if (r.integer) return `a whole number from ${r.min.toLocaleString('en-US')} to ${r.max.toLocaleString('en-US')}`;
  return `a number in ${r.minOpen ? '(' : '['}${r.min}, ${r.max}${r.maxOpen ? ')' : ']'}`;
}

export function numberIn(r: Range): Check {
  return (v) => {
    const ok = typeof v === 'number' && Number.isFinite(v)
      && (r.minOpen ? v > r.min : v >= r.min) && (r.maxOpen ? v < r.max : v <= r.max) && (!r.integer || Number.isInteger(v));
    return ok ? undefined : `must be ${rangeText(r)} (got ${show(v)})`;
  };
}

const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : `must be true or false, without quotes (got ${show(v)})`);

/** Characters no model id, path, split or task name has; in generated code they would be a line break or invisible. */
const CONTROL = /[\0-\x1f\x7f\u2028\u2029]/;

/** A one-line, non-empty string (ids, paths, names). */
const oneLine: Check = (v) => {
  if (typeof v !== 'string') return `must be a string (got ${show(v)})`;
  if (!v.trim()) return 'must not be empty';
  if (CONTROL.test(v)) return `must be one line without control characters (got ${show(v)})`;
  return undefined;
};

const text: Check = (v) => (typeof v === 'string' ? undefined : `must be a string (got ${show(v)})`);

function matching(pattern: RegExp, what: string): Check {
  return (v) => oneLine(v) ?? (pattern.test(v as string) ? undefined : `must be ${what} (got ${show(v)})`);
}

function listOf(item: Check, what: string): Check {
  return (v) => {
    if (!Array.isArray(v)) return `must be a list of ${what} (got ${show(v)})`;
    for (const [i, x] of v.entries()) {
      const p = item(x);
      if (p) return `item ${i} ${p}`;
    }
    return undefined;
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A version as pip and importlib report it (1.0.0, 4.46.0.dev0, 2.5.1+cu121): it is written into the scripts. */
export const VERSION = /^v?\d+(?:\.\d+)*(?:[A-Za-z0-9._+!-]*)$/;

const WRITTEN_VERSIONS = ['trl', 'transformers', 'peft', 'lighteval'];

/** Roles a column can play (the spec's Role type). */
export const ROLE_NAMES = ['messages', 'system', 'user', 'assistant', 'input', 'history', 'prompt', 'completion', 'chosen', 'rejected', 'choice', 'label', 'text', 'answer', 'choices'] as const;

const columnMapping: Check = (v) => {
  if (!isObject(v)) return `must be an object of role -> column name (got ${show(v)})`;
  for (const [role, column] of Object.entries(v)) {
    // null: the role is not mapped (the data inspection reports roles it did not find this way).
    if (column === null || column === undefined) continue;
    if (!(ROLE_NAMES as readonly string[]).includes(role)) return `"${role}" is not a role (roles: ${ROLE_NAMES.join(', ')})`;
    if (typeof column !== 'string' || !column) return `${role} must name a column as a non-empty string (got ${show(column)})`;
  }
  return undefined;
};

const env: Check = (v) => {
  if (!isObject(v)) return `must be the environment report object (got ${show(v)})`;
  if (v.gpus !== undefined) {
    if (!Array.isArray(v.gpus) || v.gpus.some((g) => !isObject(g))) return `gpus must be a list of objects (got ${show(v.gpus)})`;
    for (const [i, g] of (v.gpus as Record<string, unknown>[]).entries()) {
      for (const key of ['memoryTotalMiB', 'memoryFreeMiB'] as const) {
        if (g[key] !== undefined && g[key] !== null && numberIn({ min: 0, max: 1e9 })(g[key])) return `gpus[${i}].${key} must be a number of MiB (got ${show(g[key])})`;
      }
      for (const key of ['bf16', 'flashAttention'] as const) if (g[key] !== undefined && g[key] !== null && boolean(g[key])) return `gpus[${i}].${key} ${boolean(g[key])}`;
    }
  }
  if (v.packages !== undefined) {
    if (!isObject(v.packages)) return `packages must be an object of name -> version (got ${show(v.packages)})`;
    for (const [name, version] of Object.entries(v.packages)) {
      if (version === null || version === undefined) continue;
      if (typeof version !== 'string') return `packages.${name} must be a version string or null (got ${show(version)})`;
      // These versions are written into the scripts and pick their keywords; the others only say "installed".
      if (WRITTEN_VERSIONS.includes(name) && !VERSION.test(version)) return `packages.${name} must be a version like "4.46.0" (got ${show(version)})`;
    }
  }
  return undefined;
};

const inspection: Check = (v) => {
  if (!isObject(v)) return `must be the data inspection object (got ${show(v)})`;
  if (v.rows !== undefined && numberIn({ min: 0, max: Number.MAX_SAFE_INTEGER, integer: true })(v.rows)) return `rows must be a whole number of rows (got ${show(v.rows)})`;
  if (v.columns !== undefined && (!Array.isArray(v.columns) || v.columns.some((c) => typeof c !== 'string'))) return `columns must be a list of column names (got ${show(v.columns)})`;
  // The inspection's roles are the helper's to name (a newer one may know more): only the column names must be strings.
  if (v.mapping !== undefined && (!isObject(v.mapping) || Object.values(v.mapping).some((c) => c !== null && c !== undefined && typeof c !== 'string'))) {
    return `mapping must be an object of role -> column name (got ${show(v.mapping)})`;
  }
  for (const key of ['format', 'task', 'jsonField'] as const) if (v[key] !== undefined && text(v[key])) return `${key} ${text(v[key])}`;
  return undefined;
};

const evalResults: Check = (v) => {
  if (!Array.isArray(v)) return `must be a list of {task, base, trained} (got ${show(v)})`;
  for (const [i, r] of v.entries()) {
    if (!isObject(r) || oneLine(r.task)) return `item ${i} needs a task name on one line (got ${show(r)})`;
    for (const key of ['base', 'trained'] as const) {
      if (r[key] !== undefined && r[key] !== null && numberIn({ min: -1e9, max: 1e9 })(r[key])) return `item ${i}.${key} must be a score or null (got ${show(r[key])})`;
    }
  }
  return undefined;
};

const models: Check = (v) => {
  if (!Array.isArray(v)) return undefined; // the merge checks say what a models list needs
  for (const [i, m] of v.entries()) {
    if (!isObject(m)) return `item ${i} must be {model, weight?, density?} (got ${show(m)})`;
    const p = oneLine(m.model);
    if (p) return `item ${i}.model ${p}`;
    for (const key of Object.keys(m)) if (!['model', 'weight', 'density'].includes(key)) return `item ${i}.${key} is not a model field (model, weight, density)`;
  }
  return undefined;
};

/** GRPO's rewards: built-in names with optional finite weights (rewards.py's REWARD_WEIGHTS). */
const rewards: Check = (v) => {
  if (!Array.isArray(v) || v.length === 0) return `must be a non-empty list of {name, weight?} with name one of ${REWARD_NAMES.join(', ')} (got ${show(v)})`;
  for (const [i, r] of v.entries()) {
    if (!isObject(r) || !(REWARD_NAMES as unknown[]).includes(r.name)) return `item ${i} needs a name from ${REWARD_NAMES.join(', ')} (got ${show(r)}); write your own rewards in rewards.py`;
    if (r.weight !== undefined && numberIn({ min: -100, max: 100 })(r.weight)) return `item ${i}.weight must be a number from -100 to 100 (got ${show(r.weight)})`;
    for (const key of Object.keys(r)) if (key !== 'name' && key !== 'weight') return `item ${i}.${key} is not a reward field (name, weight)`;
  }
  return undefined;
};

const STEPS = numberIn({ min: 1, max: 1e9, integer: true });
const TOKENS = numberIn({ min: 1, max: 1_048_576, integer: true });

/**
 * Every spec field but those with their own checks in spec.ts (method, adapter, mergeMethod,
 * evalSplit, hubRepo, t, which depend on other fields). Undefined means "use the default".
 */
export const FIELD_CHECKS: Record<string, Check> = {
  baseModel: oneLine,
  dataset: oneLine,
  datasetSplit: oneLine,
  hubPrivate: boolean,
  columnMapping,
  datasetFormat: text,
  systemPrompt: text,
  maxLength: TOKENS,
  maxPromptLength: TOKENS,
  outputDir: oneLine,
  learningRate: numberIn({ min: 0, max: 1, minOpen: true }),
  epochs: numberIn({ min: 0, max: 1000, minOpen: true }),
  perDeviceTrainBatchSize: numberIn({ min: 1, max: 65_536, integer: true }),
  gradientAccumulationSteps: numberIn({ min: 1, max: 65_536, integer: true }),
  gradientCheckpointing: boolean,
  loraR: numberIn({ min: 1, max: 65_536, integer: true }),
  loraAlpha: numberIn({ min: 0, max: 65_536, minOpen: true }),
  loraDropout: numberIn({ min: 0, max: 1, maxOpen: true }),
  targetModules: (v) => (typeof v === 'string' ? oneLine(v) : listOf(oneLine, 'module names')(v)),
  // 0 is GRPO's "no reference model"; spec.ts refuses it for the preference methods, whose loss divides by it.
  beta: numberIn({ min: 0, max: 100 }),
  numGenerations: numberIn({ min: 2, max: 1024, integer: true }),
  maxCompletionLength: TOKENS,
  lossType: text,
  temperature: numberIn({ min: 0, max: 10, minOpen: true }),
  rewards,
  warmupRatio: numberIn({ min: 0, max: 1, maxOpen: true }),
  lrSchedulerType: matching(/^[a-z][a-z0-9_]*$/, 'a transformers scheduler name such as "cosine", "linear" or "constant_with_warmup"'),
  // transformers' set_seed seeds numpy, which takes 0 to 2**32 - 1.
  seed: numberIn({ min: 0, max: 4_294_967_295, integer: true }),
  saveTotalLimit: numberIn({ min: 1, max: 1_000_000, integer: true }),
  saveSteps: STEPS,
  evalSteps: STEPS,
  loggingSteps: STEPS,
  bf16: boolean,
  fp16: boolean,
  attnImplementation: matching(/^[A-Za-z0-9_.:|/-]+$/, 'an attention implementation such as "sdpa", "flash_attention_2" or "eager"'),
  env,
  inspection,
  modelPath: oneLine,
  modelFolder: oneLine,
  evalTasks: listOf(matching(/^[A-Za-z0-9_.:|/-]+$/, 'a LightEval task such as "gsm8k" or "lighteval|mmlu|5"'), 'LightEval task names'),
  evalResults,
  models,
  mergeLayers: numberIn({ min: 1, max: 1000, integer: true }),
};

/** Fields checked in spec.ts itself. */
const OWN_CHECKS = ['method', 'adapter', 'mergeMethod', 'evalSplit', 'hubRepo', 't'];

/** `learning_rate` -> `learningRate`, for the "did you mean" of an unknown field. */
const camel = (name: string): string => name.replace(/[_-]([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** Problems with the fields' types and ranges, and with fields the spec does not have (a typo would be ignored silently). */
export function fieldProblems(spec: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(spec)) {
    if (OWN_CHECKS.includes(name)) continue;
    const check = FIELD_CHECKS[name];
    if (!check) {
      const known = [...Object.keys(FIELD_CHECKS), ...OWN_CHECKS];
      const guess = known.find((k) => k.toLowerCase() === camel(name).toLowerCase());
      problems.push(`${name}: not a recipe spec field${guess ? ` (did you mean "${guess}"?)` : ''}; the fields are ${known.join(', ')}`);
      continue;
    }
    if (value === undefined) continue;
    const p = check(value);
    if (p) problems.push(`${name}: ${p}`);
  }
  return problems;
}
