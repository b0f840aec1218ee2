/**
 * The recipe spec: what the user (or the wizard, or the agent) asks for. `resolveSpec` checks it
 * and fills the defaults; every problem is reported at once, each naming the field to fix.
 * The input types for the data inspection and the environment report are declared here in the
 * minimal shape the recipes need, structurally compatible with src/core/python/types.ts.
 */
import { PackagesLike, resolveTargets } from './libraryVersions';
import { trainingGpuCount } from './vllmShare';
import { FIXED_STEPS, planSteps } from './stepPlan';
import { fieldProblems, ROLE_NAMES } from './specChecks';
import { defaultRewards, REWARD_NEEDS_ANSWER, RewardChoice } from './templates/rewards';

export type Method = 'sft' | 'dpo' | 'orpo' | 'kto' | 'grpo' | 'eval' | 'merge' | 'push';
export type Adapter = 'lora' | 'qlora' | 'full';
export type MergeMethod = 'slerp' | 'ties' | 'dare_ties' | 'linear' | 'task_arithmetic';
export type TrainingMethod = 'sft' | 'dpo' | 'orpo' | 'kto' | 'grpo';
/** The methods train.ts writes; GRPO has its own template (templates/grpo.ts) and rewards.py. */
export type SupervisedMethod = Exclude<TrainingMethod, 'grpo'>;
export type GrpoLossType = 'grpo' | 'dapo' | 'dr_grpo' | 'bnpo';
export const GRPO_LOSS_TYPES: GrpoLossType[] = ['grpo', 'dapo', 'dr_grpo', 'bnpo'];

export const METHODS: Method[] = ['sft', 'dpo', 'orpo', 'kto', 'grpo', 'eval', 'merge', 'push'];
export const ADAPTERS: Adapter[] = ['lora', 'qlora', 'full'];
export const MERGE_METHODS: MergeMethod[] = ['slerp', 'ties', 'dare_ties', 'linear', 'task_arithmetic'];
export const TRAINING_METHODS: TrainingMethod[] = ['sft', 'dpo', 'orpo', 'kto', 'grpo'];

/** Roles a column can play. */
export type Role = (typeof ROLE_NAMES)[number];

export interface GpuLike {
  name?: string;
  memoryTotalMiB?: number;
  memoryFreeMiB?: number;
  computeCapability?: string | number | null;
  bf16?: boolean;
  flashAttention?: boolean;
}

export interface EnvReportLike {
  gpus?: GpuLike[];
  packages?: PackagesLike;
}

export interface DatasetInspectionLike {
  format?: string;
  task?: string;
  mapping?: Partial<Record<string, string>>;
  columns?: string[];
  trainable?: boolean;
  problems?: string[];
  /** Rows in the dataset (all of them, or the Hub's count): scales how often the run logs and evaluates. */
  rows?: number;
  /** Rows under one top-level key of a JSON document: load_dataset needs field=<it>. */
  jsonField?: string;
}

export interface MergeModel {
  model: string;
  weight?: number;
  density?: number;
}

export interface RecipeSpec {
  method: Method;
  baseModel?: string;
  dataset?: string;
  /** Split of the source dataset to train on (default "train"). */
  datasetSplit?: string;
  adapter?: Adapter;
  /** Fraction of the data held out for evaluation, 0 to 0.5 (default 0.05). */
  evalSplit?: number;
  hubRepo?: string;
  hubPrivate?: boolean;
  columnMapping?: Partial<Record<Role, string>>;
  datasetFormat?: string;
  systemPrompt?: string;
  maxLength?: number;
  maxPromptLength?: number;
  outputDir?: string;
  learningRate?: number;
  epochs?: number;
  perDeviceTrainBatchSize?: number;
  gradientAccumulationSteps?: number;
  gradientCheckpointing?: boolean;
  loraR?: number;
  loraAlpha?: number;
  loraDropout?: number;
  targetModules?: string | string[];
  beta?: number;
  warmupRatio?: number;
  lrSchedulerType?: string;
  seed?: number;
  saveTotalLimit?: number;
  saveSteps?: number;
  evalSteps?: number;
  loggingSteps?: number;
  bf16?: boolean;
  fp16?: boolean;
  attnImplementation?: string;
  // grpo
  /** Completions sampled per prompt (trl's num_generations, at least 2: advantages compare them). */
  numGenerations?: number;
  /** Tokens a completion may have; longer ones are cut (and masked from the loss when trl can). */
  maxCompletionLength?: number;
  /** trl's loss_type: "dapo" (trl's default since 0.20), "grpo", "dr_grpo", "bnpo". */
  lossType?: GrpoLossType;
  /** Sampling temperature of the generations. */
  temperature?: number;
  /** Reward functions of rewards.py and their weights. */
  rewards?: RewardChoice[];
  env?: EnvReportLike;
  inspection?: DatasetInspectionLike;
  // eval
  /** The trained model to evaluate or push: an adapter folder or a full model (default outputDir). */
  modelPath?: string;
  /**
   * push: the same folder as the workspace names it, for the card's commands (modelPath is as the
   * script in its folder sees it, "../sft-x/outputs/run"); default: modelPath less its leading "../".
   */
  modelFolder?: string;
  evalTasks?: string[];
  evalResults?: { task: string; base?: number | null; trained?: number | null }[];
  // merge
  mergeMethod?: MergeMethod;
  models?: MergeModel[];
  t?: number;
  /** slerp: layer count of the two models (renderRecipe fills it from the model table). */
  mergeLayers?: number;
}

/** The spec with every default filled in. */
export interface ResolvedSpec extends RecipeSpec {
  /** Set by renderRecipe when the batch plan counted the preview's longest row (below MAX_LENGTH): the CONFIG comment says so. */
  plannedRowTokens?: number;
  adapter: Adapter;
  evalSplit: number;
  datasetSplit: string;
  maxLength: number;
  maxPromptLength: number;
  outputDir: string;
  learningRate: number;
  epochs: number;
  perDeviceTrainBatchSize: number;
  gradientAccumulationSteps: number;
  gradientCheckpointing: boolean;
  loraR: number;
  loraAlpha: number;
  loraDropout: number;
  targetModules: string | string[];
  beta: number;
  warmupRatio: number;
  lrSchedulerType: string;
  seed: number;
  saveTotalLimit: number;
  saveSteps: number;
  evalSteps: number;
  loggingSteps: number;
  bf16: boolean;
  fp16: boolean;
  attnImplementation: string;
  columnMapping: Partial<Record<Role, string>>;
  evalTasks: string[];
  hubPrivate: boolean;
}

export class SpecError extends Error {
  constructor(readonly problems: string[]) {
    super(`The recipe spec has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n- ${problems.join('\n- ')}`);
  }
}

const LR: Record<TrainingMethod, { full: number; adapter: number }> = {
  // Full fine-tuning moves every weight, so it needs a ~10x smaller step than LoRA.
  sft: { full: 2e-5, adapter: 2e-4 },
  // Preference methods start from a good SFT model and must not drift far from it.
  dpo: { full: 5e-7, adapter: 5e-6 },
  orpo: { full: 8e-6, adapter: 5e-5 },
  kto: { full: 5e-7, adapter: 5e-6 },
  // RL from rewards: small steps keep the policy near the base while rewards are noisy (trl's GRPO default is 1e-6 full).
  grpo: { full: 1e-6, adapter: 1e-5 },
};

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function firstGpu(env?: EnvReportLike): GpuLike | undefined {
  return env?.gpus?.[0];
}

/** True for a workspace path (or file), false for a Hub id like "org/name". */
export function isLocalDataset(dataset: string): boolean {
  if (/^(\.{1,2}\/|\/|~|[A-Za-z]:[\\/])/.test(dataset)) return true;
  if (/\.(jsonl?|csv|parquet|arrow|txt)$/i.test(dataset)) return true;
  return dataset.split('/').length > 2;
}

const HUB_ID = /^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/)?[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

export function resolveSpec(input: unknown): ResolvedSpec {
  const problems: string[] = [];
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new SpecError(['the spec must be a JSON object']);
  const s = input as RecipeSpec;
  if (!METHODS.includes(s.method)) problems.push(`method: must be one of ${METHODS.join(', ')} (got ${JSON.stringify(s.method)})`);
  const method = s.method;
  // Type and range of every other field, and fields the spec does not have; null stands for "the default".
  problems.push(...fieldProblems(Object.fromEntries(Object.entries(s).filter(([, v]) => v !== null))));
  const training = (TRAINING_METHODS as string[]).includes(method);
  const adapter: Adapter = s.adapter ?? 'lora';
  if (!ADAPTERS.includes(adapter)) problems.push(`adapter: must be one of ${ADAPTERS.join(', ')} (got ${JSON.stringify(s.adapter)})`);

  const needsBase = training || method === 'eval' || (method === 'merge' && s.mergeMethod !== 'linear' && s.mergeMethod !== 'slerp');
  if (needsBase && (typeof s.baseModel !== 'string' || !s.baseModel.trim())) {
    problems.push(`baseModel: required for ${method}${method === 'merge' ? ` with ${s.mergeMethod}` : ''} (a Hub id like "meta-llama/Meta-Llama-3-8B-Instruct" or a local folder)`);
  }
  if (training && (typeof s.dataset !== 'string' || !s.dataset.trim())) {
    problems.push('dataset: required for training (a Hub dataset id or a workspace path such as "data/train.jsonl")');
  }
  const evalSplit = s.evalSplit ?? (training ? 0.05 : 0);
  if (!isNum(evalSplit) || evalSplit < 0 || evalSplit > 0.5) problems.push(`evalSplit: a fraction from 0 to 0.5 (got ${JSON.stringify(s.evalSplit)}); 0.05 holds out 5 %`);
  if (s.hubRepo !== undefined && (typeof s.hubRepo !== 'string' || !HUB_ID.test(s.hubRepo))) {
    problems.push(`hubRepo: must look like "name" or "owner/name" (got ${JSON.stringify(s.hubRepo)})`);
  }
  if (method === 'push' && !s.hubRepo) problems.push('hubRepo: required for push (the Hub repository to create or update)');
  if (s.bf16 === true && s.fp16 === true) problems.push('bf16 and fp16: choose one mixed-precision mode, not both');
  if (s.bf16 === true && firstGpu(s.env)?.bf16 === false) problems.push(`bf16: the GPU (${firstGpu(s.env)?.name ?? 'GPU 0'}) has no bfloat16 support; set fp16 instead`);

  if (method === 'eval') {
    // LightEval reads its model argument as comma-separated key=value pairs: a comma in a path would add a key (trust_remote_code=True…).
    for (const name of ['baseModel', 'modelPath', 'outputDir'] as const) {
      const v = s[name];
      if (typeof v === 'string' && v.includes(',')) problems.push(`${name}: LightEval cannot take a model path with a comma (got ${JSON.stringify(v)}); rename or link the folder`);
    }
  }
  if (adapter === 'full' && (s.loraR !== undefined || s.loraAlpha !== undefined)) problems.push('adapter "full" trains every weight: remove loraR/loraAlpha or choose adapter "lora"');
  // A non-number maxLength is already a problem above; the default keeps the arithmetic below from throwing.
  const maxLength = isNum(s.maxLength) ? s.maxLength : method === 'sft' ? 2048 : 1024;
  const maxPromptLength = s.maxPromptLength ?? Math.floor(maxLength / 2);
  if (s.maxPromptLength !== undefined && isNum(s.maxPromptLength) && s.maxPromptLength >= maxLength) problems.push(`maxPromptLength (${s.maxPromptLength}) must be smaller than maxLength (${maxLength})`);

  if (method === 'merge') checkMerge(s, problems);
  else if (s.models !== undefined || s.mergeMethod !== undefined) problems.push(`models/mergeMethod: only used by method "merge" (method is "${method}")`);

  const mapping = { ...(s.inspection?.mapping ?? {}), ...(s.columnMapping ?? {}) } as Partial<Record<Role, string>>;
  if (training && s.dataset) checkMapping(method as TrainingMethod, mapping, s.inspection, problems);
  if (method !== 'grpo' && s.beta === 0) problems.push(`beta: must be above 0 for ${method} (got 0); 0 only means "no reference model" for grpo`);
  if (method === 'grpo') checkGrpo(s, mapping, problems);
  else {
    for (const f of ['numGenerations', 'maxCompletionLength', 'lossType', 'temperature', 'rewards'] as const) {
      if (s[f] !== undefined) problems.push(`${f}: only used by method "grpo" (method is "${method}")`);
    }
  }

  if (problems.length) throw new SpecError(problems);

  const gpu = firstGpu(s.env);
  const bf16 = s.bf16 ?? (s.fp16 ? false : gpu?.bf16 ?? true);
  const fp16 = s.fp16 ?? (!bf16 && gpu !== undefined);
  const pkgs = s.env?.packages ?? {};
  const hasFlashPackage = Boolean(pkgs['flash_attn'] || pkgs['flash-attn']);
  // FlashAttention-2 only when both the GPU and the package allow it; Gemma 2 wants eager
  // attention (soft-capping); everything else gets PyTorch's built-in SDPA.
  const defaultAttn = gpu?.flashAttention && hasFlashPackage ? 'flash_attention_2' : /gemma-2/i.test(s.baseModel ?? '') ? 'eager' : 'sdpa';
  const flash = s.attnImplementation ?? defaultAttn;
  const tm = training ? (method as TrainingMethod) : 'sft';
  const lrDefault = adapter === 'full' ? LR[tm].full : LR[tm].adapter;
  const preference = method !== 'sft';
  const grpo = method === 'grpo' ? grpoDefaults(s, mapping) : {};
  const name = (s.hubRepo ?? s.baseModel ?? 'model').split('/').pop() ?? 'model';
  const epochs = s.epochs ?? (preference ? 1 : 3);
  const perDeviceTrainBatchSize = s.perDeviceTrainBatchSize ?? (preference ? 2 : 4);
  const gradientAccumulationSteps = s.gradientAccumulationSteps ?? (preference ? 8 : 4);
  return {
    ...s,
    adapter,
    evalSplit,
    datasetSplit: s.datasetSplit ?? 'train',
    maxLength,
    maxPromptLength,
    outputDir: s.outputDir ?? (method === 'merge' ? 'merged' : `outputs/${name}-${training ? method : 'model'}`),
    learningRate: s.learningRate ?? lrDefault,
    epochs,
    perDeviceTrainBatchSize,
    gradientAccumulationSteps,
    // Checkpointing recomputes activations in the backward pass: ~20-30 % slower, far less memory.
    gradientCheckpointing: s.gradientCheckpointing ?? true,
    loraR: s.loraR ?? 16,
    loraAlpha: s.loraAlpha ?? 32,
    loraDropout: s.loraDropout ?? 0.05,
    targetModules: s.targetModules ?? 'all-linear',
    // GRPO: trl's default since 0.19 is no KL term, hence no reference model in memory.
    beta: s.beta ?? (method === 'grpo' ? 0 : 0.1),
    warmupRatio: s.warmupRatio ?? (preference ? 0.1 : 0.03),
    lrSchedulerType: s.lrSchedulerType ?? 'cosine',
    seed: s.seed ?? 42,
    saveTotalLimit: s.saveTotalLimit ?? 2,
    ...stepCadence(s, { epochs, perDeviceTrainBatchSize, gradientAccumulationSteps, evalSplit: isNum(evalSplit) ? evalSplit : 0 }),
    bf16,
    fp16,
    attnImplementation: flash,
    columnMapping: mapping,
    evalTasks: s.evalTasks ?? ['mmlu', 'gsm8k'],
    hubPrivate: s.hubPrivate ?? true,
    ...grpo,
  };
}

/** GRPO's own defaults (trl's, but completions long enough for a worked math answer). */
function grpoDefaults(s: RecipeSpec, mapping: Partial<Record<Role, string>>): Pick<RecipeSpec, 'numGenerations' | 'maxCompletionLength' | 'temperature' | 'rewards'> {
  return {
    numGenerations: s.numGenerations ?? 8,
    maxCompletionLength: s.maxCompletionLength ?? 512,
    temperature: s.temperature ?? 1.0,
    rewards: s.rewards ?? defaultRewards(Boolean(mapping.answer)),
  };
}

/** Logging/eval/save steps: the user's, else scaled to the run's length when the row count is known, else the fixed defaults. */
function stepCadence(s: RecipeSpec, r: { epochs: number; perDeviceTrainBatchSize: number; gradientAccumulationSteps: number; evalSplit: number }): { loggingSteps: number; evalSteps: number; saveSteps: number } {
  const rows = s.inspection?.rows;
  const planned = isNum(rows) && rows > 0 && isNum(r.epochs) && isNum(r.perDeviceTrainBatchSize) && isNum(r.gradientAccumulationSteps)
    ? planSteps({ rows, ...r, gpus: trainingGpuCount({ ...s, packages: s.env?.packages, gpus: s.env?.gpus?.length }, resolveTargets(s.env?.packages).trl) })
    : FIXED_STEPS;
  return {
    loggingSteps: s.loggingSteps ?? planned.loggingSteps,
    evalSteps: s.evalSteps ?? planned.evalSteps,
    saveSteps: s.saveSteps ?? planned.saveSteps,
  };
}

function checkMerge(s: RecipeSpec, problems: string[]): void {
  const mm = s.mergeMethod;
  if (!mm || !MERGE_METHODS.includes(mm)) {
    problems.push(`mergeMethod: must be one of ${MERGE_METHODS.join(', ')} (got ${JSON.stringify(mm)})`);
    return;
  }
  const models = s.models;
  if (!Array.isArray(models) || models.length === 0 || models.some((m) => !m || typeof m.model !== 'string' || !m.model)) {
    problems.push('models: a list of {model, weight?, density?} with at least one model id');
    return;
  }
  if (mm === 'slerp') {
    if (models.length !== 2) problems.push(`models: slerp interpolates exactly 2 models (got ${models.length})`);
    if (!isNum(s.t) || s.t < 0 || s.t > 1) problems.push('t: slerp needs t from 0 (first model) to 1 (second model), e.g. 0.5');
    if (s.baseModel && !models.some((m) => m.model === s.baseModel)) problems.push('baseModel: for slerp it must be one of the two models');
  } else if (s.t !== undefined) {
    problems.push(`t: only slerp uses t (mergeMethod is ${mm})`);
  }
  if (mm === 'linear') {
    models.forEach((m, i) => {
      if (!isNum(m.weight)) problems.push(`models[${i}].weight: linear merges need a weight for every model`);
    });
  }
  if (mm === 'ties' || mm === 'dare_ties') {
    models.forEach((m, i) => {
      if (!isNum(m.weight)) problems.push(`models[${i}].weight: ${mm} needs a weight per model`);
      if (!isNum(m.density) || m.density <= 0 || m.density > 1) problems.push(`models[${i}].density: ${mm} needs a density in (0, 1] per model (the fraction of the delta kept)`);
    });
  }
  if (mm === 'task_arithmetic') {
    models.forEach((m, i) => {
      if (m.weight !== undefined && !isNum(m.weight)) problems.push(`models[${i}].weight: must be a number`);
    });
  }
  if ((mm === 'ties' || mm === 'dare_ties' || mm === 'task_arithmetic') && s.baseModel && models.every((m) => m.model === s.baseModel)) {
    problems.push(`models: ${mm} merges fine-tunes of baseModel; list the fine-tuned models, not only the base`);
  }
}

function checkGrpo(s: RecipeSpec, mapping: Partial<Record<Role, string>>, problems: string[]): void {
  if (s.lossType !== undefined && !GRPO_LOSS_TYPES.includes(s.lossType)) problems.push(`lossType: must be one of ${GRPO_LOSS_TYPES.join(', ')} (got ${JSON.stringify(s.lossType)})`);
  for (const r of Array.isArray(s.rewards) ? s.rewards : []) {
    if (r && REWARD_NEEDS_ANSWER[r.name] && !mapping.answer) {
      problems.push(`rewards: "${r.name}" compares with a reference answer: map the column holding it as columnMapping.answer (e.g. {"prompt": "question", "answer": "answer"}), or choose the "format"/"length" rewards`);
    }
  }
}

/** Which roles each method needs: one of the alternatives must be fully mapped. */
const NEEDS: Record<TrainingMethod, Role[][]> = {
  sft: [['messages'], ['user', 'assistant'], ['prompt', 'completion'], ['text']],
  dpo: [['chosen', 'rejected']],
  orpo: [['chosen', 'rejected']],
  kto: [['completion', 'label'], ['assistant', 'label'], ['messages', 'label']],
  // GRPO generates the completions: it needs prompts only; the reference answer (role "answer") feeds the rewards.
  grpo: [['prompt'], ['messages'], ['user']],
};

function checkMapping(method: TrainingMethod, mapping: Partial<Record<Role, string>>, inspection: DatasetInspectionLike | undefined, problems: string[]): void {
  const ok = NEEDS[method].some((alt) => alt.every((r) => typeof mapping[r] === 'string' && mapping[r]));
  if (!ok) {
    const alts = NEEDS[method].map((a) => a.join(' + ')).join(', or ');
    problems.push(`columnMapping: ${method} needs columns for ${alts} (role -> column, e.g. {"user": "patient_query", "assistant": "doctor_response"}); got ${JSON.stringify(mapping)}`);
  }
  const cols = inspection?.columns;
  if (cols && cols.length) {
    for (const [role, col] of Object.entries(mapping)) {
      if (col && !cols.includes(col)) problems.push(`columnMapping.${role}: column "${col}" is not in the dataset (columns: ${cols.join(', ')})`);
    }
  }
}
