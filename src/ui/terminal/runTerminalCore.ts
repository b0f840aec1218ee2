/**
 * What a run's terminal does, without VS Code (so it is unit-tested with real
 * processes): shows a RunningProcess (our pty) or a DetachedRun (its log file)
 * live, sends typed input to the process — Ctrl+C on a detached run, which has
 * no terminal of its own, becomes SIGINT to its process group —, follows the
 * terminal's size, and prints a last line with the exit code. Closing it stops
 * an attached process but never a detached training run.
 */
import { statSync } from 'node:fs';
import { DetachedExit, DetachedRun } from '../../core/exec/detached';
import { ProcessExit, RunningProcess } from '../../core/ports';
import { NewlineTranslator } from './newlines';

export type TerminalRun = RunningProcess | DetachedRun;

export interface TerminalHooks {
  /** Text for the terminal (already \r\n). */
  write(text: string): void;
  /** A notification for the user (not in the terminal). */
  notify(message: string): void;
}

export interface RunTerminalOptions {
  /** Bytes of an existing log shown when a detached run's terminal opens (default 256 KiB). */
  replayBytes?: number;
  /** Stop an attached (non-detached) process when its terminal is closed (default true). */
  stopOnClose?: boolean;
}

export function isDetached(run: TerminalRun): run is DetachedRun {
  return (run as DetachedRun).detached === true;
}

const BUFFER_LIMIT = 4 * 1024 * 1024;

export class RunTerminalCore {
  private readonly nl = new NewlineTranslator();
  private opened = false;
  private closed = false;
  private pending: string[] = [];
  private pendingChars = 0;
  private unsubscribe: (() => void) | undefined;
  private ended: ProcessExit | DetachedExit | undefined;
  private hintShown = false;

  constructor(
    readonly run: TerminalRun,
    readonly name: string,
    private readonly hooks: TerminalHooks,
    private readonly options: RunTerminalOptions = {},
  ) {
    // An attached process is subscribed at once: nothing it prints before the terminal opens is lost.
    if (!isDetached(run)) this.unsubscribe = run.onData((d) => this.show(d));
    void run.exit.then((e) => this.onExit(e));
  }

  open(cols?: number, rows?: number): void {
    if (this.opened) return;
    this.opened = true;
    if (isDetached(this.run)) {
      let from = 0;
      try {
        from = Math.max(0, statSync(this.run.logFile).size - (this.options.replayBytes ?? 256 * 1024));
      } catch {
        from = 0;
      }
      if (from > 0) this.hooks.write(`\x1b[2m[ML Intern: showing the end of ${this.run.logFile}]\x1b[0m\r\n`);
      this.unsubscribe = this.run.follow((d) => this.show(d), { from });
    }
    for (const p of this.pending) this.hooks.write(p);
    this.pending = [];
    this.pendingChars = 0;
    if (cols && rows) this.resize(cols, rows);
    if (this.ended) this.writeFinal(this.ended);
  }

  private show(data: string): void {
    if (this.closed) return;
    const text = this.nl.push(data);
    if (this.opened) {
      this.hooks.write(text);
      return;
    }
    this.pending.push(text);
    this.pendingChars += text.length;
    while (this.pendingChars > BUFFER_LIMIT && this.pending.length > 1) this.pendingChars -= this.pending.shift()!.length;
  }

  private onExit(exit: ProcessExit | DetachedExit): void {
    this.ended = exit;
    if (this.opened && !this.closed) {
      // Let the last output (read by the follower before exit resolves) go first.
      setTimeout(() => this.writeFinal(exit), 0);
    }
  }

  private finalWritten = false;

  private writeFinal(exit: ProcessExit | DetachedExit): void {
    if (this.finalWritten || this.closed) return;
    this.finalWritten = true;
    const lost = (exit as DetachedExit).lost;
    const line = lost
      ? `ML Intern: ${this.name} — exit code unknown: ${lost}`
      : `ML Intern: ${this.name} exited with code ${exit.code}${exit.signal ? ` (${exit.signal})` : ''}`;
    const colour = !lost && exit.code === 0 ? '32' : '31';
    this.hooks.write(`\r\n\x1b[1;${colour}m${line}\x1b[0m\r\n`);
  }

  input(data: string): void {
    if (this.ended) return;
    const run = this.run;
    if (!isDetached(run)) {
      run.write(data);
      return;
    }
    if (data.includes('\x03')) {
      this.hooks.write('\r\n\x1b[33mML Intern: Ctrl+C → SIGINT to the run\x1b[0m\r\n');
      run.interrupt();
    } else if (!this.hintShown) {
      this.hintShown = true;
      this.hooks.write('\r\n\x1b[2m[ML Intern: this run is detached; typed input is not sent to it. Ctrl+C interrupts it.]\x1b[0m\r\n');
    }
  }

  resize(cols: number, rows: number): void {
    const r = this.run as { resize?: (c: number, r: number) => void };
    if (typeof r.resize === 'function') r.resize(cols, rows);
  }

  /** The user closed the terminal. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    const run = this.run;
    if (this.ended) return;
    if (isDetached(run)) {
      run.dispose();
      this.hooks.notify(`ML Intern: "${this.name}" keeps running in the background; closing its terminal does not stop it. Use ML Intern: Show Runs to see it again, or ML Intern: Stop Run to stop it.`);
    } else if (this.options.stopOnClose !== false) {
      this.hooks.notify(`ML Intern: stopping "${this.name}" because its terminal was closed.`);
      void run.stop('its terminal was closed');
    }
  }
}
