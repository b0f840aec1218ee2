/**
 * A long run's metric points, thinned for the panel: its chart keeps 1,000 points anyway, and a
 * 500k-point history is a 90 MB message to the webview each time the panel opens. Eval points,
 * the closing summary and the last point are kept, so the eval curve and the latest figures stay
 * exactly as logged; the other points are kept at an even stride. A history with too many eval
 * points for that (an eval every step) is put on one stride whole. metrics.jsonl keeps everything.
 */
import type { MetricPoint } from '../events';

/** About how many points one process's history keeps when thinned (at most 1.5 × this). */
export const THIN_POINTS = 4000;

export function thinPoints(points: MetricPoint[], max = THIN_POINTS): MetricPoint[] {
  if (points.length <= max) return points;
  const kept = strided(points, max, isRoutine);
  return kept.length <= max * 1.5 ? kept : strided(points, max, () => true);
}

/** Every point `thinnable` says no to, and every stride-th of the others with their last one. */
function strided(points: MetricPoint[], max: number, thinnable: (p: MetricPoint) => boolean): MetricPoint[] {
  let count = 0;
  for (const p of points) if (thinnable(p)) count++;
  const stride = Math.ceil(count / max);
  if (stride <= 1) return points;
  const out: MetricPoint[] = [];
  let seen = 0;
  for (const p of points) {
    if (!thinnable(p)) {
      out.push(p);
      continue;
    }
    seen++;
    if (seen % stride === 1 || seen === count) out.push(p);
  }
  return out;
}

/** A train log (not an evaluation, not the run's closing summary). */
function isRoutine(p: MetricPoint): boolean {
  return p.evalLoss === undefined && p.train_runtime === undefined;
}
