/**
 * The life of one session's run, shared by the fine-tune and the evaluate/merge/push sessions:
 * what it tells the panel and the run folder (emit, record, setState, say), the process it follows
 * (Stop reaches it; a failure keeps following it instead of leaving it unwatched), and how an
 * unexpected error ends the session. The sessions keep only their orchestration.
 */
import { AgentEvent, RunState } from '../events';
import { EventSink, Logger } from '../ports';
import { DetachedRun } from '../exec/detached';
import { RunResult } from '../recovery/repairLoop';
import { RunHandle } from '../runs/runStore';
import { TranscriptEntry } from '../runs/types';
import { diskFullMessage } from '../util/diskErrors';
import { followAfterFailure } from './followAfterFailure';
import { SessionOutcome } from './outcome';
import { SessionEndError } from './slurmJobs';
import { watchRun, WatchOptions } from './watch';

/** How a process is followed: its panel card, the log pipeline's options, and how a failure message names it. */
export interface WatchSpec extends Omit<WatchOptions, 'runId' | 'handle' | 'events'> {
  /** "Training (attempt 1, pid 4242)" and where its whole log is; asked when the failure happens. */
  describe(run: DetachedRun): { what: string; log: string };
}

export interface RunContextDeps {
  events: EventSink;
  logger?: Logger;
}

export class RunContext {
  readonly abort = new AbortController();
  /** The process started (or re-attached to) and not seen to end yet, with how it is followed. */
  private current: { run: DetachedRun; spec: WatchSpec } | undefined;
  /** GRPO warnings given for this run: a repaired attempt that still cannot learn is not warned about twice. */
  private readonly grpoWarned = new Set<string>();

  constructor(
    readonly handle: RunHandle,
    private readonly deps: RunContextDeps,
  ) {}

  get runId(): string {
    return this.handle.id;
  }

  /** The user pressed Stop. */
  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  emit(event: AgentEvent): void {
    this.deps.events.emit(event);
  }

  record(entry: TranscriptEntry): Promise<void> {
    return this.handle.appendTranscript(entry);
  }

  async setState(state: RunState, message: string, question?: string): Promise<void> {
    this.emit({ type: 'run_state', runId: this.runId, state, message });
    await this.handle.updateStatus({ state, lastMessage: message, question });
    await this.record({ kind: 'state', state, message, ...(question ? { question } : {}) });
  }

  async say(text: string): Promise<void> {
    this.emit({ type: 'assistant_message', runId: this.runId, text });
    await this.record({ kind: 'message', message: { role: 'assistant', content: text } });
  }

  /** The panel opens the run's card (its title from status.json). */
  async announce(): Promise<void> {
    this.emit({ type: 'run_started', runId: this.runId, title: (await this.handle.readStatus()).title, folder: this.handle.folder });
  }

  /** A process this session follows from now on (a re-attached one): Stop reaches it, a failure keeps following it. */
  follow(run: DetachedRun, spec: WatchSpec): void {
    this.current = { run, spec };
  }

  /**
   * A process was just started: from here on Stop reaches it and a failure keeps following it,
   * even before its first status.json and transcript lines are written (they may fail).
   */
  started(run: DetachedRun, spec: WatchSpec): void {
    this.follow(run, spec);
    // Stopped while it was starting: it must not go on without anyone watching it.
    if (this.stopped) void run.stop('stopped by the user');
  }

  /** Follow a process to its end (output, progress, metrics to the panel and metrics.jsonl). */
  async watch(run: DetachedRun, spec: WatchSpec): Promise<RunResult> {
    this.follow(run, spec);
    const { describe: _describe, ...options } = spec;
    try {
      return await watchRun(run, { ...options, runId: this.runId, handle: this.handle, events: this.deps.events, grpoWarned: this.grpoWarned });
    } finally {
      this.current = undefined;
      run.dispose();
    }
  }

  /** Stop button / "ML Intern: Stop Run": SIGINT → SIGTERM → SIGKILL to the process group (scancel for a job). */
  async stop(): Promise<void> {
    this.abort.abort(new Error('stopped by the user'));
    const run = this.current?.run;
    if (run) await run.stop('stopped by the user');
  }

  /**
   * A session that cannot go on: its state says why (a Slurm time limit, an outside cancel, an
   * error; a full disk with what to free and `resume`, how to go on after). A process still
   * running is followed to its end first.
   */
  async fail(err: unknown, resume: string): Promise<SessionOutcome> {
    const raw = err instanceof Error ? err.message : String(err);
    this.deps.logger?.error(`Run ${this.runId}: ${raw}`);
    const message = diskFullMessage(err, { what: `the run folder ${this.handle.folder}`, resume }) ?? raw;
    const state = err instanceof SessionEndError ? err.state : 'failed';
    const live = this.current;
    if (!live) {
      await this.setState(state, message).catch(() => undefined);
      return { kind: state, summary: message };
    }
    const { what, log } = live.spec.describe(live.run);
    const closing = await followAfterFailure({
      run: live.run,
      failure: message,
      what,
      log,
      tell: async (text) => {
        this.emit({ type: 'notice', runId: this.runId, level: 'error', message: text });
        await this.setState('running', text);
      },
      watch: (r) => this.watch(r, live.spec),
      stopped: () => this.stopped,
    });
    const end = this.stopped ? 'stopped' : state;
    await this.setState(end, closing).catch(() => undefined);
    return { kind: end, summary: closing };
  }
}
