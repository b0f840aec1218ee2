/**
 * The fallback Executor over child_process, for when node-pty cannot load:
 * stdout and stderr merged in arrival order, the child in its own process
 * group (detached) so the stop sequence reaches its workers too. No terminal,
 * so Ctrl+C typed by the user becomes SIGINT to the group.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { Executor, ProcessSpec, RunningProcess } from '../ports';
import { DEFAULT_STOP, exitFrom, killGroup, ProcessBase, runEnv, StopOptions } from './processBase';

class ChildRun extends ProcessBase {
  readonly pid: number;
  private readonly child: ChildProcess;

  constructor(spec: ProcessSpec, stop: StopOptions) {
    super(spec, stop);
    if (spec.argv.length === 0) throw new Error('Nothing to run: the command is empty.');
    this.child = spawn(spec.argv[0], spec.argv.slice(1), {
      cwd: spec.cwd,
      env: runEnv(spec.env),
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid ?? -1;
    this.child.stdout?.setEncoding('utf8');
    this.child.stderr?.setEncoding('utf8');
    this.child.stdout?.on('data', (d: string) => this.emitData(d));
    this.child.stderr?.on('data', (d: string) => this.emitData(d));
    this.child.stdin?.on('error', () => undefined); // writing to a process that has exited
    this.child.on('error', (err: NodeJS.ErrnoException) => {
      this.note(`could not start '${spec.argv[0]}': ${err.code === 'ENOENT' ? 'no such program (check the path and the Python interpreter setting mlIntern.pythonPath)' : err.message}`);
      this.finish({ code: err.code === 'ENOENT' ? 127 : 126 });
    });
    this.child.on('close', (code, signal) => this.finish(exitFrom(code, signal)));
  }

  write(data: string): void {
    if (this.hasExited) return;
    // No terminal to turn Ctrl+C into a signal: do it here.
    if (data.includes('\x03')) {
      killGroup(this.pid, 'SIGINT');
      data = data.split('\x03').join('');
    }
    if (data) this.child.stdin?.write(data);
  }
}

export class ChildProcessExecutor implements Executor {
  private readonly stop: StopOptions;

  constructor(options: { stop?: Partial<StopOptions> } = {}) {
    this.stop = { ...DEFAULT_STOP, ...options.stop };
  }

  async start(spec: ProcessSpec): Promise<RunningProcess> {
    return new ChildRun(spec, this.stop);
  }
}
