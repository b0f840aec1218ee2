/**
 * The panel's data model: AgentEvents folded into a timeline of entries plus
 * the run header (title, state, plan, usage). Pure (no DOM), so a replayed
 * event log rebuilds exactly what the live events built.
 *
 * Every entry carries `rev`, bumped on each change, so the view re-renders
 * only what moved.
 */
import type { AgentEvent, BudgetState, GrpoSample, PlanItem, ProgressInfo, RunState, UsageTotals } from '../src/core/events';
import type { SmokeReport } from '../src/core/session/smokeRun';
import type { PreflightReport } from '../src/core/preflight/types';
import { ChartData } from './chartData';
import { LatestFigures } from './figures';

export const OUTPUT_TAIL_LINES = 40;

interface Base {
  id: string;
  rev: number;
}

export interface RecoveryAttempt {
  attempt: number;
  category: string;
  summary: string;
  fix: string;
  outcome: 'pending' | 'fixed' | 'failed' | 'stopped';
  retryProcessId?: string;
}

export type Entry = Base &
  (
    | { kind: 'user'; text: string }
    | { kind: 'assistant'; text: string; streaming: boolean }
    | { kind: 'ask'; text: string }
    | { kind: 'tool'; callId: string; name: string; args: unknown; status: 'running' | 'ok' | 'failed'; summary?: string; data?: unknown }
    | {
        kind: 'change';
        changeId: string;
        path: string;
        description: string;
        origin: string;
        added: number;
        removed: number;
        decision?: 'accepted' | 'rejected';
        auto?: boolean;
        reason?: string;
        /** Accepted in part or edited: the lines the written file adds and removes. */
        written?: { added: number; removed: number };
        /** A file that does not exist yet: its review is the proposal alone, not a diff. */
        isNew?: boolean;
      }
    | {
        kind: 'process';
        processId: string;
        name: string;
        argv: string[];
        /** Where it runs when confined ("bubblewrap, network off"); absent: unconfined on the machine. */
        sandbox?: string;
        exitCode?: number;
        progress?: ProgressInfo;
        gpuMemoryMiB?: number;
        output: string[];
        chart: ChartData;
        figures: LatestFigures;
      }
    | { kind: 'recovery'; attempts: RecoveryAttempt[] }
    | { kind: 'eval'; rows: Array<{ task: string; base?: number; trained?: number }>; model?: string }
    /** The model a fine-tune saved, with what to do next. */
    | { kind: 'model'; folder: string }
    | { kind: 'smoke'; report: SmokeReport }
    /** GRPO: the newest logging step's sampled completions with their rewards (one card, updated in place). */
    | { kind: 'samples'; step: number; samples: GrpoSample[] }
    | { kind: 'preview'; report: PreflightReport }
    | { kind: 'notice'; level: 'info' | 'warning' | 'error'; message: string }
  );

export type EntryOf<K extends Entry['kind']> = Extract<Entry, { kind: K }>;

export const TERMINAL_STATES: ReadonlySet<RunState> = new Set(['succeeded', 'failed', 'stopped', 'budget', 'lost']);

export class ChatModel {
  runId: string | null = null;
  title = '';
  folder = '';
  state: RunState | undefined;
  stateMessage: string | undefined;
  plan: PlanItem[] = [];
  usage: { totals: UsageTotals; budget: BudgetState } | undefined;
  entries: Entry[] = [];
  /** Bumped when the header (title, state, plan, usage) changes. */
  headerRev = 0;
  private byId = new Map<string, Entry>();
  private seq = 0;
  private recovery: EntryOf<'recovery'> | undefined;

  constructor(private readonly chartCapacity = 1000) {}

  reset(runId: string | null = null): void {
    this.runId = runId;
    this.title = '';
    this.folder = '';
    this.state = undefined;
    this.stateMessage = undefined;
    this.plan = [];
    this.usage = undefined;
    this.entries = [];
    this.byId.clear();
    this.recovery = undefined;
    this.headerRev++;
  }

  get(id: string): Entry | undefined {
    return this.byId.get(id);
  }

  /** The run is live: show Stop. */
  get active(): boolean {
    return this.state !== undefined && !TERMINAL_STATES.has(this.state);
  }

  /** Changes proposed and not yet accepted or rejected: a live run is then waiting for the user's review. */
  get pendingChanges(): number {
    return this.entries.filter((e) => e.kind === 'change' && !e.decision).length;
  }

  apply(e: AgentEvent): void {
    if (e.type !== 'notice' && this.runId === null) this.runId = e.runId;
    switch (e.type) {
      case 'run_started':
        this.runId = e.runId;
        this.title = e.title;
        this.folder = e.folder;
        this.state = this.state ?? 'starting';
        this.headerRev++;
        return;
      case 'user_message':
        this.add({ kind: 'user', text: e.text });
        return;
      case 'assistant_delta': {
        const last = this.entries[this.entries.length - 1];
        if (last && last.kind === 'assistant' && last.streaming) {
          last.text += e.text;
          last.rev++;
        } else this.add({ kind: 'assistant', text: e.text, streaming: true });
        return;
      }
      case 'assistant_message': {
        const last = this.entries[this.entries.length - 1];
        if (last && last.kind === 'assistant' && last.streaming) {
          last.text = e.text;
          last.streaming = false;
          last.rev++;
        } else this.add({ kind: 'assistant', text: e.text, streaming: false });
        return;
      }
      case 'ask_user':
        this.endStreaming();
        this.add({ kind: 'ask', text: e.question });
        return;
      case 'tool_call':
        this.endStreaming();
        this.upsert(`tool:${e.callId}`, () => ({ kind: 'tool', callId: e.callId, name: e.name, args: e.args, status: 'running' }));
        return;
      case 'tool_result': {
        const t = this.upsert(`tool:${e.callId}`, () => ({ kind: 'tool', callId: e.callId, name: e.name, args: undefined, status: 'running' })) as EntryOf<'tool'>;
        t.status = e.ok ? 'ok' : 'failed';
        t.summary = e.summary;
        t.data = e.data;
        t.rev++;
        return;
      }
      case 'plan':
        this.plan = e.items.map((i) => ({ text: String(i.text), status: i.status }));
        this.headerRev++;
        return;
      case 'change_proposed': {
        const c = this.upsert(`change:${e.changeId}`, () => ({
          kind: 'change',
          changeId: e.changeId,
          path: e.path,
          description: e.description,
          origin: e.origin,
          added: e.added,
          removed: e.removed,
        })) as EntryOf<'change'>;
        Object.assign(c, { path: e.path, description: e.description, origin: e.origin, added: e.added, removed: e.removed, isNew: e.isNew === true });
        c.rev++;
        this.headerRev++; // the header says the run waits for a review
        return;
      }
      case 'change_decided': {
        const c = this.upsert(`change:${e.changeId}`, () => ({ kind: 'change', changeId: e.changeId, path: e.path, description: '', origin: '', added: 0, removed: 0 })) as EntryOf<'change'>;
        c.decision = e.decision;
        c.auto = e.auto;
        c.reason = e.reason;
        c.written = e.written;
        c.rev++;
        this.headerRev++;
        return;
      }
      case 'process_started': {
        const p = this.proc(e.processId, e.name);
        p.name = e.name;
        p.argv = e.argv;
        p.sandbox = e.sandbox;
        p.rev++;
        const pending = this.recovery?.attempts.find((a) => a.outcome === 'pending' && !a.retryProcessId);
        if (pending) pending.retryProcessId = e.processId;
        return;
      }
      case 'process_output': {
        const p = this.proc(e.processId);
        appendTail(p.output, e.text, OUTPUT_TAIL_LINES);
        p.rev++;
        return;
      }
      case 'process_exited': {
        const p = this.proc(e.processId);
        p.exitCode = e.code;
        p.rev++;
        const a = this.recovery?.attempts.find((x) => x.retryProcessId === e.processId && x.outcome === 'pending');
        if (a && this.recovery) {
          a.outcome = e.code === 0 ? 'fixed' : 'failed';
          this.recovery.rev++;
        }
        return;
      }
      case 'progress': {
        const p = this.proc(e.processId);
        p.progress = { ...e.progress };
        if (typeof e.progress.gpuMemoryMiB === 'number') p.gpuMemoryMiB = e.progress.gpuMemoryMiB;
        p.rev++;
        return;
      }
      case 'metrics': {
        const p = this.proc(e.processId);
        const charted = p.chart.push(e.points);
        if (p.figures.push(e.points) || charted) p.rev++;
        return;
      }
      case 'grpo_samples': {
        const card = this.upsert('grpo-samples', () => ({ kind: 'samples', step: e.step, samples: e.samples })) as EntryOf<'samples'>;
        card.step = e.step;
        card.samples = e.samples;
        card.rev++;
        return;
      }
      case 'diagnosis': {
        if (!this.recovery) {
          this.recovery = this.add({ kind: 'recovery', attempts: [] }) as EntryOf<'recovery'>;
        }
        for (const a of this.recovery.attempts) if (a.outcome === 'pending') a.outcome = 'failed';
        this.recovery.attempts.push({ attempt: e.attempt, category: e.category, summary: e.summary, fix: e.fix, outcome: 'pending' });
        this.recovery.rev++;
        return;
      }
      case 'preflight_result':
        this.add({ kind: 'preview', report: e.report });
        return;
      case 'smoke_result':
        this.add({ kind: 'smoke', report: e.report });
        return;
      case 'eval_results':
        this.add({ kind: 'eval', rows: e.rows.map((r) => ({ task: String(r.task), base: r.base, trained: r.trained })), ...(typeof e.model === 'string' && e.model ? { model: e.model } : {}) });
        return;
      case 'model_ready':
        this.add({ kind: 'model', folder: String(e.folder) });
        return;
      case 'usage':
        this.usage = { totals: e.totals, budget: e.budget };
        this.headerRev++;
        return;
      case 'run_state':
        this.state = e.state;
        this.stateMessage = e.message;
        this.headerRev++;
        if (TERMINAL_STATES.has(e.state)) {
          this.endStreaming();
          if (this.recovery) {
            for (const a of this.recovery.attempts) if (a.outcome === 'pending') a.outcome = e.state === 'succeeded' ? 'fixed' : e.state === 'stopped' ? 'stopped' : 'failed';
            this.recovery.rev++;
          }
          // A session ends by saying its summary and then setting the state with the summary's first line:
          // the panel says it once (the header shows the state), not as a message and again as a notice.
          if (e.message && !this.justSaid(e.message)) this.add({ kind: 'notice', level: e.state === 'succeeded' ? 'info' : e.state === 'stopped' ? 'warning' : 'error', message: e.message });
        }
        return;
      case 'notice':
        this.add({ kind: 'notice', level: e.level, message: e.message });
        return;
    }
  }

  applyAll(events: readonly AgentEvent[]): void {
    for (const e of events) this.apply(e);
  }

  /** The last thing said in the conversation (a message or a notice) already begins with this text. */
  private justSaid(text: string): boolean {
    const flat = (t: string) => t.replace(/\s+/g, ' ').trim();
    const wanted = flat(text);
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i];
      if (entry.kind === 'assistant') return flat(entry.text).startsWith(wanted);
      if (entry.kind === 'notice') return flat(entry.message).startsWith(wanted);
      if (entry.kind === 'user') return false;
    }
    return false;
  }

  private endStreaming(): void {
    const last = this.entries[this.entries.length - 1];
    if (last && last.kind === 'assistant' && last.streaming) {
      last.streaming = false;
      last.rev++;
    }
  }

  private proc(processId: string, name = processId): EntryOf<'process'> {
    return this.upsert(`proc:${processId}`, () => ({ kind: 'process', processId, name, argv: [], output: [], chart: new ChartData(this.chartCapacity), figures: new LatestFigures() })) as EntryOf<'process'>;
  }

  private upsert(id: string, make: () => DistributiveOmit<Entry, 'id' | 'rev'>): Entry {
    const existing = this.byId.get(id);
    if (existing) return existing;
    return this.add(make(), id);
  }

  private add(body: DistributiveOmit<Entry, 'id' | 'rev'>, id = `e${++this.seq}`): Entry {
    const entry = { ...body, id, rev: 1 } as Entry;
    this.entries.push(entry);
    this.byId.set(id, entry);
    return entry;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Append terminal output keeping the last `max` lines; carriage returns (progress bars) overwrite the line. */
export function appendTail(lines: string[], text: string, max: number): void {
  const clean = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  const parts = clean.split('\n');
  for (let i = 0; i < parts.length; i++) {
    const segment = parts[i];
    const cr = segment.lastIndexOf('\r');
    const visible = cr >= 0 ? segment.slice(cr + 1) : segment;
    if (i === 0 && lines.length > 0) {
      lines[lines.length - 1] = cr >= 0 ? visible : lines[lines.length - 1] + visible;
    } else lines.push(visible);
  }
  if (lines.length > max) lines.splice(0, lines.length - max);
}
