/**
 * What the model reads of a finished command, beyond its status line. Training output is mostly
 * tqdm redraws (`\r`): only the last redraw of each line is kept, so the log's real lines — the
 * losses — are not pushed out of the window by bars. A failed command gives the log pipeline's
 * failure observation (exception, key frames, last progress) and the recovery diagnosis (what
 * failed, who can fix it, how); a training that succeeded gives its loss trajectory in a few lines.
 */
import { MetricPoint } from '../events';
import { buildFailureObservation, LogPipeline } from '../logs';
import { diagnose } from '../recovery';
import { fence, LOG_NOTE } from './domain/shared';
import { stripAnsi } from './text';

/** Room for the failure extract: with the status and diagnosis lines, well under the 8k observation cap. */
const FAILURE_TOKENS = 1_300;
const TRAJECTORY_POINTS = 8;

/** Each line as the terminal last showed it: a `\r` redraw replaces what came before it on the line. */
export function lastRedraws(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      if (line.indexOf('\r') === -1) return stripAnsi(line);
      const parts = line.split('\r').filter((p) => p.length > 0);
      return stripAnsi(parts.length ? parts[parts.length - 1] : '');
    })
    .join('\n');
}

/** The diagnosis and the failure extract of a failed command's output. */
export function failureObservation(output: string, exitCode: number | undefined, logRel: string): string {
  const d = diagnose(output);
  const lines = [
    `Diagnosis: ${d.category}. ${d.summary}`,
    `Fix (${d.fix.kind === 'playbook' ? 'known fix' : d.fix.kind === 'llm' ? 'needs a code change by you' : 'needs the user'}): ${d.fix.description}`,
    `For the playbook's concrete change call diagnose_log with path "${logRel}" and the script.`,
  ];
  const extract = buildFailureObservation({ text: output, logPath: logRel, maxTokens: FAILURE_TOKENS, ...(exitCode !== undefined ? { exitCode } : {}) });
  return `${lines.join('\n')}\n${LOG_NOTE}\n${fence('log-excerpt', extract)}`;
}

/** "Loss: step 10 1.73 → step 20 1.41 → …" (first, last and evenly spread points), or undefined when nothing was logged. */
export function lossTrajectory(output: string): string | undefined {
  const train: MetricPoint[] = [];
  const evals: MetricPoint[] = [];
  const pipeline = new LogPipeline({
    onMetric: (p, kind) => {
      if (kind === 'train' && p.loss !== undefined) train.push(p);
      if (kind === 'eval' && p.evalLoss !== undefined) evals.push(p);
    },
  });
  pipeline.push(output);
  pipeline.end();
  if (!train.length && !evals.length) return undefined;
  const lines = [];
  if (train.length) lines.push(`Training loss (${train.length} logged): ${spread(train).map((p) => `step ${p.step} ${fmt(p.loss)}`).join(' → ')}`);
  if (evals.length) lines.push(`Eval loss: ${spread(evals).map((p) => `step ${p.step} ${fmt(p.evalLoss)}`).join(' → ')}`);
  return lines.join('\n');
}

function spread(points: MetricPoint[]): MetricPoint[] {
  if (points.length <= TRAJECTORY_POINTS) return points;
  const out: MetricPoint[] = [];
  for (let i = 0; i < TRAJECTORY_POINTS; i++) out.push(points[Math.round((i * (points.length - 1)) / (TRAJECTORY_POINTS - 1))]);
  return out;
}

function fmt(v: number | undefined): string {
  return v === undefined ? '?' : Number(v.toPrecision(4)).toString();
}
