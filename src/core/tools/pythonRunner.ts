/**
 * Run a Python helper (python/*.py) with the user's interpreter: argv arrays
 * only (child_process.execFile, no shell), JSON in on stdin, JSON out on stdout.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export interface PythonRunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PythonRunOptions {
  cwd: string;
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type PythonRunner = (argv: string[], options: PythonRunOptions) => Promise<PythonRunResult>;

export const execFileRunner: PythonRunner = (argv, options) =>
  new Promise((resolve) => {
    const child = execFile(
      argv[0],
      argv.slice(1),
      {
        cwd: options.cwd,
        env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1', ...options.env },
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 32 * 1024 * 1024,
        signal: options.signal,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
        const why = err && typeof (err as NodeJS.ErrnoException).code === 'string' ? `${err.message}\n` : '';
        resolve({ code, stdout, stderr: why + stderr });
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });

/** The folder holding describe_tools.py / call_tool.py: next to dist/ when bundled, the repo's python/ in a checkout. */
export function pythonHelpersDir(): string {
  const candidates = [path.resolve(__dirname, '..', 'python'), path.resolve(__dirname, '..', '..', '..', 'python')];
  return candidates.find((d) => existsSync(path.join(d, 'describe_tools.py'))) ?? candidates[candidates.length - 1];
}
