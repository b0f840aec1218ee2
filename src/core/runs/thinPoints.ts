/**
 * A long run's metric points, thinned for the panel: its chart keeps 1,000 points anyway, and a
 * 500k-point history is a 90 MB message to the webview each time the panel opens. Eval points,
 * points without a train loss (summaries, other metrics) and the last train point are all kept, so
 * the eval curve and the latest figures stay exactly as logged; train points are kept at an even
 * stride. metrics.jsonl itself keeps everything.
 */
import type { MetricPoint } from '../events';

/** About how many train points one process's history keeps when thinned. */
export const THIN_POINTS = 4000;

export function thinPoints(points: MetricPoint[], max = THIN_POINTS): MetricPoint[] {
  if (points.length <= max) return points;
  let train = 0;
  for (const p of points) if (isPlainTrain(p)) train++;
  const stride = Math.ceil(train / max);
  if (stride <= 1) return points;
  const out: MetricPoint[] = [];
  let seen = 0;
  for (const p of points) {
    if (!isPlainTrain(p)) {
      out.push(p);
      continue;
    }
    seen++;
    if (seen % stride === 1 || seen === train) out.push(p);
  }
  return out;
}

function isPlainTrain(p: MetricPoint): boolean {
  return p.loss !== undefined && p.evalLoss === undefined;
}
