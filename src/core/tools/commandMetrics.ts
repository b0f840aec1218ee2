/**
 * The metrics of a command the agent runs (a training script, through `run`): its output goes
 * through the log pipeline as a fine-tune session's does, so the panel's card for the command
 * gets the loss chart, the progress bar and the latest figures, and metrics.jsonl gets the points
 * (a reopened panel draws them again). Each command that logs metrics is one training attempt of
 * the run: the second one's lines on say `"attempt": N`, as a fine-tune session's retries do.
 */
import type { MetricPoint, ProgressInfo } from '../events';
import { LogPipeline } from '../logs/pipeline';
import { metricsJsonl } from '../runs/runStore';
import type { ToolContext } from './types';

export class CommandMetrics {
  private readonly pipeline: LogPipeline;
  private readonly file: string;
  private points: MetricPoint[] = [];
  private progress: ProgressInfo | undefined;
  private scheduled: ReturnType<typeof setImmediate> | undefined;
  private attempt: Promise<number> | undefined;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: Pick<ToolContext, 'emit' | 'files' | 'runFolder' | 'runId' | 'logger'>,
    private readonly processId: string,
  ) {
    this.file = `${ctx.runFolder}/metrics.jsonl`;
    this.pipeline = new LogPipeline({ onMetric: (p) => this.points.push(p), onProgress: (p) => (this.progress = p) });
  }

  /** Output of the command (redacted already); what it gives goes out once this turn of the event loop is over. */
  push(text: string): void {
    this.pipeline.push(text);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** The command ended: the last points out, and written. */
  async end(): Promise<void> {
    this.pipeline.end();
    this.flush();
    await this.writes;
  }

  private flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.points.length) {
      const batch = this.points;
      this.points = [];
      this.ctx.emit({ type: 'metrics', runId: this.ctx.runId, processId: this.processId, points: batch });
      this.attempt ??= nextAttempt(this.ctx, this.file);
      const attempt = this.attempt;
      this.writes = this.writes
        .then(async () => this.ctx.files.append(this.file, metricsJsonl(batch, await attempt)))
        .catch((err: unknown) => this.ctx.logger.warn(`${this.file}: ${String(err)}`));
    }
    if (this.progress) {
      this.ctx.emit({ type: 'progress', runId: this.ctx.runId, processId: this.processId, progress: this.progress });
      this.progress = undefined;
    }
  }
}

/** One more than the last training attempt metrics.jsonl holds (1 when it holds none). */
async function nextAttempt(ctx: Pick<ToolContext, 'files'>, file: string): Promise<number> {
  const text = await ctx.files.readIfExists(file).catch(() => undefined);
  let last = 0;
  for (const line of (text ?? '').split('\n')) {
    if (!line.trim()) continue;
    try {
      const attempt = (JSON.parse(line) as { attempt?: unknown }).attempt;
      last = Math.max(last, typeof attempt === 'number' ? attempt : 1);
    } catch {
      // a torn line
    }
  }
  return last + 1;
}
