/**
 * An Executor over node-pty: the run gets a real terminal (colours, tqdm bars),
 * every byte is captured, the exit code is always known (128 + signal for a
 * signal death). node-pty makes the child a session leader, so the stop
 * sequence signals the whole group (kill(-pid)): dataloader workers included.
 *
 * node-pty is a native module, loaded lazily: when it cannot load, use
 * `createLocalExecutor`, which falls back to child_process with a warning.
 */
import type * as NodePty from 'node-pty';
import { accessSync, constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { Executor, ProcessSpec, RunningProcess } from '../ports';
import { DEFAULT_STOP, exitFrom, ProcessBase, runEnv, StopOptions } from './processBase';

export type NodePtyModule = typeof NodePty;

export interface PtyExecutorOptions {
  stop?: Partial<StopOptions>;
  cols?: number;
  rows?: number;
}

let cached: { module?: NodePtyModule; error?: string } | undefined;

/** node-pty, or the reason it cannot load. */
export function loadNodePty(): { module?: NodePtyModule; error?: string } {
  if (!cached) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      cached = { module: require('node-pty') as NodePtyModule };
    } catch (err) {
      cached = { error: err instanceof Error ? err.message.split('\n')[0] : String(err) };
    }
  }
  return cached;
}

/** A process running in a pty. `resize` follows the terminal showing it. */
export interface PtyProcess extends RunningProcess {
  resize(cols: number, rows: number): void;
}

/** After the exit notice: output quiet this long means it all arrived; never wait longer than the max. */
const QUIET_MS = 100;
const MAX_SETTLE_MS = 3000;

class PtyRun extends ProcessBase implements PtyProcess {
  readonly pid: number;
  private readonly pty: NodePty.IPty;

  constructor(mod: NodePtyModule, spec: ProcessSpec, stop: StopOptions, cols: number, rows: number) {
    super(spec, stop);
    if (spec.argv.length === 0) throw new Error('Nothing to run: the command is empty.');
    const env = runEnv(spec.env);
    env.TERM ??= 'xterm-256color';
    if (!findProgram(spec.argv[0], spec.cwd, env.PATH)) {
      // node-pty would say "execvp(3) failed" and exit 1; say what to do and exit 127 like a shell.
      throw new ProgramNotFoundError(spec.argv[0]);
    }
    this.pty = mod.spawn(spec.argv[0], spec.argv.slice(1), { name: env.TERM, cols, rows, cwd: spec.cwd, env });
    this.pid = this.pty.pid;
    let lastData = Date.now();
    this.pty.onData((d) => {
      lastData = Date.now();
      this.emitData(d);
    });
    this.pty.onExit(({ exitCode, signal }) => {
      // The last output can trail the exit notice, by more than a tick on a busy machine (a lost
      // traceback tail was seen in CI): finish once the output has been quiet for a moment.
      const exitedAt = Date.now();
      const settle = () => {
        const now = Date.now();
        if (now - lastData >= QUIET_MS || now - exitedAt >= MAX_SETTLE_MS) this.finish(exitFrom(exitCode, signal));
        else setTimeout(settle, QUIET_MS / 4);
      };
      setTimeout(settle, 20);
    });
  }

  write(data: string): void {
    if (!this.hasExited) this.pty.write(data);
  }

  resize(cols: number, rows: number): void {
    if (this.hasExited || cols < 1 || rows < 1) return;
    try {
      this.pty.resize(cols, rows);
    } catch {
      // The pty may have closed between the check and the call.
    }
  }
}

export class ProgramNotFoundError extends Error {
  constructor(readonly program: string) {
    super(`Cannot run '${program}': no such program. Check the path, or the Python interpreter (setting mlIntern.pythonPath).`);
    this.name = 'ProgramNotFoundError';
  }
}

/** Whether `program` resolves to an executable file (a path, or a name on PATH). */
export function findProgram(program: string, cwd: string, pathVar: string | undefined): string | undefined {
  const candidates = program.includes('/')
    ? [path.resolve(cwd, program)]
    : (pathVar ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, program));
  for (const c of candidates) {
    try {
      accessSync(c, fsConstants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

export class PtyExecutor implements Executor {
  private readonly stop: StopOptions;

  constructor(
    private readonly mod: NodePtyModule,
    private readonly options: PtyExecutorOptions = {},
  ) {
    this.stop = { ...DEFAULT_STOP, ...options.stop };
  }

  async start(spec: ProcessSpec): Promise<PtyProcess> {
    return new PtyRun(this.mod, spec, this.stop, this.options.cols ?? 120, this.options.rows ?? 30);
  }
}
