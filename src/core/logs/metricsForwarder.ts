/**
 * A process's log → the metrics and progress of its card in the panel, and its metrics.jsonl
 * lines. What one read of the log gives goes out together once this turn of the event loop is
 * over (a follower's reads of one poll, up to 8 MiB, come in one turn): one metrics event and one
 * write for all its points, and only its last progress. Live, that is what the trainer wrote since
 * the last poll; catching up a long log after a reload, it is thousands of points, which one by one
 * meant as many panel messages and file appends (a minute of appends per 60k points).
 * Used for the fine-tune session's runs (trainingRunner) and the agent's commands (commandMetrics).
 */
import type { AgentEvent, MetricPoint, ProgressInfo } from '../events';
import { LogPipeline } from './pipeline';

export interface MetricsForwarderOptions {
  runId: string;
  processId: string;
  emit(event: AgentEvent): void;
  /** Keep these points (metrics.jsonl); called once per batch, in order. */
  write(points: MetricPoint[]): void;
  /** A point already recorded (a re-attached run reads its log again): neither sent nor written. */
  skip?(point: MetricPoint): boolean;
  /** The script's LOGGING_STEPS (see LogPipelineOptions). */
  loggingSteps?: number;
}

export class MetricsForwarder {
  private readonly pipeline: LogPipeline;
  private points: MetricPoint[] = [];
  private progress: ProgressInfo | undefined;
  private scheduled: ReturnType<typeof setImmediate> | undefined;

  constructor(private readonly o: MetricsForwarderOptions) {
    this.pipeline = new LogPipeline({
      loggingSteps: o.loggingSteps,
      onMetric: (point) => {
        if (!o.skip?.(point)) this.points.push(point);
      },
      onProgress: (p) => (this.progress = p),
    });
  }

  /** Log bytes (the pipeline decodes only what it parses). */
  pushBytes(buf: Buffer): void {
    this.pipeline.pushBytes(buf);
    this.flushSoon();
  }

  /** Log text (a source that hands over strings). */
  push(text: string): void {
    this.pipeline.push(text);
    this.flushSoon();
  }

  /** The log ended: the last points and progress out now. */
  end(): void {
    this.pipeline.end();
    this.flush();
  }

  private flushSoon(): void {
    this.scheduled ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const { runId, processId } = this.o;
    if (this.points.length) {
      const batch = this.points;
      this.points = [];
      this.o.emit({ type: 'metrics', runId, processId, points: batch });
      this.o.write(batch);
    }
    if (this.progress) {
      this.o.emit({ type: 'progress', runId, processId, progress: this.progress });
      this.progress = undefined;
    }
  }
}
