/**
 * Is this path a Python 3 interpreter? Used before a path typed by the user is
 * saved as mlIntern.pythonPath: a wrong path would otherwise surface only when a
 * run starts. The interpreter is run (argv, no shell) and asked for its version.
 */
import { execFile } from 'node:child_process';

export type InterpreterCheck = { ok: true; version: string; executable: string } | { ok: false; message: string };

/** Oldest Python the helpers and the rendered scripts support. */
const MIN_MINOR = 9;
const PROBE = 'import sys; print(sys.version.split()[0]); print(sys.executable)';

/** `cwd`: where a relative path (.venv/bin/python) is resolved; runs start in the workspace folder. */
export function checkInterpreter(path: string, options: { cwd?: string; timeoutMs?: number } = {}): Promise<InterpreterCheck> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const program = path.trim();
  if (!program) return Promise.resolve({ ok: false, message: 'Type the path of a Python interpreter (for example /usr/bin/python3 or .venv/bin/python).' });
  return new Promise((resolve) => {
    execFile(program, ['-c', PROBE], { timeout: timeoutMs, windowsHide: true, cwd: options.cwd }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return resolve({ ok: false, message: `No program at '${program}'.` });
        if (code === 'EACCES') return resolve({ ok: false, message: `'${program}' cannot be run (not executable).` });
        if (err.killed) return resolve({ ok: false, message: `'${program}' did not answer within ${Math.round(timeoutMs / 1000)} s.` });
        const said = (stderr || stdout).trim().split('\n').pop() ?? '';
        return resolve({ ok: false, message: `'${program}' is not a working Python 3 interpreter${said ? `: ${said}` : ''}.` });
      }
      const [version = '', executable = program] = stdout.trim().split('\n').map((l) => l.trim());
      const m = /^(\d+)\.(\d+)/.exec(version);
      if (!m) return resolve({ ok: false, message: `'${program}' ran but did not answer like Python.` });
      if (Number(m[1]) !== 3 || Number(m[2]) < MIN_MINOR) return resolve({ ok: false, message: `'${program}' is Python ${version}; ML Intern needs Python 3.${MIN_MINOR} or newer.` });
      resolve({ ok: true, version, executable });
    });
  });
}
