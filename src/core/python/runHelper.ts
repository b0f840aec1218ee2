/**
 * Runs a helper from python/ with the user's interpreter and parses its JSON output.
 * argv array, no shell: paths and ids are never interpreted by a shell.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HelperResults } from './types';

export interface RunHelperOptions {
  cwd?: string;
  /** Killed after this long (default 120 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Written to the helper's stdin (a script rendered in memory); without it stdin is empty. */
  input?: string;
}

export type HelperFailureKind = 'python-missing' | 'helper-error' | 'bad-output' | 'timeout' | 'aborted' | 'spawn-failed';

/** A helper that could not give a result; `message` says what to do. */
export class PythonHelperError extends Error {
  constructor(
    readonly kind: HelperFailureKind,
    message: string,
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'PythonHelperError';
  }
}

const MARKER = join('python', 'inspect_data.py');
let cachedDir: string | undefined;

/**
 * Find the python/ folder: walk up from this file (src/core/python under tsx, dist/ in the
 * bundles) until a folder holding python/inspect_data.py appears.
 */
export function pythonHelpersDir(start: string = __dirname): string {
  if (start === __dirname && cachedDir) return cachedDir;
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, MARKER))) {
      const found = join(dir, 'python');
      if (start === __dirname) cachedDir = found;
      return found;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new PythonHelperError('spawn-failed', `The ML Intern python/ helpers were not found above ${start}; reinstall the extension.`);
    dir = parent;
  }
}

/** The interpreter to use: an explicit choice, else ML_INTERN_PYTHON, else python3. */
export function defaultPython(env: NodeJS.ProcessEnv = process.env, explicit?: string): string {
  return explicit?.trim() || env.ML_INTERN_PYTHON?.trim() || 'python3';
}

export function runPythonHelper<S extends keyof HelperResults>(
  python: string,
  scriptName: S,
  args: string[],
  opts?: RunHelperOptions,
): Promise<HelperResults[S]>;
export function runPythonHelper(python: string, scriptName: string, args: string[], opts?: RunHelperOptions): Promise<unknown>;
export function runPythonHelper(python: string, scriptName: string, args: string[], opts: RunHelperOptions = {}): Promise<unknown> {
  const script = join(pythonHelpersDir(), scriptName);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new PythonHelperError('aborted', `${scriptName} was cancelled.`));
      return;
    }
    let stdout = '';
    let stderr = '';
    let settled = false;
    const child = spawn(python, [script, ...args], {
      cwd: opts.cwd,
      env: { ...(opts.env ?? process.env), PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1' },
      shell: false,
      windowsHide: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // stdin carries opts.input (a script rendered in memory) or is closed at once; a helper that
    // exits before reading all of it must not crash the host with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input);
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const timer = setTimeout(() => {
      child.kill();
      finish(() => reject(new PythonHelperError('timeout', `${scriptName} did not finish within ${Math.round(timeoutMs / 1000)} s.`, stderr)));
    }, timeoutMs);
    const onAbort = (): void => {
      child.kill();
      finish(() => reject(new PythonHelperError('aborted', `${scriptName} was cancelled.`, stderr)));
    };
    opts.signal?.addEventListener('abort', onAbort);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err: NodeJS.ErrnoException) => {
      finish(() => {
        if (err.code === 'ENOENT') {
          reject(new PythonHelperError('python-missing', `Python not found at '${python}'. Set mlIntern.pythonPath or select an interpreter.`));
        } else reject(new PythonHelperError('spawn-failed', `Could not start '${python}': ${err.message}`));
      });
    });
    child.on('close', (code) => {
      finish(() => {
        const parsed = parseLastJson(stdout);
        if (parsed === undefined) {
          const detail = lastLine(stderr) || lastLine(stdout) || `exit code ${code}`;
          reject(new PythonHelperError('bad-output', `${scriptName} did not print JSON (${detail}). Check that '${python}' is Python 3.9 or newer.`, stderr));
          return;
        }
        if (isErrorObject(parsed)) {
          reject(new PythonHelperError('helper-error', parsed.error, stderr));
          return;
        }
        resolve(parsed);
      });
    });
  });
}

function isErrorObject(v: unknown): v is { error: string } {
  return typeof v === 'object' && v !== null && typeof (v as { error?: unknown }).error === 'string';
}

/** The helpers print one JSON object; tolerate stray lines a sitecustomize or library may print first. */
function parseLastJson(stdout: string): unknown {
  const text = stdout.trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    const lines = text.split(/\r?\n/);
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i].trim();
      if (!line.startsWith('{')) continue;
      try {
        return JSON.parse(line);
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split(/\r?\n/);
  return lines[lines.length - 1]?.slice(0, 300) ?? '';
}
