import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { MetricPoint, ProgressInfo } from '../../../src/core/events';
import { LogPipeline, MetricKind } from '../../../src/core/logs/pipeline';
import { sharedAbsentReason, sharedDataDir } from '../../support/sharedData';

/** ../shared/data/logs, or '' when this clone has none beside it (the tests that need it skip). */
export const SHARED_LOGS = sharedDataDir('logs') ?? '';
export const SHARED_LOGS_SKIP: string | false = SHARED_LOGS ? false : sharedAbsentReason('logs');
export const TRAINER_FIXTURES = path.resolve(__dirname, '../../fixtures/trainer');

export function sharedLogFiles(): string[] {
  if (!SHARED_LOGS) return [];
  return readdirSync(SHARED_LOGS).filter((f) => f.endsWith('.log')).sort();
}

export function readShared(name: string): string {
  return readFileSync(path.join(SHARED_LOGS, name), 'utf8');
}

export interface Collected {
  points: Array<MetricPoint & { kind?: MetricKind | number }>;
  progress: ProgressInfo[];
  tail: string[];
  pipeline: LogPipeline;
}

/** Run the pipeline over `chunks` and collect everything it reports. */
export function runPipeline(chunks: string[], tailLines = 200): Collected {
  const points: Collected['points'] = [];
  const progress: ProgressInfo[] = [];
  const pipeline = new LogPipeline({
    tailLines,
    onMetric: (p, kind) => points.push(Object.assign({ ...p }, { kind })),
    onProgress: (p) => progress.push({ ...p }),
  });
  for (const c of chunks) pipeline.push(c);
  pipeline.end();
  return { points, progress, tail: pipeline.tail(), pipeline };
}

/** Split `text` at the given (sorted, deduplicated) positions. */
export function splitAt(text: string, cuts: number[]): string[] {
  const sorted = [...new Set(cuts.map((c) => Math.max(0, Math.min(text.length, c))))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const c of sorted) {
    out.push(text.slice(prev, c));
    prev = c;
  }
  out.push(text.slice(prev));
  return out;
}
