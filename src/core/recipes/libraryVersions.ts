/**
 * Which keyword each trl / transformers / peft class accepts, by version: the data the recipe
 * engine writes scripts from and the recovery playbook maps `unexpected keyword argument 'X'`
 * failures with. Every bound was read from the libraries themselves (git tags of huggingface/trl
 * and huggingface/peft, release notes and pull requests of huggingface/transformers); the source
 * is named on each entry. `since` is the first release that accepts the keyword, `until` the
 * first release that rejects it (removed in).
 */

export type Library = 'trl' | 'transformers' | 'peft';

export interface KeywordRule {
  library: Library;
  /** Class or function, e.g. 'SFTConfig', 'TrainingArguments', 'from_pretrained'. */
  symbol: string;
  keyword: string;
  since?: string;
  until?: string;
  /** First release that warns about it (it still works until `until`). */
  deprecatedIn?: string;
  /** What to write instead ('SFTConfig.max_length' when it moved to another class). */
  replacedBy?: string;
  source: string;
}

export interface ImportRule {
  library: Library;
  symbol: string;
  module: string;
  since?: string;
  until?: string;
  deprecatedIn?: string;
  source: string;
}

export interface TargetVersions {
  trl: string;
  transformers: string;
  peft: string;
  /** True when the version was guessed (no environment report): the script then chooses at run time where it matters. */
  guessed: { trl: boolean; transformers: boolean; peft: boolean };
}

/** Without an environment report: current stable trl 1.x (which itself requires transformers >= 4.56.2). */
export const DEFAULT_TARGET = { trl: '1.0.0', transformers: '4.56.2', peft: '0.17.0' } as const;
/** The oldest trl the recipes support: the release where the four Config classes all exist. */
export const MIN_TRL = '0.11.0';

const TRL_TAGS = 'huggingface/trl git tags (fields of the Config dataclass / Trainer.__init__ parameters at each tag)';

// ---------------------------------------------------------------- version arithmetic

export function parseVersion(v: string): number[] {
  const m = /^\s*v?(\d+(?:\.\d+)*)/.exec(v);
  if (!m) return [0];
  return m[1].split('.').map((x) => Number(x));
}

export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function versionAtLeast(v: string, min: string): boolean {
  return compareVersions(v, min) >= 0;
}

function inRange(v: string, since?: string, until?: string): boolean {
  if (since && compareVersions(v, since) < 0) return false;
  if (until && compareVersions(v, until) >= 0) return false;
  return true;
}

// ---------------------------------------------------------------- the table

function always(library: Library, symbol: string, keywords: string[], source: string): KeywordRule[] {
  return keywords.map((keyword) => ({ library, symbol, keyword, source }));
}

/** TrainingArguments keywords the recipes write that did not change in the supported range. */
const TRAINING_ARGUMENTS_STABLE = [
  'output_dir', 'num_train_epochs', 'max_steps', 'per_device_train_batch_size', 'per_device_eval_batch_size',
  'gradient_accumulation_steps', 'gradient_checkpointing', 'gradient_checkpointing_kwargs', 'learning_rate',
  'lr_scheduler_type', 'warmup_steps', 'weight_decay', 'optim', 'bf16', 'fp16', 'logging_steps', 'eval_steps',
  'save_strategy', 'save_steps', 'save_total_limit', 'report_to', 'seed', 'push_to_hub', 'hub_model_id',
  'load_best_model_at_end', 'metric_for_best_model', 'run_name', 'max_grad_norm', 'remove_unused_columns',
  // Plain-text logs for smoke runs; trl 1.9 itself reads args.disable_tqdm and passes --logging_first_step in its scripts.
  'disable_tqdm', 'logging_first_step',
];

const TRAINERS = ['SFTTrainer', 'DPOTrainer', 'ORPOTrainer', 'KTOTrainer'];
const CONFIGS = ['SFTConfig', 'DPOConfig', 'ORPOConfig', 'KTOConfig', 'GRPOConfig'];

export const KEYWORD_RULES: KeywordRule[] = [
  // transformers.TrainingArguments (every trl Config class inherits these)
  ...always('transformers', 'TrainingArguments', TRAINING_ARGUMENTS_STABLE, 'transformers src/transformers/training_args.py (stable across 4.41–5.x)'),
  {
    library: 'transformers', symbol: 'TrainingArguments', keyword: 'evaluation_strategy', until: '4.46.0', deprecatedIn: '4.41.0', replacedBy: 'eval_strategy',
    source: 'huggingface/transformers#30190 (renamed in 4.41; FutureWarning "will be removed in version 4.46")',
  },
  {
    library: 'transformers', symbol: 'TrainingArguments', keyword: 'eval_strategy', since: '4.41.0',
    source: 'huggingface/transformers#30190 (added in 4.41)',
  },
  { library: 'transformers', symbol: 'TrainingArguments', keyword: 'use_liger_kernel', since: '4.45.0', source: 'huggingface/transformers#32860 (Liger kernel in the Trainer, merged Aug 2024: v4.45.0)' },
  {
    library: 'transformers', symbol: 'TrainingArguments', keyword: 'warmup_ratio', deprecatedIn: '5.0.0', until: '5.2.0', replacedBy: 'warmup_steps',
    source: 'huggingface/transformers#41326 (deprecated in v5: warmup_steps takes a float ratio; "will be removed in v5.2")',
  },
  // transformers.Trainer and the trl trainers: tokenizer -> processing_class
  {
    library: 'transformers', symbol: 'Trainer', keyword: 'tokenizer', deprecatedIn: '4.46.0', until: '5.0.0', replacedBy: 'processing_class',
    source: 'huggingface/transformers#32385 (deprecated in 4.46), #41128 (removed in v5)',
  },
  { library: 'transformers', symbol: 'Trainer', keyword: 'processing_class', since: '4.46.0', source: 'huggingface/transformers#32385' },
  ...TRAINERS.flatMap((t): KeywordRule[] => [
    { library: 'trl', symbol: t, keyword: 'tokenizer', until: '0.12.0', replacedBy: 'processing_class', source: `${TRL_TAGS}: v0.12.0 replaced tokenizer by processing_class` },
    { library: 'trl', symbol: t, keyword: 'processing_class', since: '0.12.0', source: `${TRL_TAGS}: v0.12.0` },
    ...always('trl', t, ['model', 'args', 'train_dataset', 'eval_dataset', 'peft_config', 'callbacks', 'data_collator'], `${TRL_TAGS}: v0.11.0–v1.9.0`),
  ]),
  ...['DPOTrainer', 'KTOTrainer'].flatMap((t) => always('trl', t, ['ref_model'], `${TRL_TAGS}: v0.11.0–v1.9.0`)),
  // Keywords that moved from the trainer to its Config class
  ...['max_seq_length', 'dataset_text_field', 'packing', 'dataset_kwargs', 'neftune_noise_alpha'].map((keyword): KeywordRule => ({
    library: 'trl', symbol: 'SFTTrainer', keyword, until: '0.13.0', replacedBy: `SFTConfig.${keyword === 'max_seq_length' ? 'max_length' : keyword}`,
    source: `${TRL_TAGS}: SFTTrainer.__init__ lost them in v0.13.0`,
  })),
  ...['beta', 'max_length', 'max_prompt_length', 'loss_type', 'label_smoothing'].map((keyword): KeywordRule => ({
    library: 'trl', symbol: 'DPOTrainer', keyword, until: '0.13.0', replacedBy: `DPOConfig.${keyword}`,
    source: `${TRL_TAGS}: DPOTrainer.__init__ lost them in v0.13.0`,
  })),
  // SFTConfig
  { library: 'trl', symbol: 'SFTConfig', keyword: 'max_seq_length', deprecatedIn: '0.16.0', until: '0.20.0', replacedBy: 'max_length', source: `${TRL_TAGS}: max_length added v0.16.0, max_seq_length removed v0.20.0 (PR #3704 "Remove deprecated")` },
  { library: 'trl', symbol: 'SFTConfig', keyword: 'max_length', since: '0.16.0', source: `${TRL_TAGS}: v0.16.0` },
  ...always('trl', 'SFTConfig', ['packing', 'dataset_text_field', 'dataset_kwargs', 'model_init_kwargs', 'dataset_num_proc'], `${TRL_TAGS}: v0.11.0–v1.9.0`),
  { library: 'trl', symbol: 'SFTConfig', keyword: 'completion_only_loss', since: '0.17.0', source: `${TRL_TAGS}: v0.17.0` },
  { library: 'trl', symbol: 'SFTConfig', keyword: 'assistant_only_loss', since: '0.19.0', source: `${TRL_TAGS}: v0.19.0` },
  { library: 'trl', symbol: 'SFTConfig', keyword: 'padding_free', since: '0.16.0', source: `${TRL_TAGS}: v0.16.0` },
  // DataCollatorForCompletionOnlyLM(response_template, instruction_template, *args, mlm, ignore_index, padding_free, **kwargs):
  // tokenizer= goes on to transformers' DataCollatorForLanguageModeling. The class itself is gone in 0.20 (IMPORT_RULES).
  ...always('trl', 'DataCollatorForCompletionOnlyLM', ['response_template', 'instruction_template', 'tokenizer'], `${TRL_TAGS}: trl/trainer/utils.py v0.11.0-v0.19.1`),
  // DPOConfig
  ...always('trl', 'DPOConfig', ['beta', 'max_length', 'loss_type', 'precompute_ref_log_probs', 'model_init_kwargs'], `${TRL_TAGS}: v0.11.0–v1.9.0`),
  { library: 'trl', symbol: 'DPOConfig', keyword: 'max_prompt_length', until: '0.29.0', replacedBy: 'max_length', source: `${TRL_TAGS}: removed by "Refactor DPO" (PR #3906) in v0.29.0` },
  { library: 'trl', symbol: 'DPOConfig', keyword: 'max_completion_length', until: '0.29.0', replacedBy: 'max_length', source: `${TRL_TAGS}: removed by "Refactor DPO" (PR #3906) in v0.29.0` },
  // ORPOConfig
  ...always('trl', 'ORPOConfig', ['beta', 'max_length', 'max_completion_length', 'model_init_kwargs'], `${TRL_TAGS}: v0.11.0–v1.9.0`),
  { library: 'trl', symbol: 'ORPOConfig', keyword: 'max_prompt_length', until: '0.28.0', replacedBy: 'max_length', source: `${TRL_TAGS}: removed in v0.28.0` },
  // KTOConfig
  ...always('trl', 'KTOConfig', ['beta', 'max_length', 'desirable_weight', 'undesirable_weight', 'loss_type', 'model_init_kwargs'], `${TRL_TAGS}: v0.11.0–v1.9.0`),
  { library: 'trl', symbol: 'KTOConfig', keyword: 'max_prompt_length', until: '0.27.0', replacedBy: 'max_length', source: `${TRL_TAGS}: removed in v0.27.0` },
  { library: 'trl', symbol: 'KTOConfig', keyword: 'max_completion_length', until: '0.27.0', replacedBy: 'max_length', source: `${TRL_TAGS}: removed in v0.27.0` },
  // GRPOTrainer / GRPOConfig: first released in v0.14.0 (trl/trainer/grpo_config.py, grpo_trainer.py at each tag)
  ...always('trl', 'GRPOTrainer', ['model', 'reward_funcs', 'args', 'train_dataset', 'eval_dataset', 'processing_class', 'reward_processing_classes', 'callbacks', 'peft_config'], `${TRL_TAGS}: GRPOTrainer.__init__ v0.14.0–v1.9.0`).map((r) => ({ ...r, since: '0.14.0' })),
  ...always('trl', 'GRPOConfig', ['num_generations', 'max_completion_length', 'beta', 'temperature', 'use_vllm', 'vllm_gpu_memory_utilization', 'model_init_kwargs', 'remove_unused_columns'], `${TRL_TAGS}: GRPOConfig v0.14.0–v1.9.0`).map((r) => ({ ...r, since: '0.14.0' })),
  { library: 'trl', symbol: 'GRPOConfig', keyword: 'max_prompt_length', since: '0.14.0', deprecatedIn: '0.26.0', until: '0.28.0', source: `${TRL_TAGS}: moved to the deprecated fields in v0.26.0, gone in v0.28.0 (prompts are no longer truncated)` },
  ...['reward_weights', 'scale_rewards', 'log_completions', 'num_iterations', 'epsilon'].map((keyword): KeywordRule => ({ library: 'trl', symbol: 'GRPOConfig', keyword, since: '0.16.0', source: `${TRL_TAGS}: v0.16.0` })),
  ...['loss_type', 'mask_truncated_completions'].map((keyword): KeywordRule => ({ library: 'trl', symbol: 'GRPOConfig', keyword, since: '0.17.0', source: `${TRL_TAGS}: v0.17.0` })),
  ...['generation_batch_size', 'steps_per_generation', 'vllm_mode', 'vllm_server_base_url'].map((keyword): KeywordRule => ({ library: 'trl', symbol: 'GRPOConfig', keyword, since: '0.18.0', source: `${TRL_TAGS}: v0.18.0 (vllm_mode defaulted to "server" until it became "colocate")` })),
  { library: 'trl', symbol: 'GRPOConfig', keyword: 'vllm_device', since: '0.14.0', until: '0.18.0', replacedBy: 'vllm_mode', source: `${TRL_TAGS}: removed in v0.18.0 (colocate/server modes)` },
  { library: 'trl', symbol: 'GRPOConfig', keyword: 'vllm_guided_decoding_regex', since: '0.16.0', deprecatedIn: '0.27.0', until: '0.28.0', replacedBy: 'vllm_structured_outputs_regex', source: `${TRL_TAGS}: vllm_structured_outputs_regex added v0.27.0, the old name gone in v0.28.0` },
  { library: 'trl', symbol: 'GRPOConfig', keyword: 'vllm_structured_outputs_regex', since: '0.27.0', source: `${TRL_TAGS}: v0.27.0` },
  // from_pretrained
  ...always('transformers', 'from_pretrained', ['quantization_config', 'device_map', 'trust_remote_code', 'token', 'revision'], 'transformers modeling_utils.PreTrainedModel.from_pretrained'),
  { library: 'transformers', symbol: 'from_pretrained', keyword: 'attn_implementation', since: '4.36.0', source: 'transformers v4.36.0 release notes (attn_implementation, SDPA)' },
  { library: 'transformers', symbol: 'from_pretrained', keyword: 'torch_dtype', deprecatedIn: '4.56.0', replacedBy: 'dtype', source: 'huggingface/transformers#39782 (4.56: "torch_dtype is deprecated! Use dtype instead!")' },
  { library: 'transformers', symbol: 'from_pretrained', keyword: 'dtype', since: '4.56.0', source: 'huggingface/transformers#39782' },
  // BitsAndBytesConfig
  ...always('transformers', 'BitsAndBytesConfig', ['load_in_4bit', 'load_in_8bit', 'bnb_4bit_quant_type', 'bnb_4bit_use_double_quant', 'bnb_4bit_compute_dtype'], 'transformers utils/quantization_config.py BitsAndBytesConfig (stable since 4.30)'),
  // peft
  ...always('peft', 'LoraConfig', ['r', 'lora_alpha', 'lora_dropout', 'target_modules', 'bias', 'task_type', 'modules_to_save'], 'huggingface/peft src/peft/tuners/lora/config.py'),
  { library: 'peft', symbol: 'LoraConfig', keyword: 'use_dora', since: '0.9.0', source: 'huggingface/peft v0.9.0 release (DoRA)' },
  ...always('peft', 'prepare_model_for_kbit_training', ['use_gradient_checkpointing', 'gradient_checkpointing_kwargs'], 'huggingface/peft src/peft/utils/other.py (both present since v0.6.0)'),
];

/** Values (not keywords) that need a minimum version. */
export const VALUE_RULES = [
  { library: 'peft' as Library, symbol: 'LoraConfig', keyword: 'target_modules', value: 'all-linear', since: '0.8.0', source: 'huggingface/peft git tags: "all-linear" first in v0.8.0 (tuners/tuners_utils.py)' },
  { library: 'transformers' as Library, symbol: 'TrainingArguments', keyword: 'report_to', value: 'trackio', since: '4.55.0', source: 'trl v0.21.0 (first trl documenting trackio, Aug 2025) requires transformers>=4.55.0; transformers#40950' },
];

export const IMPORT_RULES: ImportRule[] = [
  { library: 'trl', symbol: 'ORPOTrainer', module: 'trl', until: '0.29.0', deprecatedIn: '0.26.0', source: `${TRL_TAGS}: trl/trainer/orpo_config.py became a FutureWarning shim in v0.26.0 and was removed in v0.29.0` },
  { library: 'trl', symbol: 'ORPOTrainer', module: 'trl.experimental.orpo', since: '0.26.0', source: `${TRL_TAGS}: trl/experimental/orpo/ first in v0.26.0` },
  { library: 'trl', symbol: 'KTOTrainer', module: 'trl', source: `${TRL_TAGS}: exported from trl in every release (a FutureWarning shim over trl.experimental.kto in v0.26–v1.7, stable again in v1.8.0)` },
  { library: 'trl', symbol: 'KTOTrainer', module: 'trl.experimental.kto', since: '0.26.0', deprecatedIn: '1.8.0', source: `${TRL_TAGS}: v1.8.0 "KTOTrainer has been promoted to the stable API"` },
  { library: 'trl', symbol: 'DataCollatorForCompletionOnlyLM', module: 'trl', until: '0.20.0', source: `${TRL_TAGS}: exported from trl/__init__.py up to v0.19.x, gone in v0.20.0 (use completion_only_loss / assistant_only_loss)` },
  { library: 'trl', symbol: 'SFTTrainer', module: 'trl', source: TRL_TAGS },
  { library: 'trl', symbol: 'DPOTrainer', module: 'trl', source: TRL_TAGS },
  { library: 'trl', symbol: 'GRPOTrainer', module: 'trl', since: '0.14.0', source: `${TRL_TAGS}: trl/trainer/grpo_trainer.py first in v0.14.0` },
];

// ---------------------------------------------------------------- queries

/** The Config classes inherit TrainingArguments, whose keywords depend on the transformers version. */
const INHERITS: Record<string, { library: Library; symbol: string }[]> = Object.fromEntries([
  ...CONFIGS.map((c) => [c, [{ library: 'transformers' as Library, symbol: 'TrainingArguments' }]]),
]);

function versionOf(lib: Library, t: Pick<TargetVersions, Library>): string {
  return t[lib];
}

/** Does `symbol` (of `library`) accept `keyword` at the target versions? */
export function acceptsKeyword(library: Library, symbol: string, keyword: string, target: Pick<TargetVersions, Library>): boolean {
  const own = KEYWORD_RULES.filter((r) => r.library === library && r.symbol === symbol && r.keyword === keyword);
  if (own.some((r) => inRange(versionOf(library, target), r.since, r.until))) return true;
  for (const parent of INHERITS[symbol] ?? []) {
    if (acceptsKeyword(parent.library, parent.symbol, keyword, target)) return true;
  }
  return false;
}

/** Every keyword the table knows for a symbol (own and inherited) at the target versions. */
export function acceptedKeywords(library: Library, symbol: string, target: Pick<TargetVersions, Library>): string[] {
  const out = new Set<string>();
  for (const r of KEYWORD_RULES) {
    if (r.library === library && r.symbol === symbol && inRange(versionOf(library, target), r.since, r.until)) out.add(r.keyword);
  }
  for (const parent of INHERITS[symbol] ?? []) for (const k of acceptedKeywords(parent.library, parent.symbol, target)) out.add(k);
  return [...out].sort();
}

/** The module to import `symbol` from, preferring the non-deprecated path. */
export function importModule(library: Library, symbol: string, version: string): string {
  const candidates = IMPORT_RULES.filter((r) => r.library === library && r.symbol === symbol && inRange(version, r.since, r.until));
  const fresh = candidates.find((r) => !r.deprecatedIn || compareVersions(version, r.deprecatedIn) < 0);
  const pick = fresh ?? candidates[0];
  if (!pick) throw new Error(`${library} ${version} has no ${symbol}`);
  return pick.module;
}

export function valueSupported(library: Library, symbol: string, keyword: string, value: string, version: string): boolean {
  const rule = VALUE_RULES.find((r) => r.library === library && r.symbol === symbol && r.keyword === keyword && r.value === value);
  return !rule || versionAtLeast(version, rule.since);
}

// ---------------------------------------------------------------- renames as data

export interface Rename {
  library: Library;
  symbol: string;
  /** The keyword or import that stopped working. */
  old: string;
  /** What to write instead; null when it was removed with no replacement. */
  new: string | null;
  deprecatedIn?: string;
  removedIn?: string;
  source: string;
}

/** Every rename/removal in the table, for the recovery playbook and the renames sheet. */
export const RENAMES: Rename[] = [
  ...KEYWORD_RULES.filter((r) => r.until || r.deprecatedIn).map((r) => ({
    library: r.library, symbol: r.symbol, old: r.keyword, new: r.replacedBy ?? null, deprecatedIn: r.deprecatedIn, removedIn: r.until, source: r.source,
  })),
  {
    library: 'trl', symbol: 'import', old: 'from trl import ORPOConfig, ORPOTrainer', new: 'from trl.experimental.orpo import ORPOConfig, ORPOTrainer',
    deprecatedIn: '0.26.0', removedIn: '0.29.0', source: IMPORT_RULES[0].source,
  },
  {
    library: 'trl', symbol: 'import', old: 'from trl import DataCollatorForCompletionOnlyLM', new: 'SFTConfig(completion_only_loss=True) with a prompt/completion dataset, or assistant_only_loss=True',
    removedIn: '0.20.0', source: IMPORT_RULES[4].source,
  },
];

/**
 * Map a Python error line to the rename that explains it, e.g.
 * `TypeError: SFTConfig.__init__() got an unexpected keyword argument 'max_seq_length'`.
 * The symbol in the message narrows the match when present.
 */
export function findRenameForError(message: string): Rename | undefined {
  const kw = /unexpected keyword argument '([A-Za-z_][A-Za-z0-9_]*)'/.exec(message);
  if (kw) {
    const sym = /([A-Za-z_][A-Za-z0-9_]*)\.__init__\(\)/.exec(message)?.[1];
    const hits = RENAMES.filter((r) => r.old === kw[1]);
    return hits.find((r) => r.symbol === sym) ?? hits.find((r) => sym && r.symbol === 'TrainingArguments' && CONFIGS.includes(sym)) ?? hits[0];
  }
  const imp = /cannot import name '([A-Za-z_][A-Za-z0-9_]*)' from '([A-Za-z_.]+)'/.exec(message);
  if (imp) return RENAMES.find((r) => r.symbol === 'import' && r.old.includes(imp[1]));
  return undefined;
}

// ---------------------------------------------------------------- targets

export interface PackagesLike {
  [name: string]: string | null | undefined;
}

/**
 * huggingface_hub's command-line program for the installed version (setup.py console_scripts at
 * each tag): `hf` from 0.34.0, `huggingface-cli` until 1.0 removed it. Unknown version: `hf`,
 * what `pip install huggingface_hub` gives today.
 */
export interface HubCli {
  program: 'hf' | 'huggingface-cli';
  /** The login command to name in messages. */
  login: string;
}

export function hubCli(hubVersion?: string | null): HubCli {
  if (hubVersion && !versionAtLeast(hubVersion, '0.34.0')) return { program: 'huggingface-cli', login: 'huggingface-cli login' };
  return { program: 'hf', login: 'hf auth login' };
}

export function resolveTargets(packages?: PackagesLike | null): TargetVersions {
  const pick = (name: Library): [string, boolean] => {
    const v = packages?.[name];
    return v ? [v, false] : [DEFAULT_TARGET[name], true];
  };
  const [trl, gt] = pick('trl');
  const [transformers, gx] = pick('transformers');
  const [peft, gp] = pick('peft');
  return { trl, transformers, peft, guessed: { trl: gt, transformers: gx, peft: gp } };
}
