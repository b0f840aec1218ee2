/**
 * Appends one JSON line per MetricPoint to metrics.jsonl, through a FileStore
 * (workspace-confined) or straight to an absolute path. Writes are batched
 * and kept in order; `flush()` resolves when all queued lines are on disk.
 * Non-finite numbers (NaN loss, inf grad norm) are written as the strings
 * "NaN", "Infinity", "-Infinity" so a diverged run stays visible in the file.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MetricPoint } from '../events';
import { FileStore } from '../ports';
import { MetricKind } from './trainerLine';

export type MetricsTarget = { store: FileStore; path: string } | { path: string };

export function metricLine(point: MetricPoint, kind?: MetricKind): string {
  const o: Record<string, number | string> = {};
  if (kind) o.kind = kind;
  for (const [k, v] of Object.entries(point)) {
    if (v === undefined) continue;
    o[k] = Number.isFinite(v) ? v : String(v);
  }
  return `${JSON.stringify(o)}\n`;
}

export class MetricsJsonlWriter {
  private buffer = '';
  private chain: Promise<void> = Promise.resolve();
  private scheduled = false;
  private error: unknown;

  constructor(private readonly target: MetricsTarget) {}

  write(point: MetricPoint, kind?: MetricKind): void {
    this.buffer += metricLine(point, kind);
    if (!this.scheduled) {
      this.scheduled = true;
      // Batch the points of one chunk of output into one append.
      queueMicrotask(() => this.drain());
    }
  }

  /** Resolves when everything written so far is on disk; rejects with the first write error. */
  async flush(): Promise<void> {
    this.drain();
    await this.chain;
    if (this.error) throw this.error;
  }

  private drain(): void {
    this.scheduled = false;
    if (!this.buffer) return;
    const text = this.buffer;
    this.buffer = '';
    this.chain = this.chain.then(() => this.append(text)).catch((err: unknown) => {
      this.error ??= err;
    });
  }

  private async append(text: string): Promise<void> {
    const t = this.target;
    if ('store' in t) return t.store.append(t.path, text);
    await fs.mkdir(path.dirname(t.path), { recursive: true });
    await fs.appendFile(t.path, text, 'utf8');
  }
}
