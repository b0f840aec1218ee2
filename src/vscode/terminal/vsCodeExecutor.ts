/**
 * The Executor the extension uses: node-pty (child_process when it cannot
 * load, with one warning), each process shown live in its own terminal.
 */
import * as vscode from 'vscode';
import { createLocalExecutor } from '../../core/exec/localExecutor';
import { StopOptions } from '../../core/exec/processBase';
import { Executor, Logger, ProcessSpec, RunningProcess } from '../../core/ports';
import { showRunTerminal } from './runTerminal';

export interface VsCodeExecutorOptions {
  logger?: Logger;
  stop?: Partial<StopOptions>;
  /** Show the terminal when a process starts (default true). */
  showTerminal?: boolean;
}

export class VsCodeExecutor implements Executor {
  private inner: Executor | undefined;

  constructor(private readonly options: VsCodeExecutorOptions = {}) {}

  private executor(): Executor {
    this.inner ??= createLocalExecutor({
      stop: this.options.stop,
      logger: this.options.logger,
      onWarning: (m) => void vscode.window.showWarningMessage(m),
    });
    return this.inner;
  }

  async start(spec: ProcessSpec): Promise<RunningProcess> {
    const proc = await this.executor().start(spec);
    // Created at once: the terminal subscribes before the first byte can arrive.
    showRunTerminal(proc, spec.name, { show: this.options.showTerminal !== false });
    return proc;
  }
}
