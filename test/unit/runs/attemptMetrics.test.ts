// A run whose first training attempt failed at step 500 and whose retry (attempt 2, steps from 0
// again) was at step 300 when the window reloaded: after the reload, the retry's steps 310–500
// must still reach metrics.jsonl and the chart. They used to be taken as already recorded, because
// the re-attached run skipped every step up to the highest one in metrics.jsonl, whichever attempt
// logged it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RunStore } from '../../../src/core/runs/runStore';
import { endedRun, recordedMetrics } from '../../../src/core/run/reattach';
import { watchRun } from '../../../src/core/run/watch';
import { replayRun } from '../../../src/ui/chat/runReplay';
import type { AgentEvent, MetricPoint } from '../../../src/core/events';
import type { RunHandle } from '../../../src/core/runs/runStore';
import type { Recorded } from '../../../src/core/run/watch';

const TOTAL = 600;

/** The Trainer's console output from step 1 to `upTo`: a redraw per step, a loss dict every 10. */
function trainerLog(upTo: number): string {
  let s = '';
  for (let step = 1; step <= upTo; step++) {
    s += `\r${String(Math.floor((100 * step) / TOTAL)).padStart(3)}%|██        | ${step}/${TOTAL} [00:10<00:20,  9.50it/s]`;
    if (step % 10 === 0) s += `\n{'loss': ${(3 - step / TOTAL).toFixed(4)}, 'grad_norm': 0.9, 'learning_rate': 0.0002, 'epoch': ${(step / TOTAL).toFixed(2)}}\n`;
  }
  return s;
}

const points = (from: number, to: number): MetricPoint[] => {
  const out: MetricPoint[] = [];
  for (let step = from; step <= to; step += 10) out.push({ step, loss: 3 - step / TOTAL });
  return out;
};

/** The reload: the run (ended meanwhile) has `log` in its run folder and is followed again; the points charted. */
async function reattachEnded(handle: RunHandle, root: string, log: string, recorded: Recorded, attempt?: number): Promise<MetricPoint[]> {
  const runDir = path.join(root, handle.folder);
  mkdirSync(path.join(runDir, 'logs'), { recursive: true });
  writeFileSync(path.join(runDir, 'logs', 'train.log'), log);
  const charted: MetricPoint[] = [];
  const emit = (e: AgentEvent) => void (e.type === 'metrics' && charted.push(...e.points));
  await watchRun(endedRun(runDir, 0), { runId: handle.id, processId: 'training', handle, events: { emit }, recorded, ...(attempt ? { attempt } : {}) });
  return charted;
}

test('after a reload during a retry, the retry keeps every step its first attempt had already passed', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mli-attempts-'));
  const files = new NodeFileStore(root);
  const handle = await new RunStore(files).create({ goal: 'sft' });
  // Before the reload: attempt 1 logged to step 500 and failed; attempt 2 logged to step 300.
  await handle.appendMetrics(points(10, 500), 1);
  await handle.appendMetrics(points(10, 300), 2);
  await handle.appendTranscript({ kind: 'note', text: 'attempt 1: exit code 137' });
  const metricsFile = path.join(root, handle.path('metrics.jsonl'));
  const lines = readFileSync(metricsFile, 'utf8').trim().split('\n');
  assert.equal(lines[0], '{"step":10,"loss":2.9833333333333334}', 'a first attempt\'s lines are as before');
  assert.equal(lines.at(-1), '{"step":300,"loss":2.5,"attempt":2}');

  assert.deepEqual(await recordedMetrics(metricsFile, 2), { step: 300, atStep: 1 }, 'what attempt 2 recorded, not the 500 attempt 1 reached');
  assert.deepEqual(await recordedMetrics(metricsFile, 1), { step: 500, atStep: 1 });
  assert.deepEqual(await recordedMetrics(metricsFile), { step: 500, atStep: 1 }, 'a run that never retried reads as before');

  // The reload: attempt 2 went on to step 600 meanwhile; its log is read again from the start.
  const charted = await reattachEnded(handle, root, trainerLog(TOTAL), await recordedMetrics(metricsFile, 2), 2);
  await handle.appendMetrics([]); // after the writes still queued
  assert.deepEqual(charted.map((p) => p.step), points(310, 600).map((p) => p.step), 'steps 310–600 reach the chart, none twice');
  const attempt2 = readFileSync(metricsFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { step: number; attempt?: number })
    .filter((p) => p.attempt === 2)
    .map((p) => p.step);
  assert.deepEqual(attempt2, points(10, 600).map((p) => p.step), 'metrics.jsonl holds attempt 2 whole, in order, once');

  // Reopening the panel: one chart per attempt (a single chart would drop the retry's steps below 500).
  const events = (await replayRun(files, handle.id))!;
  const cards = events.filter((e) => e.type === 'process_started').map((e) => (e.type === 'process_started' ? [e.processId, e.name] : []));
  assert.deepEqual(cards, [
    ['attempt-1', 'Training, attempt 1 (replayed from metrics.jsonl)'],
    ['training', 'Training, attempt 2 (replayed from metrics.jsonl)'],
  ]);
  const stepsOf = (id: string) => events.flatMap((e) => (e.type === 'metrics' && e.processId === id ? e.points.map((p) => p.step) : []));
  assert.equal(stepsOf('attempt-1').length, 50);
  assert.deepEqual(stepsOf('training'), points(10, 600).map((p) => p.step));
  assert.ok(events.every((e) => e.type !== 'metrics' || e.points.every((p) => !('attempt' in p))), 'the attempt is not drawn as a metric');
  const ended = events.find((e) => e.type === 'process_exited' && e.processId === 'attempt-1');
  assert.ok(ended && ended.type === 'process_exited' && ended.code === 137, 'the first attempt\'s card ends with its exit code from the transcript');
});

test('a reload during an evaluation keeps its eval loss, logged at the step whose train loss was already recorded', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mli-evalstep-'));
  const handle = await new RunStore(new NodeFileStore(root)).create({ goal: 'sft' });
  // Before the reload: the train loss of step 200 was recorded, then the evaluation began (it runs for minutes).
  await handle.appendMetrics(points(10, 200));
  const metricsFile = path.join(root, handle.path('metrics.jsonl'));
  const recorded = await recordedMetrics(metricsFile);
  assert.deepEqual(recorded, { step: 200, atStep: 1 });
  const evalLine = "{'eval_loss': 0.8123, 'eval_runtime': 148.07, 'eval_samples_per_second': 1.56, 'eval_steps_per_second': 1.56, 'epoch': 0.33}\n";
  const charted = await reattachEnded(handle, root, trainerLog(200) + evalLine, recorded);
  assert.deepEqual(
    charted.map((p) => [p.step, p.evalLoss]),
    [[200, 0.8123]],
    'the eval point, and not the train point of the same step again',
  );
});

test('reopened while a retry has logged nothing yet: the first attempt is shown as over, and the retry draws on its own card', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mli-retry0-'));
  const files = new NodeFileStore(root);
  const handle = await new RunStore(files).create({ goal: 'sft' });
  await handle.appendMetrics(points(10, 500), 1);
  await handle.appendTranscript({ kind: 'note', text: 'attempt 1: exit code 1' });
  await handle.updateStatus({ state: 'running', attempt: 2 });
  const events = (await replayRun(files, handle.id))!;
  const cards = events.filter((e) => e.type === 'process_started').map((e) => (e.type === 'process_started' ? e.processId : ''));
  assert.deepEqual(cards, ['attempt-1'], 'no "training" card holding attempt 1, which the retry\'s lower steps would be drawn into (and dropped)');
  assert.ok(events.some((e) => e.type === 'process_exited' && e.processId === 'attempt-1' && e.code === 1));
  assert.deepEqual(await recordedMetrics(path.join(root, handle.path('metrics.jsonl')), 2), { step: 0, atStep: 0 });
});
