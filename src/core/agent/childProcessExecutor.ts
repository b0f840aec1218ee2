/**
 * A plain child_process Executor: output through pipes (stdout and stderr
 * merged), the process in its own group so stop() reaches its children.
 * The CLI and the tests use it where no pseudoterminal executor is available.
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { Executor, ProcessExit, ProcessSpec, RunningProcess } from '../ports';

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export class ChildProcessExecutor implements Executor {
  constructor(private readonly graceMs = 3_000) {}

  async start(spec: ProcessSpec): Promise<RunningProcess> {
    if (spec.argv.length === 0) throw new Error('Nothing to run: the command is empty.');
    const child = spawn(spec.argv[0], spec.argv.slice(1), {
      cwd: spec.cwd,
      env: { ...process.env, PYTHONUNBUFFERED: '1', ...spec.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    const listeners = new Set<(chunk: string) => void>();
    const deliver = (buf: Buffer) => {
      const text = buf.toString('utf8');
      if (spec.logFile) {
        try {
          appendFileSync(spec.logFile, text);
        } catch {
          // the log is a convenience; the stream still reaches the listeners
        }
      }
      for (const l of [...listeners]) l(text);
    };
    child.stdout?.on('data', deliver);
    child.stderr?.on('data', deliver);
    const exit = new Promise<ProcessExit>((resolve) => {
      child.on('error', (err) => {
        deliver(Buffer.from(`Cannot start ${spec.argv[0]}: ${err.message}\n`));
        resolve({ code: 127 });
      });
      child.on('close', (code, signal) => resolve(signal ? { code: 128 + (SIGNALS[signal] ?? 15), signal } : { code: code ?? 1 }));
    });
    let done = false;
    void exit.then(() => (done = true));
    const kill = (sig: NodeJS.Signals) => {
      if (done || child.pid === undefined) return;
      try {
        if (process.platform !== 'win32') process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        child.kill(sig);
      }
    };
    const wait = (ms: number) => Promise.race([exit.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
    return {
      pid: child.pid ?? -1,
      exit,
      onData(listener) {
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
      write(data) {
        child.stdin?.write(data);
      },
      stop: async () => {
        for (const sig of ['SIGINT', 'SIGTERM'] as const) {
          kill(sig);
          if (await wait(this.graceMs)) return exit;
        }
        kill('SIGKILL');
        return exit;
      },
    };
  }
}
