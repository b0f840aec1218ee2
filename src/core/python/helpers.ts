/** Typed entry points for the three helpers (argument building lives here, not in callers). */
import { runPythonHelper, RunHelperOptions } from './runHelper';
import { DatasetInspection, EnvReport, ValidationReport } from './types';

export function inspectData(python: string, pathOrHubId: string, opts: RunHelperOptions & { maxLength?: number; sample?: number } = {}): Promise<DatasetInspection> {
  const args = [pathOrHubId];
  if (opts.maxLength !== undefined) args.push('--max-length', String(Math.floor(opts.maxLength)));
  if (opts.sample !== undefined) args.push('--sample', String(Math.floor(opts.sample)));
  // A multi-GB JSONL is streamed at roughly 15 MB/s: allow long reads unless the caller says otherwise.
  return runPythonHelper(python, 'inspect_data.py', args, { timeoutMs: 30 * 60_000, ...opts });
}

export function envReport(python: string, opts: RunHelperOptions & { outputDir?: string } = {}): Promise<EnvReport> {
  return runPythonHelper(python, 'env_report.py', opts.outputDir ? ['--output-dir', opts.outputDir] : [], opts);
}

export function validateScript(python: string, file: string, opts: RunHelperOptions = {}): Promise<ValidationReport> {
  return runPythonHelper(python, 'validate_script.py', [file, '--json'], opts);
}
