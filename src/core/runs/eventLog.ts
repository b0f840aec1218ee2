/**
 * The host's per-run log of AgentEvents, replayed to the panel when it
 * (re)loads. Bounded: deltas are dropped once their final message arrives,
 * terminal output keeps a tail per process, and metrics are merged into fewer
 * events, then thinned to a few thousand points when a run logs a very long history.
 */
import type { AgentEvent, MetricPoint } from '../events';
import { THIN_POINTS, thinPoints } from './thinPoints';

export interface EventLogLimits {
  /** process_output events kept per process. */
  outputPerProcess: number;
  /** metrics events kept per process before thinning. */
  metricsPerProcess: number;
  /** All events of one run. */
  perRun: number;
  /** Runs kept in memory (oldest dropped; they replay from disk). */
  runs: number;
}

export const DEFAULT_LIMITS: EventLogLimits = { outputPerProcess: 200, metricsPerProcess: 2000, perRun: 20_000, runs: 20 };

export class RunEventLogs {
  private readonly logs = new Map<string, AgentEvent[]>();

  constructor(private readonly limits: EventLogLimits = DEFAULT_LIMITS) {}

  has(runId: string): boolean {
    return this.logs.has(runId);
  }

  get(runId: string): AgentEvent[] {
    return this.logs.get(runId) ?? [];
  }

  runIds(): string[] {
    return [...this.logs.keys()];
  }

  /** Replace a run's log (a replay from its folder). */
  set(runId: string, events: AgentEvent[]): void {
    this.logs.delete(runId);
    this.logs.set(runId, [...events]);
    this.trimRuns();
  }

  append(runId: string, e: AgentEvent): void {
    let log = this.logs.get(runId);
    if (!log) {
      log = [];
      this.logs.set(runId, log);
      this.trimRuns();
    }
    if (e.type === 'assistant_message') {
      let i = log.length - 1;
      while (i >= 0 && log[i].type === 'assistant_delta') i--;
      log.length = i + 1;
    }
    log.push(e);
    if (e.type === 'process_output') this.trimKind(log, 'process_output', e.processId, this.limits.outputPerProcess);
    if (e.type === 'progress') this.trimKind(log, 'progress', e.processId, 1);
    if (e.type === 'usage') this.trimKind(log, 'usage', undefined, 1);
    // The samples card shows the newest step only.
    if (e.type === 'grpo_samples') this.trimKind(log, 'grpo_samples', undefined, 1);
    if (e.type === 'metrics') this.thinMetrics(log, e.processId);
    if (log.length > this.limits.perRun) {
      // Drop the oldest terminal output first; it is the bulk and it is on disk.
      const drop = log.length - this.limits.perRun;
      let dropped = 0;
      for (let i = 0; i < log.length && dropped < drop; ) {
        if (log[i].type === 'process_output' || log[i].type === 'assistant_delta') {
          log.splice(i, 1);
          dropped++;
        } else i++;
      }
      if (log.length > this.limits.perRun) log.splice(1, log.length - this.limits.perRun);
    }
  }

  private trimKind(log: AgentEvent[], type: AgentEvent['type'], processId: string | undefined, keep: number): void {
    let count = 0;
    for (let i = log.length - 1; i >= 0; i--) {
      const e = log[i];
      if (e.type !== type) continue;
      if (processId !== undefined && (e as { processId?: string }).processId !== processId) continue;
      count++;
      if (count > keep) log.splice(i, 1);
    }
  }

  private thinMetrics(log: AgentEvent[], processId: string): void {
    const idx: number[] = [];
    let points = 0;
    for (let i = 0; i < log.length; i++) {
      const e = log[i];
      if (e.type === 'metrics' && e.processId === processId) {
        idx.push(i);
        points += e.points.length;
      }
    }
    if (points > 2 * THIN_POINTS) {
      // A long run's history: kept as about THIN_POINTS points (every eval and the latest figures
      // intact) in one event where the first was, so reopening the panel does not resend it all.
      const all: MetricPoint[] = [];
      for (const i of idx) {
        const e = log[i];
        if (e.type === 'metrics') all.push(...e.points);
      }
      const first = log[idx[0]];
      for (let k = idx.length - 1; k >= 1; k--) log.splice(idx[k], 1);
      if (first.type === 'metrics') log[idx[0]] = { ...first, points: thinPoints(all) };
      return;
    }
    if (idx.length <= this.limits.metricsPerProcess) return;
    // Merge pairs of metrics events into one, oldest first: the chart thins points itself.
    for (let k = idx.length - 2; k >= 0; k -= 2) {
      const a = log[idx[k]];
      const b = log[idx[k + 1]];
      if (a.type !== 'metrics' || b.type !== 'metrics') continue;
      log[idx[k]] = { ...a, points: [...a.points, ...b.points] };
      log.splice(idx[k + 1], 1);
    }
  }

  private trimRuns(): void {
    while (this.logs.size > this.limits.runs) {
      const oldest = this.logs.keys().next().value as string;
      this.logs.delete(oldest);
    }
  }
}
