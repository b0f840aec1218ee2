/**
 * The "ML Intern: Fine-tune" wizard's logic without vscode: the steps, their
 * items, defaults taken from the dataset inspection, validation of typed
 * text, and next/back. src/vscode/wizard/fineTuneWizard.ts shows it with QuickPick/InputBox.
 */
import type { FineTuneRequest } from '../../core/session/types';
import { grpoDataChoice, GrpoDataChoice, GrpoProposalLike } from '../../core/recipes/grpoData';

export type StepId = 'model' | 'dataset' | 'method' | 'adapter' | 'split' | 'hub' | 'instructions';
export const STEPS: readonly StepId[] = ['model', 'dataset', 'method', 'adapter', 'split', 'hub', 'instructions'];

export const STEP_LABEL: Record<StepId, string> = {
  model: 'Base model',
  dataset: 'Dataset',
  method: 'Training method',
  adapter: 'Adapter',
  split: 'Validation split',
  hub: 'Push to the Hub (optional)',
  instructions: 'Instructions (optional)',
};

export const SUGGESTED_MODELS: ReadonlyArray<{ id: string; note: string }> = [
  { id: 'Qwen/Qwen2.5-0.5B-Instruct', note: '0.5B · quick tests, any GPU' },
  { id: 'Qwen/Qwen2.5-1.5B-Instruct', note: '1.5B' },
  { id: 'meta-llama/Llama-3.2-1B-Instruct', note: '1B · gated: needs an HF token' },
  { id: 'google/gemma-2-2b-it', note: '2B · gated: needs an HF token' },
  { id: 'Qwen/Qwen2.5-7B-Instruct', note: '7B' },
  { id: 'mistralai/Mistral-7B-Instruct-v0.3', note: '7B' },
  { id: 'meta-llama/Meta-Llama-3-8B-Instruct', note: '8B · gated: needs an HF token' },
];

export type Method = FineTuneRequest['method'];
export type AdapterKind = FineTuneRequest['adapter'];

export const METHODS: ReadonlyArray<{ id: Method; label: string; detail: string }> = [
  { id: 'sft', label: 'SFT', detail: 'Supervised fine-tuning on prompts/answers or conversations' },
  { id: 'dpo', label: 'DPO', detail: 'Direct preference optimisation on chosen/rejected pairs' },
  { id: 'orpo', label: 'ORPO', detail: 'Odds-ratio preference optimisation (SFT + preference in one step)' },
  { id: 'kto', label: 'KTO', detail: 'Kahneman-Tversky optimisation on answers labelled good/bad' },
  { id: 'grpo', label: 'GRPO', detail: 'Reinforcement learning from rewards: the model writes answers to the prompts, rewards.py scores them' },
];

export const ADAPTERS: ReadonlyArray<{ id: AdapterKind; label: string; detail: string }> = [
  { id: 'lora', label: 'LoRA', detail: 'Small trainable adapters on a 16-bit model' },
  { id: 'qlora', label: 'QLoRA', detail: 'LoRA on a 4-bit model: the least memory' },
  { id: 'full', label: 'Full', detail: 'Every weight trained: the most memory' },
];

export const SPLITS: ReadonlyArray<{ label: string; value: number | 'custom'; detail: string }> = [
  { label: '0 %', value: 0, detail: 'No validation split' },
  { label: '5 %', value: 0.05, detail: 'Hold out 5 % of the rows for evaluation loss' },
  { label: '10 %', value: 0.1, detail: 'Hold out 10 % of the rows for evaluation loss' },
  { label: 'Custom…', value: 'custom', detail: 'Type a percentage (e.g. 2, 2 %, 0.02)' },
];

/** What the wizard reads from the python helper's DatasetInspection (kept loose on purpose). */
export interface InspectionLike {
  format?: string;
  task?: string | null;
  rows?: number;
  trainable?: boolean;
  mapping?: Record<string, string | undefined>;
  problems?: string[];
  columns?: Array<{ name: string; type?: string }>;
  jsonField?: string;
  rowsSampled?: boolean;
  /** What GRPO would train on (python/data_rl.py), beside the supervised format it never changes. */
  grpo?: GrpoProposalLike;
}

export interface WizardAnswers {
  baseModel?: string;
  dataset?: string;
  inspection?: InspectionLike;
  /** Why the inspection could not run, when it failed. */
  inspectionError?: string;
  method?: Method;
  /** GRPO: the rewards and weights chosen in the method step (rewardStep.ts); unset: the data's suggestion. */
  rewards?: import('../../core/recipes/templates/rewards').RewardChoice[];
  adapter?: AdapterKind;
  evalSplit?: number;
  hubRepo?: string;
  instructions?: string;
}

export interface StepItem {
  label: string;
  description?: string;
  detail?: string;
  /** The answer this item stands for; the label when absent. */
  value?: string;
  /** Shown pre-selected. */
  picked?: boolean;
  /** A special action rather than an answer (e.g. Browse…). */
  action?: 'browse' | 'custom' | 'note';
  alwaysShow?: boolean;
}

export interface StepContext {
  recentModels?: string[];
  /** Workspace-relative data files. */
  datasetFiles?: string[];
  /** Memory estimate text per adapter for the chosen model and detected GPU. */
  estimates?: Partial<Record<AdapterKind, { text: string; fits?: boolean }>>;
  /** "NVIDIA A10G, 24 GiB" when known. */
  gpu?: string;
  /** Why the dataset chosen last cannot be used (shown atop the dataset step when the wizard goes back to it). */
  datasetProblem?: string;
  /** Packages the environment check found missing in the training interpreter (trl, datasets, bitsandbytes, …). */
  missing?: string[];
  /** Slurm target: the node count a full fine-tune needs when mlIntern.slurm.nodes differs (core/session/launchNotes nodeAdvice). */
  fullNodes?: { nodes: number; note: string };
}

/** The packages every training recipe imports; QLoRA also needs bitsandbytes. */
const TRAINING_PACKAGES = ['torch', 'transformers', 'trl', 'peft', 'datasets', 'accelerate'];

/** Which training packages an environment report's libraries (null = checked and absent) lack. */
export function missingTrainingPackages(libraries: Record<string, string | null> | undefined): string[] {
  if (!libraries) return [];
  return [...TRAINING_PACKAGES, 'bitsandbytes'].filter((p) => p in libraries && libraries[p] === null);
}

export type StepKind = 'pick' | 'input';

export function stepKind(step: StepId): StepKind {
  return step === 'hub' || step === 'instructions' ? 'input' : 'pick';
}

// ---- validation --------------------------------------------------------------

const HUB_PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;

/** A Hub model id (owner/name or a bare name) or a local path. Undefined when fine, else the message. */
export function validateModelId(text: string): string | undefined {
  const v = text.trim();
  if (!v) return 'Type a model id such as Qwen/Qwen2.5-0.5B-Instruct, or pick one.';
  if (v.length > 200) return 'That model id is too long.';
  if (/\s/.test(v)) return 'A model id has no spaces (e.g. Qwen/Qwen2.5-0.5B-Instruct).';
  if (v.startsWith('/') || v.startsWith('./') || v.startsWith('~/')) return undefined; // a local folder
  const parts = v.split('/');
  if (parts.length > 2) return 'A Hub model id is owner/name (one slash), e.g. meta-llama/Llama-3.2-1B-Instruct.';
  for (const p of parts) {
    if (!HUB_PART.test(p) || p.includes('--') || p.includes('..')) return `'${v}' is not a valid Hub model id: letters, digits, '.', '_' and '-' only, not starting or ending with '.' or '-'.`;
  }
  return undefined;
}

/** A Hub repo to push to: owner/name. Empty means "don't push". */
export function validateHubRepo(text: string): string | undefined {
  const v = text.trim();
  if (!v) return undefined;
  const parts = v.split('/');
  if (parts.length !== 2) return 'Type the repo as owner/name (e.g. my-user/qwen-sft), or leave it empty to skip.';
  for (const p of parts) {
    if (!HUB_PART.test(p) || p.includes('--') || p.includes('..')) return `'${v}' is not a valid repo name: letters, digits, '.', '_' and '-' (at most 96 each), not starting or ending with '.' or '-'.`;
  }
  return undefined;
}

const DATA_FILE = /\.(jsonl|json|csv|tsv|parquet|txt|arrow)(\.gz)?$/i;

/** owner/name without a data file's extension: the Hub may have it even when no such file is here. */
export function looksLikeHubDatasetId(text: string): boolean {
  const v = text.trim();
  return /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/.test(v) && !DATA_FILE.test(v);
}

/** A dataset: a workspace path or a Hub dataset id. */
export function validateDataset(text: string): string | undefined {
  const v = text.trim();
  if (!v) return 'Pick a data file, Browse…, or type a Hub dataset id (e.g. trl-lib/Capybara).';
  if (v.length > 500) return 'That path is too long.';
  if (/[\0\n\r]/.test(v)) return 'That is not a valid path.';
  return undefined;
}

/**
 * A validation fraction from what the user typed: "5", "5%", "5 %" → 0.05;
 * "0.05" → 0.05; "0" → 0. At most 50 %.
 */
export function parseSplit(text: string): { value: number } | { error: string } {
  const v = text.trim().replace(/\s+/g, '');
  const m = v.match(/^(\d+(?:\.\d+)?)(%?)$/);
  if (!m) return { error: 'Type a percentage such as 5, 5 % or 0.05.' };
  let n = Number(m[1]);
  if (m[2] === '%' || n >= 1) n = n / 100;
  if (!Number.isFinite(n) || n < 0) return { error: 'Type a percentage such as 5, 5 % or 0.05.' };
  if (n > 0.5) return { error: 'Hold out at most 50 % for validation.' };
  return { value: Math.round(n * 10_000) / 10_000 };
}

// ---- defaults from the inspection ----------------------------------------------

export function defaultMethod(ins: InspectionLike | undefined): Method {
  const task = (ins?.task ?? '').toLowerCase();
  const format = (ins?.format ?? '').toLowerCase();
  // Prompts without answers (or a quiz of questions and references) feed no supervised method; GRPO learns from them.
  if ((format === 'unknown' || ins?.trainable === false) && grpoChoice(ins)) return 'grpo';
  if (task === 'dpo' || format.startsWith('preference')) return 'dpo';
  if (task === 'kto' || format === 'kto') return 'kto';
  if (task === 'orpo') return 'orpo';
  return 'sft';
}

/** What GRPO would train on, when the inspection found prompts in rows it can load; undefined otherwise. */
export function grpoChoice(ins: InspectionLike | undefined): GrpoDataChoice | undefined {
  if (!ins?.grpo || ins.grpo.trainable === false || ins.rows === 0) return undefined;
  return grpoDataChoice(ins.grpo);
}

/** Why GRPO cannot use the inspected data, or undefined when it can (or nothing was inspected: the recipe maps columns by name). */
export function grpoUnavailable(ins: InspectionLike | undefined): string | undefined {
  if (!ins || grpoChoice(ins)) return undefined;
  if (ins.grpo?.trainable === false || ins.rows === 0) return 'its rows cannot be loaded as they are (see the problems below)';
  return ins.grpo?.reason || 'no prompt column: GRPO needs a column of prompts or questions (prompt, question, messages…) for the model to answer';
}

/** Methods the detected data can feed (all when unknown). */
export function methodFits(method: Method, ins: InspectionLike | undefined): boolean {
  if (method === 'grpo') return !grpoUnavailable(ins);
  if (ins?.trainable === false) return false;
  if (!ins?.format || ins.format === 'unknown') return true;
  const d = defaultMethod(ins);
  if (method === 'orpo') return d === 'dpo';
  return method === d;
}

export function defaultAdapter(ctx: StepContext): AdapterKind {
  const e = ctx.estimates;
  if (e?.lora?.fits === false && e.qlora?.fits !== false) return 'qlora';
  return 'lora';
}

/** Rows the training can read, with columns a recipe can map. */
function hasUsableRows(ins: InspectionLike | undefined): boolean {
  return !!ins && ins.trainable !== false && (ins.rows === undefined || ins.rows > 0);
}

/**
 * Why the chosen dataset cannot be trained on, or undefined when it can (or when the
 * inspection could not tell). The wizard stops at the dataset step with it instead of
 * failing at the recipe five steps later ("columnMapping … got {}").
 */
export function datasetProblem(a: WizardAnswers): string | undefined {
  const ins = a.inspection;
  // Prompt-only data matches no supervised format, yet GRPO trains on it.
  if (!ins || hasUsableRows(ins) || grpoChoice(ins)) return undefined;
  const problems = (ins.problems ?? []).filter(Boolean);
  const why = problems.length ? problems.join('; ') : 'its columns match no format a recipe knows (prompt/completion, messages, chosen/rejected, …)';
  const what = ins.rows === 0 ? 'has no rows the training can read' : 'cannot be trained on as it is';
  return `${a.dataset} ${what}: ${why}. Fix the file, or pick another one.`;
}

// ---- items ------------------------------------------------------------------------

export function itemsFor(step: StepId, a: WizardAnswers, ctx: StepContext): StepItem[] {
  switch (step) {
    case 'model': {
      const seen = new Set<string>();
      const items: StepItem[] = [];
      for (const id of ctx.recentModels ?? []) {
        if (seen.has(id) || validateModelId(id)) continue;
        seen.add(id);
        items.push({ label: id, description: 'recent', picked: id === a.baseModel });
      }
      for (const m of SUGGESTED_MODELS) {
        if (seen.has(m.id)) continue;
        seen.add(m.id);
        items.push({ label: m.id, description: m.note, picked: m.id === a.baseModel });
      }
      return items;
    }
    case 'dataset': {
      // Why the last choice could not be used, atop the list (a placeholder is cut short). Its label names no
      // file, so typing a path filters it away and Enter never lands on it instead of the file.
      const note: StepItem[] = ctx.datasetProblem ? [{ label: '$(warning) The dataset chosen last cannot be used', detail: ctx.datasetProblem, action: 'note' }] : [];
      const items: StepItem[] = (ctx.datasetFiles ?? []).map((f) => ({ label: f, description: 'workspace file', picked: f === a.dataset }));
      items.push({ label: 'Browse…', description: 'choose a JSON, JSONL, CSV or Parquet file', action: 'browse', alwaysShow: true });
      return [...note, ...items];
    }
    case 'method': {
      const def = a.method ?? defaultMethod(a.inspection);
      const matches = (m: Method) => m === defaultMethod(a.inspection) && (hasUsableRows(a.inspection) || (m === 'grpo' && !!grpoChoice(a.inspection)));
      return METHODS.map((m) => {
        const item: StepItem = {
          label: m.label,
          value: m.id,
          description: matches(m.id) ? 'matches the data' : methodFits(m.id, a.inspection) ? undefined : 'the data does not look like this',
          detail: m.detail,
          picked: m.id === def,
        };
        if (m.id !== 'grpo') return item;
        const why = grpoUnavailable(a.inspection);
        // Listed even when the data cannot feed it, so the user learns what GRPO would need rather than wondering where it is.
        if (why) return { ...item, description: 'not available for this data', detail: `Not available: ${why}` };
        const choice = grpoChoice(a.inspection);
        return choice ? { ...item, detail: choice.summary } : item;
      });
    }
    case 'adapter': {
      const def = a.adapter ?? defaultAdapter(ctx);
      const noBnb = ctx.missing?.includes('bitsandbytes');
      return ADAPTERS.map((x) => ({
        label: x.label,
        value: x.id,
        description: ctx.estimates?.[x.id]?.text,
        detail: x.id === 'qlora' && noBnb ? `${x.detail} · bitsandbytes is not installed (you will be asked to install it)` : x.detail,
        picked: x.id === def,
      }));
    }
    case 'split':
      return SPLITS.map((s) => ({
        label: s.label,
        value: s.value === 'custom' ? undefined : String(s.value),
        detail: s.detail,
        action: s.value === 'custom' ? ('custom' as const) : undefined,
        picked: s.value !== 'custom' && a.evalSplit === s.value,
      }));
    default:
      return [];
  }
}

/** An extra first item for what the user typed, when it is a valid answer no item already gives. */
export function typedItem(step: StepId, text: string, items: StepItem[]): StepItem | undefined {
  const v = text.trim();
  if (!v) return undefined;
  const same = (i: StepItem) => i.label.toLowerCase() === v.toLowerCase() || (i.value ?? '').toLowerCase() === v.toLowerCase();
  if (items.some(same)) return undefined;
  if (step === 'model') return validateModelId(v) ? undefined : { label: v, description: 'use this model id', alwaysShow: true };
  if (step === 'dataset') {
    if (validateDataset(v)) return undefined;
    // Typed text that filters the files down is a filter, not an answer: Enter must take the highlighted
    // file, so the typed text comes after the matches, as an explicit choice (see typedItemFirst).
    if (filtersItems(v, items)) return { label: `Use '${v}' as a Hub dataset id or path`, value: v, alwaysShow: true };
    return { label: v, description: 'use this path or Hub dataset id', alwaysShow: true };
  }
  if (step === 'split') {
    const r = parseSplit(v);
    return 'value' in r ? { label: v, value: String(r.value), description: `hold out ${(r.value * 100).toFixed(1).replace(/\.0$/, '')} %`, alwaysShow: true } : undefined;
  }
  return undefined;
}

/** True when some real item (not Browse…) contains the typed text: the picker shows it, highlighted. */
function filtersItems(text: string, items: StepItem[]): boolean {
  const v = text.trim().toLowerCase();
  return !!v && items.some((i) => !i.action && i.label.toLowerCase().includes(v));
}

/** Whether the typed item goes before the items (it is the answer Enter takes) or after them (the items match what was typed). */
export function typedItemFirst(step: StepId, text: string, items: StepItem[]): boolean {
  return !(step === 'dataset' && filtersItems(text, items));
}

// ---- the machine --------------------------------------------------------------------

export type Answer = { ok: true } | { ok: false; error: string };

export class WizardMachine {
  index = 0;
  readonly answers: WizardAnswers;

  constructor(initial: WizardAnswers = {}) {
    this.answers = { ...initial };
  }

  get step(): StepId {
    return STEPS[this.index];
  }

  get total(): number {
    return STEPS.length;
  }

  get done(): boolean {
    return this.index >= STEPS.length;
  }

  get canGoBack(): boolean {
    return this.index > 0;
  }

  title(): string {
    return `ML Intern: Fine-tune (${Math.min(this.index + 1, STEPS.length)}/${STEPS.length}) — ${STEP_LABEL[this.step] ?? 'Done'}`;
  }

  back(): void {
    if (this.index > 0) this.index--;
  }

  /** Record the answer for the current step (the item value or the typed text) and move on. */
  next(value: string): Answer {
    const v = value.trim();
    const a = this.answers;
    switch (this.step) {
      case 'model': {
        const err = validateModelId(v);
        if (err) return { ok: false, error: err };
        if (a.baseModel !== v) a.adapter = undefined; // estimates change with the model
        a.baseModel = v;
        break;
      }
      case 'dataset': {
        const err = validateDataset(v);
        if (err) return { ok: false, error: err };
        if (a.dataset !== v) {
          a.inspection = undefined;
          a.inspectionError = undefined;
          a.method = a.rewards = undefined; // re-default from the new data
        }
        a.dataset = v;
        break;
      }
      case 'method': {
        const m = METHODS.find((x) => x.id === v.toLowerCase() || x.label.toLowerCase() === v.toLowerCase());
        if (!m) return { ok: false, error: 'Pick SFT, DPO, ORPO, KTO or GRPO.' };
        const why = m.id === 'grpo' ? grpoUnavailable(a.inspection) : undefined;
        if (why) return { ok: false, error: `GRPO cannot train on ${a.dataset ?? 'this data'}: ${why}.` };
        // Only GRPO-usable data gets past the dataset step while not trainable: the supervised recipes would refuse it.
        if (m.id !== 'grpo' && a.inspection?.trainable === false) return { ok: false, error: `${m.label} cannot train on ${a.dataset ?? 'this data'}: its columns match no format ${m.label} reads. Pick GRPO, which trains on its prompts.` };
        a.method = m.id;
        break;
      }
      case 'adapter': {
        const x = ADAPTERS.find((y) => y.id === v.toLowerCase() || y.label.toLowerCase() === v.toLowerCase());
        if (!x) return { ok: false, error: 'Pick LoRA, QLoRA or Full.' };
        a.adapter = x.id;
        break;
      }
      case 'split': {
        const r = parseSplit(v);
        if ('error' in r) return { ok: false, error: r.error };
        a.evalSplit = r.value;
        break;
      }
      case 'hub': {
        const err = validateHubRepo(v);
        if (err) return { ok: false, error: err };
        a.hubRepo = v || undefined;
        break;
      }
      case 'instructions':
        if (v.length > 4000) return { ok: false, error: 'Keep the instructions under 4,000 characters.' };
        a.instructions = v || undefined;
        break;
    }
    this.index++;
    return { ok: true };
  }

  /** The chosen dataset cannot be used: back to its step, forgetting it, so picking the fixed file inspects it again. */
  rejectDataset(): void {
    this.index = STEPS.indexOf('dataset');
    this.answers.dataset = undefined;
    this.answers.inspection = undefined;
    this.answers.inspectionError = undefined;
    this.answers.method = this.answers.rewards = undefined;
  }

  /** Set the inspection of the chosen dataset (or why it failed); pre-selects the method. */
  setInspection(ins: InspectionLike | undefined, error?: string): void {
    this.answers.inspection = ins;
    this.answers.inspectionError = error;
    if (!this.answers.method) this.answers.method = defaultMethod(ins);
  }

  request(): FineTuneRequest {
    const a = this.answers;
    if (!a.baseModel || !a.dataset) throw new Error('The wizard is not finished.');
    const mapping = Object.fromEntries(Object.entries(a.inspection?.mapping ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
    const r: FineTuneRequest = {
      baseModel: a.baseModel,
      dataset: a.dataset,
      method: a.method ?? defaultMethod(a.inspection),
      adapter: a.adapter ?? 'lora',
      evalSplit: a.evalSplit ?? 0,
    };
    if (a.hubRepo) r.hubRepo = a.hubRepo;
    if (a.instructions) r.instructions = a.instructions;
    const grpo = r.method === 'grpo' ? grpoChoice(a.inspection) : undefined;
    if (grpo) {
      // GRPO reads the prompt (and the reference its rewards compare with), not the supervised mapping.
      r.columnMapping = grpo.columnMapping;
      r.rewards = a.rewards ?? grpo.rewards;
    } else if (Object.keys(mapping).length) r.columnMapping = mapping;
    if (a.inspection?.format) r.datasetFormat = a.inspection.format;
    if (a.inspection?.jsonField) r.jsonField = a.inspection.jsonField;
    if (typeof a.inspection?.rows === 'number' && a.inspection.rows > 0 && !a.inspection.rowsSampled) r.datasetRows = a.inspection.rows;
    return r;
  }
}
