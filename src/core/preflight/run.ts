/**
 * Runs python/preflight.py on a recipe folder (or its train.py) or on a spec rendered in memory,
 * so the host, the CLI and the agent all see the tokens the script will train on.
 */
import { PythonHelperError, RunHelperOptions, runPythonHelper } from '../python';
import { RecipeSpec, renderRecipe } from '../recipes';
import { PreflightReport } from './types';

export interface PreflightOptions extends RunHelperOptions {
  /** Rows shown token by token (the helper caps it at 20). */
  rows?: number;
  /** Rows measured for the length statistics. */
  sample?: number;
  /** The trl version whose labels rule applies, when trl is not installed in that Python. */
  trlVersion?: string;
  /** Where the script's relative DATASET / MODEL_ID start (default: the script's folder). */
  baseDir?: string;
}

/** Tokenizing every sampled row of a large set with a real tokenizer takes a while; loading it may download. */
const DEFAULT_TIMEOUT_MS = 10 * 60_000;

function helperArgs(opts: PreflightOptions): string[] {
  const args: string[] = [];
  if (opts.rows !== undefined) args.push('--rows', String(Math.max(1, Math.floor(opts.rows))));
  if (opts.sample !== undefined) args.push('--sample', String(Math.max(1, Math.floor(opts.sample))));
  if (opts.trlVersion) args.push('--trl-version', opts.trlVersion);
  if (opts.baseDir) args.push('--base-dir', opts.baseDir);
  return args;
}

function checked(value: unknown): PreflightReport {
  const r = value as Partial<PreflightReport> | null;
  if (!r || !Array.isArray(r.rows) || !Array.isArray(r.checks) || typeof r.lengths !== 'object' || r.lengths === null) {
    throw new PythonHelperError('bad-output', 'preflight.py printed JSON without rows, checks and lengths; reinstall the extension.');
  }
  return r as PreflightReport;
}

/** A generated recipe folder (holding train.py) or the train.py itself. */
export async function preflightRecipe(python: string, target: string, opts: PreflightOptions = {}): Promise<PreflightReport> {
  return checked(await runPythonHelper(python, 'preflight.py', [target, ...helperArgs(opts)], { timeoutMs: DEFAULT_TIMEOUT_MS, ...opts }));
}

/**
 * A recipe spec: its train.py is rendered here and handed to the helper on stdin, so nothing is
 * written; relative paths in the spec start from `opts.baseDir` (the workspace).
 */
export async function preflightSpec(python: string, spec: RecipeSpec, opts: PreflightOptions = {}): Promise<PreflightReport> {
  const train = renderRecipe(spec).files.find((f) => f.path === 'train.py');
  if (!train) throw new PythonHelperError('helper-error', `A ${String(spec.method)} spec has no training script to preview: preflight needs method sft, dpo, orpo or kto.`);
  return checked(await runPythonHelper(python, 'preflight.py', ['-', ...helperArgs(opts)], { timeoutMs: DEFAULT_TIMEOUT_MS, ...opts, input: train.content }));
}
