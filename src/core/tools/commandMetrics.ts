/**
 * The metrics of a command the agent runs (a training script, through `run`): its output goes
 * through the log pipeline as a fine-tune session's does, so the panel's card for the command
 * gets the loss chart, the progress bar and the latest figures, and metrics.jsonl gets the points
 * (a reopened panel draws them again). Each command that logs metrics is one training attempt of
 * the run: the second one's lines on say `"attempt": N`, as a fine-tune session's retries do.
 */
import { MetricsForwarder } from '../logs/metricsForwarder';
import { metricsJsonl } from '../runs/runStore';
import type { ToolContext } from './types';

export class CommandMetrics {
  private readonly forwarder: MetricsForwarder;
  private attempt: Promise<number> | undefined;
  private writes: Promise<void> = Promise.resolve();

  constructor(ctx: Pick<ToolContext, 'emit' | 'files' | 'runFolder' | 'runId' | 'logger'>, processId: string) {
    const file = `${ctx.runFolder}/metrics.jsonl`;
    this.forwarder = new MetricsForwarder({
      runId: ctx.runId,
      processId,
      emit: (e) => ctx.emit(e),
      write: (batch) => {
        // The attempt number is looked up once, at the command's first point.
        this.attempt ??= nextAttempt(ctx, file);
        const attempt = this.attempt;
        this.writes = this.writes
          .then(async () => ctx.files.append(file, metricsJsonl(batch, await attempt)))
          .catch((err: unknown) => ctx.logger.warn(`${file}: ${String(err)}`));
      },
    });
  }

  /** Output of the command (redacted already). */
  push(text: string): void {
    this.forwarder.push(text);
  }

  /** The command ended: the last points out, and written. */
  async end(): Promise<void> {
    this.forwarder.end();
    await this.writes;
  }
}

/** One more than the last training attempt metrics.jsonl holds (1 when it holds none). */
export async function nextAttempt(ctx: Pick<ToolContext, 'files'>, file: string): Promise<number> {
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
