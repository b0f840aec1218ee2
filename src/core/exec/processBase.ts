/**
 * What the pty and the child_process executors share: output listeners, the
 * tee to `spec.logFile`, the exit promise, and the stop sequence
 * (SIGINT → SIGTERM → SIGKILL to the process group, each after a grace period,
 * with a line in the output at each step).
 */
import { createWriteStream, mkdirSync, WriteStream } from 'node:fs';
import { constants } from 'node:os';
import * as path from 'node:path';
import { ProcessExit, ProcessSpec, RunningProcess } from '../ports';

export interface StopOptions {
  /** Wait after SIGINT before SIGTERM (default 5,000 ms). */
  interruptGraceMs: number;
  /** Wait after SIGTERM before SIGKILL (default 5,000 ms). */
  terminateGraceMs: number;
}

export const DEFAULT_STOP: StopOptions = { interruptGraceMs: 5000, terminateGraceMs: 5000 };

export function signalName(signal: number | undefined): string | undefined {
  if (!signal) return undefined;
  for (const [name, n] of Object.entries(constants.signals)) if (n === signal) return name;
  return `SIG${signal}`;
}

export function signalNumber(name: NodeJS.Signals): number {
  return constants.signals[name];
}

/** 128 + signal for a signal death, as shells report it. */
export function exitFrom(code: number | null | undefined, signal: number | string | null | undefined): ProcessExit {
  if (signal) {
    const n = typeof signal === 'number' ? signal : signalNumber(signal as NodeJS.Signals);
    const name = typeof signal === 'string' ? signal : signalName(signal);
    return { code: 128 + (n ?? 0), signal: name };
  }
  return { code: code ?? 0 };
}

/** The environment a run gets: ours, then the spec's; Python output unbuffered so logs are live. */
export function runEnv(extra: Record<string, string> | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env.PYTHONUNBUFFERED ??= '1';
  return { ...env, ...(extra ?? {}) };
}

/** Signal a whole process group (the child is a group/session leader); the pid alone if that fails. */
export function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

export abstract class ProcessBase implements RunningProcess {
  abstract readonly pid: number;
  readonly exit: Promise<ProcessExit>;
  private resolveExit!: (e: ProcessExit) => void;
  private readonly listeners = new Set<(chunk: string) => void>();
  private log: WriteStream | undefined;
  private exited: ProcessExit | undefined;
  private stopping: Promise<ProcessExit> | undefined;

  constructor(
    protected readonly spec: ProcessSpec,
    protected readonly stopOptions: StopOptions,
  ) {
    this.exit = new Promise((r) => (this.resolveExit = r));
    if (spec.logFile) {
      mkdirSync(path.dirname(spec.logFile), { recursive: true });
      this.log = createWriteStream(spec.logFile, { flags: 'a' });
      this.log.on('error', () => (this.log = undefined)); // a full disk must not kill the run
    }
  }

  onData(listener: (chunk: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  abstract write(data: string): void;

  /** Output of the process (or one of our notes) to every listener and the log file. */
  protected emitData(chunk: string): void {
    if (chunk.length === 0) return;
    this.log?.write(chunk);
    for (const l of [...this.listeners]) {
      try {
        l(chunk);
      } catch {
        // One broken listener must not starve the others or the log.
      }
    }
  }

  /** A line from ML Intern itself, visible in the output and the log. */
  protected note(text: string): void {
    this.emitData(`\r\nML Intern: ${text}\r\n`);
  }

  protected finish(exit: ProcessExit): void {
    if (this.exited) return;
    this.exited = exit;
    const log = this.log;
    this.log = undefined;
    if (log) log.end(() => this.resolveExit(exit));
    else this.resolveExit(exit);
  }

  get hasExited(): boolean {
    return this.exited !== undefined;
  }

  protected sendSignal(signal: NodeJS.Signals): boolean {
    return killGroup(this.pid, signal);
  }

  stop(reason?: string): Promise<ProcessExit> {
    if (this.exited) return this.exit;
    this.stopping ??= this.stopSequence(reason);
    return this.stopping;
  }

  private async stopSequence(reason?: string): Promise<ProcessExit> {
    const why = reason ? ` (${reason})` : '';
    const { interruptGraceMs: a, terminateGraceMs: b } = this.stopOptions;
    const steps: Array<[NodeJS.Signals, number, string]> = [
      ['SIGINT', a, `sent SIGINT to process group ${this.pid}${why}; waiting ${fmt(a)} before SIGTERM.`],
      ['SIGTERM', b, `still running: sent SIGTERM to process group ${this.pid}; waiting ${fmt(b)} before SIGKILL.`],
      ['SIGKILL', 0, `still running: sent SIGKILL to process group ${this.pid}.`],
    ];
    for (const [signal, grace, message] of steps) {
      if (this.exited) break;
      this.note(message);
      this.sendSignal(signal);
      if (signal === 'SIGKILL') break;
      if (await raceTimeout(this.exit, grace)) break;
    }
    return this.exit;
  }
}

function fmt(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** True when `p` settled within `ms`. */
export function raceTimeout(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then(
      () => {
        clearTimeout(t);
        resolve(true);
      },
      () => {
        clearTimeout(t);
        resolve(true);
      },
    );
  });
}
