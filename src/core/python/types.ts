/**
 * Result shapes of the Python helpers in python/. Field names are exactly those of the
 * JSON the helpers print; change them on both sides together.
 */

/** Detected layout of a data set (python/inspect_data.py). */
export type DatasetFormat =
  | 'text'
  | 'messages'
  | 'sharegpt'
  | 'alpaca'
  | 'prompt_completion'
  | 'preference_explicit'
  | 'preference_implicit'
  | 'kto'
  | 'custom_qa'
  /** One dict per exchange in a conversation column (Firefly/MOSS {human, assistant}, xtuner {system?, input, output}). */
  | 'turn_pairs'
  /** Two columns of parallel lists, the user's turns and the assistant's (Chinese-Vicuna's input/output lists). */
  | 'parallel_turns'
  /** OpenAssistant message trees (a prompt node with nested 'replies'): the best-ranked path trains. */
  | 'message_tree'
  | 'unknown';

/** The trl trainer family the data suits; null when it cannot be told (format 'unknown'). */
export type TrainingTask = 'sft' | 'dpo' | 'kto';

/** trl roles a source column can feed. */
export type MappingKey =
  | 'text'
  | 'messages'
  | 'system'
  | 'user'
  | 'input'
  /** Earlier [user, assistant] pairs before the question (LLaMA-Factory, ms-swift). */
  | 'history'
  | 'assistant'
  | 'prompt'
  | 'completion'
  | 'chosen'
  | 'rejected'
  /** Index of the better answer: 0 = the 'chosen' column, 1 = the 'rejected' one (PKU-SafeRLHF, SHP). */
  | 'choice'
  | 'label'
  /** GRPO: the reference answer the rewards compare with (trl passes it under its column name). */
  | 'answer'
  /** GRPO multiple choice: the options, lettered A, B, C... into the prompt. */
  | 'choices';

/** What GRPO would train on (python/data_rl.py), beside the detected format, which it never changes. */
export interface GrpoProposal {
  mapping: Partial<Record<MappingKey, string>>;
  /** What the reference is: a final answer, a choice index/letter, tests to run; null for prompts only. */
  answerKind: 'final_answer' | 'choice' | 'code_tests' | null;
  /** The built-in rewards of rewards.py that fit it (names of templates/rewards.ts). */
  rewards: string[];
  reason: string;
  /** What the user must still do or know (e.g. no reference: only form rewards). */
  notes: string[];
  /** False when the file cannot be loaded as it is (invalid lines, a cut-off last line…). */
  trainable: boolean;
}

export interface DatasetColumn {
  name: string;
  /** 'string', 'int', 'float', 'bool', 'null', 'object', 'list<object>', 'list<string>'…; mixed types joined by '|'. */
  type: string;
  nonNull: number;
}

export interface DatasetInspection {
  /** The path or Hub id as given. */
  path: string;
  rows: number;
  columns: DatasetColumn[];
  /** The first rows, strings cut at ~300 characters. */
  samples: Record<string, unknown>[];
  format: DatasetFormat;
  task: TrainingTask | null;
  /** trl role → source column. For 'unknown' it holds the best guess, if any. */
  mapping: Partial<Record<MappingKey, string>>;
  trainable: boolean;
  /** Human-readable issues (empty answers, duplicates, invalid lines…), each saying what to do. */
  problems: string[];
  /** Informational remarks (unused columns, which duplicate column is used…). */
  notes: string[];
  /** Key style of conversational columns: role/content or ShareGPT from/value. */
  messageStyle?: 'role_content' | 'from_value';
  /** A JSON document whose rows sit under one top-level key ({"data": [...]}): that key. */
  jsonField?: string;
  /** True when `rows` counts only the rows read (a Hub set of unknown size), not the dataset. */
  rowsSampled?: boolean;
  /** Present when GRPO can train on the rows: its prompt (and reference) columns and fitting rewards. */
  grpo?: GrpoProposal;
}

export interface GpuInfo {
  index: number | null;
  name: string;
  memoryTotalMiB: number | null;
  memoryFreeMiB: number | null;
  /** e.g. '8.0'; null when unknown. */
  computeCapability: string | null;
  bf16: boolean | null;
  flashAttention: boolean | null;
}

/** Libraries whose versions env_report.py reports (null = not installed). */
export type ReportedLibrary =
  | 'torch'
  | 'transformers'
  | 'trl'
  | 'peft'
  | 'datasets'
  | 'accelerate'
  | 'bitsandbytes'
  | 'flash_attn'
  | 'lighteval'
  | 'mergekit'
  | 'huggingface_hub'
  | 'trackio'
  | 'wandb'
  | 'tensorboard';

/** A compute node's bubblewrap, as the node check found it: `detail` is its path, or why it cannot run. */
export interface NodeBubblewrap {
  state: 'works' | 'fails' | 'absent';
  detail: string;
}

export interface EnvReport {
  gpus: GpuInfo[];
  /** Where the GPU fields come from when not this machine (the Slurm target: a compute node). */
  gpusFrom?: string;
  /** The Slurm target: whether that compute node has a working bubblewrap (its node check says). */
  nodeBubblewrap?: NodeBubblewrap;
  gpuSource: 'nvidia-smi' | 'torch' | null;
  /** CUDA version the driver supports (nvidia-smi) or torch was built with. */
  cudaVersion: string | null;
  driverVersion: string | null;
  python: { version: string; executable: string };
  platform: string;
  /** deepspeed, vllm: absent from reports written before env_report.py read them (GRPO generates with vLLM when it is there). */
  libraries: Record<ReportedLibrary, string | null> & { deepspeed?: string | null; vllm?: string | null };
  disk: { path: string; freeMiB: number | null; totalMiB: number | null };
  /** Whether an HF token is available (never the value). */
  hfToken: boolean;
  cpuCount: number | null;
  ramMiB: number | null;
  ramAvailableMiB: number | null;
  problems: string[];
}

export type FindingCode = 'unknown-keyword' | 'unresolved-import' | 'missing-package' | 'syntax-error';

/** One finding of python/validate_script.py. line/column are 1-based; endColumn is exclusive. */
export interface ValidationFinding {
  line: number;
  column: number;
  endColumn: number;
  severity: 'error' | 'warning';
  code: FindingCode;
  message: string;
  suggestion?: string;
}

export interface ValidationReport {
  findings: ValidationFinding[];
  /** Calls whose keywords were checked. */
  checked: number;
  /** Library → installed version in the interpreter that ran the check (null = not installed). */
  libraries: Record<string, string | null>;
  python: string;
}

/** Script names in python/ and what each prints. */
export interface HelperResults {
  'inspect_data.py': DatasetInspection;
  'env_report.py': EnvReport;
  'validate_script.py': ValidationReport;
}
