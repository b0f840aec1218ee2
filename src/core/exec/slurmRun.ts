/**
 * A Slurm job seen as a DetachedRun, so the run terminal, watchRun and the
 * repair loop treat it like a local detached run:
 *
 *   follow()            tails the job's output file (--output)
 *   exit                resolves from the job's final state and ExitCode
 *   stop()/interrupt()  scancel
 *
 * Everything needed to find the job again after a window reload is in the run
 * folder: <runDir>/logs/slurm.json (job id, output file, sbatch script).
 * `submitSlurmJob` submits and writes it; `attachSlurmRun(runDir, backend)`
 * finds the job again from it.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PUMP_NAME, PUMP_PY } from './launcherScript';
import * as path from 'node:path';
import { DetachedExit, DetachedRun, logsDir } from './detached';
import { followFile, FollowerSet, FollowOptions } from './fileFollower';
import { isFinalState, JobStatus, SlurmBackend, SlurmError, SlurmState } from './slurm';

/** What logs/slurm.json holds. */
export interface SlurmJobRecord {
  jobId: string;
  /** Absolute path of the job's output file (stdout+stderr). */
  outputFile: string;
  /** Absolute path of the sbatch script that was submitted. */
  scriptPath: string;
  name: string;
  submittedAt: string;
}

/** How a Slurm job ended: the exit the repair loop reads, plus the job's final state and a sentence for the user. */
export interface SlurmExit extends DetachedExit {
  jobId: string;
  state: SlurmState;
  /** Why it ended, naming what to do (written to the end of the output file too). */
  message: string;
  /** The job was cancelled through this object (stop/interrupt), not from outside. */
  cancelledHere?: boolean;
}

export interface SlurmRunOptions {
  /** How often squeue/scontrol are asked (default 3 s: a cluster's controller is shared). */
  pollMs?: number;
  /** The job's time limit, named in the TIMEOUT message. */
  timeLimit?: string;
  /** Called when the job's state changes (PENDING → RUNNING …). */
  onState?: (status: JobStatus) => void;
}

export const SLURM_RECORD = 'slurm.json';

/** Exit code given to a cancelled job: what a shell reports after Ctrl+C. */
export const CANCELLED_EXIT_CODE = 130;
/** Exit code given to a job stopped at its time limit (what coreutils `timeout` reports). */
export const TIMEOUT_EXIT_CODE = 124;

/** The end of a job from its final state: code, and what to tell the user. */
export function slurmExit(jobId: string, s: JobStatus, o: { timeLimit?: string; cancelledHere?: boolean } = {}): SlurmExit {
  const base = { jobId, state: s.state };
  const own = s.exitCode ?? 0;
  const sig = s.signal ?? 0;
  switch (s.state) {
    case 'COMPLETED':
      return { ...base, code: own, message: `Slurm job ${jobId} completed (exit code ${own}).` };
    case 'FAILED': {
      // ExitCode=0:9 means killed by a signal: report it as a shell would (128 + signal).
      const code = own !== 0 ? own : sig > 0 ? 128 + sig : 1;
      return { ...base, code, message: `Slurm job ${jobId} failed (exit code ${code}).` };
    }
    case 'CANCELLED':
      return {
        ...base,
        code: CANCELLED_EXIT_CODE,
        ...(o.cancelledHere ? { cancelledHere: true } : {}),
        message: o.cancelledHere
          ? `Slurm job ${jobId} was cancelled (scancel ${jobId}) from ML Intern.`
          : `Slurm job ${jobId} was cancelled outside ML Intern (scancel by a user or the cluster's administrators). Run "ML Intern: Fine-tune" again to start over.`,
      };
    case 'TIMEOUT':
      return {
        ...base,
        code: TIMEOUT_EXIT_CODE,
        message: `Slurm job ${jobId} reached its time limit${o.timeLimit ? ` (${o.timeLimit})` : ''} and was stopped by Slurm. Raise mlIntern.slurm.timeLimit (up to the partition's MaxTime, see \`sinfo\`) or train for fewer steps, then run again.`,
      };
    case 'OUT_OF_MEMORY':
      return {
        ...base,
        code: 137,
        message: `Slurm job ${jobId} ran out of host memory (RAM, not GPU memory) and was killed. Ask for more with a "--mem=…" line in mlIntern.slurm.extraDirectives.`,
      };
    default:
      return {
        ...base,
        code: own !== 0 ? own : 1,
        message: `Slurm job ${jobId} ended ${s.state}${s.reason ? ` (${s.reason})` : ''}: the cluster stopped it, not the script. Run it again; if it keeps happening, ask the cluster's administrators.`,
      };
  }
}

/** Slurm ends that no change to the training script can fix (time limit, outside cancel, node failure). */
export function endsWithoutRepair(exit: SlurmExit): boolean {
  if (exit.state === 'COMPLETED' || exit.state === 'FAILED' || exit.state === 'OUT_OF_MEMORY') return false;
  return !(exit.state === 'CANCELLED' && exit.cancelledHere);
}

export function isSlurmExit(exit: DetachedExit): exit is SlurmExit {
  return typeof (exit as SlurmExit).jobId === 'string' && typeof (exit as SlurmExit).state === 'string';
}

export class SlurmRun implements DetachedRun {
  readonly detached = true as const;
  /** A Slurm job has no local process: 0 (the job id is `jobId`). */
  readonly pid = 0;
  readonly name: string;
  readonly logFile: string;
  readonly jobId: string;
  readonly exit: Promise<SlurmExit>;
  private resolveExit!: (e: SlurmExit) => void;
  private finished: SlurmExit | undefined;
  private readonly followers = new FollowerSet();
  private timer: NodeJS.Timeout | undefined;
  private lastState: SlurmState | undefined;
  private cancelling: Promise<SlurmExit> | undefined;
  private cancelledHere = false;
  private readonly pollMs: number;

  constructor(
    readonly runDir: string,
    readonly record: SlurmJobRecord,
    private readonly backend: SlurmBackend,
    private readonly options: SlurmRunOptions = {},
  ) {
    this.jobId = record.jobId;
    this.name = record.name;
    this.logFile = record.outputFile;
    this.pollMs = options.pollMs ?? 3000;
    this.exit = new Promise((r) => (this.resolveExit = r));
    void this.tick();
  }

  /** The job's state now (also what the poll saw last). */
  get state(): SlurmState | undefined {
    return this.finished?.state ?? this.lastState;
  }

  private schedule(): void {
    if (this.finished) return;
    this.timer = setTimeout(() => void this.tick(), this.pollMs);
    // The poll must not keep a CLI or a test process alive on its own.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.finished) return;
    let status: JobStatus;
    try {
      status = await this.backend.state(this.jobId);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (/invalid job id/i.test(message)) {
        // Purged from the controller (older than MinJobAge) or never there: its end cannot be known.
        this.end({ jobId: this.jobId, state: 'UNKNOWN', code: -1, message: `Slurm no longer knows job ${this.jobId}.`, lost: `Slurm no longer knows job ${this.jobId} (it ended too long ago for the controller to remember, or was purged); its exit code is unknown. See ${this.logFile}.` });
        return;
      }
      // The controller may be busy or restarting: ask again later; the job goes on meanwhile.
      this.schedule();
      return;
    }
    if (status.state !== this.lastState) {
      this.lastState = status.state;
      try {
        this.options.onState?.(status);
      } catch {
        // a listener's problem is not the job's
      }
    }
    if (!isFinalState(status.state)) return this.schedule();
    // Let a shared file system show the last bytes written before the end was recorded.
    await new Promise((r) => setTimeout(r, Math.min(this.pollMs, 500)));
    const exit = slurmExit(this.jobId, status, { timeLimit: this.options.timeLimit, cancelledHere: this.cancelledHere });
    if (status.state !== 'COMPLETED') this.note(exit.message);
    this.end(exit);
  }

  private note(text: string): void {
    // Only after the job ended (slurmstepd closed the file): nothing else writes it now.
    try {
      mkdirSync(path.dirname(this.logFile), { recursive: true });
      appendFileSync(this.logFile, `\nML Intern: ${text}\n`);
    } catch {
      // The run folder may be gone; the exit still says it.
    }
  }

  private end(exit: SlurmExit): void {
    if (this.finished) return;
    this.finished = exit;
    if (this.timer) clearTimeout(this.timer);
    // Followers read the last bytes before anyone hears of the end.
    this.followers.drainAndClose();
    this.resolveExit(exit);
  }

  follow(onData: (chunk: string) => void, options?: Pick<FollowOptions, 'from'>): () => void;
  follow(onData: (chunk: Buffer) => void, options: Pick<FollowOptions, 'from'> & { raw: true }): () => void;
  follow(onData: ((chunk: string) => void) | ((chunk: Buffer) => void), options: Pick<FollowOptions, 'from'> & { raw?: true } = {}): () => void {
    // The file appears when the job starts: the follower waits for it.
    const base = { from: options.from ?? 'start', pollMs: Math.min(this.pollMs, 500) };
    const f = options.raw
      ? followFile(this.logFile, onData as (chunk: Buffer) => void, { ...base, raw: true })
      : followFile(this.logFile, onData as (chunk: string) => void, base);
    return this.followers.add(f);
  }

  /** Ctrl+C in its terminal: a batch job has no terminal to interrupt, so it is cancelled. */
  interrupt(): void {
    void this.stop('interrupted from its terminal');
  }

  /** scancel, then wait for Slurm to report the job's end. */
  stop(_reason?: string): Promise<SlurmExit> {
    if (this.finished) return this.exit;
    this.cancelling ??= this.cancel();
    return this.cancelling;
  }

  private async cancel(): Promise<SlurmExit> {
    this.cancelledHere = true;
    try {
      await this.backend.cancel(this.jobId);
    } catch (err) {
      // Already ending on its own ("already completing") is fine: the poll sees the end.
      const state = await this.backend.state(this.jobId).catch(() => undefined);
      if (!state || !(isFinalState(state.state) || state.state === 'COMPLETING')) {
        const why = err instanceof SlurmError ? err.message : String(err);
        this.end({ jobId: this.jobId, state: state?.state ?? 'UNKNOWN', code: -1, message: why, lost: `Could not cancel Slurm job ${this.jobId}: ${why}. It may still be running: cancel it with \`scancel ${this.jobId}\`.` });
        return this.exit;
      }
    }
    // Poll now rather than at the next tick: the user is waiting.
    if (this.timer) {
      clearTimeout(this.timer);
      void this.tick();
    }
    return this.exit;
  }

  /**
   * Stop following. The state poll (unref'd, a few commands per interval) goes on
   * until the job ends: the same object is shared by the session and its terminal,
   * and closing the terminal must not leave the session without the job's end.
   */
  dispose(): void {
    this.followers.stopAll();
  }
}

export interface SubmitSpec {
  /** Absolute path of the sbatch script. */
  scriptPath: string;
  /** The run folder (absolute); logs/slurm.json goes there. */
  runDir: string;
  name: string;
  /** The script's --output, absolute, with %j for the job id. */
  outputPattern: string;
  /** Folder for slurm.json and the redaction pump (default: the run folder's logs/; an agent command's logs/cmd-N/). */
  records?: string;
}

/** Submit the script, write logs/slurm.json, and follow the job. */
export async function submitSlurmJob(backend: SlurmBackend, spec: SubmitSpec, options: SlurmRunOptions = {}): Promise<SlurmRun> {
  // Slurm does not create the output file's folder: without it the job's output is lost.
  mkdirSync(path.dirname(spec.outputPattern), { recursive: true });
  const records = spec.records ?? logsDir(spec.runDir);
  mkdirSync(records, { recursive: true });
  // The batch script may pipe its output through the redaction pump (renderSbatch's redactOutput).
  writeFileSync(path.join(records, PUMP_NAME), PUMP_PY);
  const jobId = await backend.submit(spec.scriptPath);
  const record: SlurmJobRecord = {
    jobId,
    outputFile: expandOutputPattern(spec.outputPattern, jobId),
    scriptPath: spec.scriptPath,
    name: spec.name,
    submittedAt: new Date().toISOString(),
  };
  writeFileSync(path.join(records, SLURM_RECORD), JSON.stringify(record, null, 2) + '\n');
  return new SlurmRun(spec.runDir, record, backend, options);
}

/** The output file of job `jobId` from an sbatch --output pattern (%j and %% are what the session writes). */
export function expandOutputPattern(pattern: string, jobId: string): string {
  return pattern.replace(/%(%|j|A)/g, (_m, c: string) => (c === '%' ? '%' : jobId));
}

/** The job recorded in `records` (default: the run folder's logs/). */
export function readSlurmRecord(runDir: string, records = logsDir(runDir)): SlurmJobRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(path.join(records, SLURM_RECORD), 'utf8')) as SlurmJobRecord;
    return typeof r.jobId === 'string' && typeof r.outputFile === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Find the run folder's last Slurm job again (window reload): a SlurmRun while
 * Slurm knows the job — also when it already ended, its exit then resolves at
 * the first poll and its output can be read to the end — `{lost}` when Slurm no
 * longer knows it, undefined when the folder holds no Slurm job.
 */
export async function attachSlurmRun(
  runDir: string,
  backend: SlurmBackend,
  options: SlurmRunOptions & { records?: string } = {},
): Promise<SlurmRun | { lost: string } | undefined> {
  const record = readSlurmRecord(runDir, options.records);
  if (!record) return undefined;
  try {
    await backend.state(record.jobId);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/invalid job id/i.test(message)) {
      return { lost: `Slurm no longer knows job ${record.jobId} of the run in ${runDir} (it ended too long ago for the controller to remember); its output is in ${record.outputFile}.` };
    }
    // The controller did not answer: follow the job anyway; the poll asks again.
  }
  return new SlurmRun(runDir, record, backend, options);
}

/** The backend for Slurm commands with this process's environment plus `extraEnv` (sbatch exports it to the job). */
export function slurmBackendFor(extraEnv: Record<string, string> = {}, options: { pollMs?: number } = {}): SlurmBackend {
  return new SlurmBackend({ env: { ...process.env, ...extraEnv }, ...(options.pollMs ? { pollMs: options.pollMs } : {}) });
}
