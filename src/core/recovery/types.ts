/**
 * Shared types of the recovery area: what a diagnosis says, what a fix is,
 * and the little the playbook needs to know about the machine.
 */

export const FAILURE_CATEGORIES = [
  'cuda_oom',
  'bf16_unsupported',
  'flash_attn_missing',
  'missing_pad_token',
  'missing_chat_template',
  'gated_or_auth',
  'dataset_schema',
  'unexpected_kwarg',
  'bitsandbytes_setup',
  'nccl_or_distributed',
  'disk_full',
  'cuda_driver',
  'module_not_found',
  'nan_loss',
  'shape_or_dtype',
  'hub_push',
  'network_timeout',
  'grpo_generation_batch',
  'sandbox_unavailable',
  'unknown',
] as const;

export type FailureCategory = (typeof FAILURE_CATEGORIES)[number];

/** Who can fix it: the deterministic playbook, the LLM, or only the user. */
export type FixKind = 'playbook' | 'llm' | 'user';

export interface DiagnosisDetails {
  /** unexpected_kwarg: the keyword the library refused. */
  kwarg?: string;
  /** unexpected_kwarg: the class (or function) that refused it, when the log names it. */
  className?: string;
  /** module_not_found: the import name (top-level package). */
  module?: string;
  /** module_not_found: the pip distribution to install. */
  pipPackage?: string;
  /** gated_or_auth / hub_push: the Hub repo the log names. */
  repoId?: string;
}

export interface Diagnosis {
  category: FailureCategory;
  /** One sentence for the user. */
  summary: string;
  /** Verbatim lines of the log (ANSI codes stripped), in log order. */
  evidence: string[];
  fix: { kind: FixKind; description: string };
  details?: DiagnosisDetails;
}

/** What the playbook may know about the machine (the env report, when there is one). */
export interface RecoveryEnvironment {
  gpus?: Array<{ name: string; bf16?: boolean; computeCapability?: string; memoryMiB?: number }>;
  /** True/false when known for the GPU(s) the run uses. Overrides `gpus[].bf16`. */
  bf16Supported?: boolean;
  /** Installed Python packages: import or pip name → version string. */
  packages?: Record<string, string>;
}

export function bf16Supported(env: RecoveryEnvironment | undefined): boolean | undefined {
  if (!env) return undefined;
  if (env.bf16Supported !== undefined) return env.bf16Supported;
  const flags = (env.gpus ?? []).map((g) => g.bf16).filter((b): b is boolean => b !== undefined);
  if (flags.length === 0) return undefined;
  return flags.every(Boolean);
}

/** Installed version of a package by pip or import name (case and -/_ insensitive). */
export function installedVersion(env: RecoveryEnvironment | undefined, name: string): string | undefined {
  const pkgs = env?.packages;
  if (!pkgs) return undefined;
  const norm = (s: string) => s.toLowerCase().replace(/[-_.]/g, '');
  const want = norm(name);
  for (const [k, v] of Object.entries(pkgs)) if (norm(k) === want) return v;
  return undefined;
}
