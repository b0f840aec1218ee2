// A log far bigger than one read (8 MiB): the follower catches up slice after slice without
// waiting a poll interval between them, and a run's last read takes everything that is left —
// so a run re-attached after it ended (window reload, closed terminal) gets its whole log on the
// chart, not its first megabytes, in a few messages rather than one per point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { followFile, FollowerSet } from '../../../src/core/exec/fileFollower';
import { endedRun } from '../../../src/core/run/reattach';
import { watchRun } from '../../../src/core/run/watch';
import type { RunHandle } from '../../../src/core/runs/runStore';
import type { DetachedRun } from '../../../src/core/exec/detached';
import type { MetricPoint } from '../../../src/core/events';

const STEPS = 300_000;

/** A Trainer log of STEPS tqdm redraws (~40 MiB), a loss dict every 10 steps, and the closing summary. */
function bigTrainerLog(): string {
  const parts: string[] = [];
  for (let step = 1; step <= STEPS; step++) {
    const pct = Math.floor((100 * step) / STEPS);
    const cells = Math.floor((pct * 40) / 100);
    parts.push(`\r${String(pct).padStart(3)}%|${'█'.repeat(cells)}${' '.repeat(40 - cells)}| ${step}/${STEPS} [1:02:03<2:03:04,  2.41s/it]`);
    if (step % 10 === 0) parts.push(`\n{'loss': ${(2 - step / STEPS).toFixed(4)}, 'grad_norm': 0.5, 'learning_rate': 2e-05, 'epoch': ${(step / STEPS).toFixed(4)}}\n`);
  }
  parts.push(`\n{'train_runtime': 4821.5, 'train_samples_per_second': 41.5, 'train_steps_per_second': 41.48, 'train_loss': 1.5, 'epoch': 1.0}\n`);
  return parts.join('');
}

function runFolderWithLog(): { runDir: string; logFile: string } {
  const runDir = mkdtempSync(path.join(tmpdir(), 'mli-backlog-'));
  mkdirSync(path.join(runDir, 'logs'));
  const logFile = path.join(runDir, 'logs', 'train.log');
  writeFileSync(logFile, bigTrainerLog());
  return { runDir, logFile };
}

const shared = runFolderWithLog();

test('the log is far bigger than one read (the case this file is about)', () => {
  assert.ok(statSync(shared.logFile).size > 32 * 1024 * 1024, `${statSync(shared.logFile).size} bytes`);
});

test('a backlog is read slice after slice on the next turns of the event loop, not one slice per poll interval', async () => {
  const size = statSync(shared.logFile).size;
  let got = 0;
  const f = followFile(shared.logFile, (b: Buffer) => (got += b.length), { raw: true, pollMs: 3_600_000 });
  f.poll();
  assert.ok(got > 0 && got < size, 'one poll reads one slice');
  // With the poll interval at an hour, only the immediate follow-up reads can get to the end.
  for (let turn = 0; turn < 50 && got < size; turn++) await new Promise((r) => setImmediate(r));
  f.stop();
  assert.equal(got, size);
});

test('drain reads everything left at once; stop cancels a scheduled slice', async () => {
  const size = statSync(shared.logFile).size;
  let got = 0;
  const drained = followFile(shared.logFile, (b: Buffer) => (got += b.length), { raw: true, pollMs: 3_600_000 });
  drained.poll();
  drained.drain();
  assert.equal(got, size);
  drained.stop();

  let stoppedGot = 0;
  const stopped = followFile(shared.logFile, (t: string) => (stoppedGot += Buffer.byteLength(t)), { pollMs: 3_600_000 });
  stopped.poll();
  const afterOne = stoppedGot;
  stopped.stop();
  for (let turn = 0; turn < 10; turn++) await new Promise((r) => setImmediate(r));
  assert.equal(stoppedGot, afterOne, 'nothing is read after stop');

  // Stopped from its own callback (the reader has seen enough): the drain ends there too.
  let chunks = 0;
  const selfStopping = followFile(shared.logFile, () => (++chunks, selfStopping.stop()), { raw: true, pollMs: 3_600_000 });
  selfStopping.drain();
  assert.equal(chunks, 1);
});

test("a run's end: its followers read to the end of the log, one added after the end too", () => {
  const size = statSync(shared.logFile).size;
  const set = new FollowerSet();
  let live = 0;
  set.add(followFile(shared.logFile, (b: Buffer) => (live += b.length), { raw: true, pollMs: 3_600_000 }));
  assert.ok(live < size);
  set.drainAndClose();
  assert.equal(live, size, 'the follower that was catching up');
  let late = 0;
  set.add(followFile(shared.logFile, (b: Buffer) => (late += b.length), { raw: true, pollMs: 3_600_000 }));
  assert.equal(late, size, 'a follower added after the end');
});

test('a run found ended after a reload: its whole log reaches the chart, the last loss and the summary included', async () => {
  const points: MetricPoint[] = [];
  const events: { type: string }[] = [];
  let appends = 0;
  const handle = {
    path: (relative: string) => `.ml-intern/runs/r1/${relative}`,
    appendMetrics: async (p: MetricPoint[]) => {
      appends++;
      points.push(...p);
    },
  } as unknown as RunHandle;
  const result = await watchRun(endedRun(shared.runDir, 0), { runId: 'r1', processId: 'p1', handle, events: { emit: (e) => events.push(e) } });
  assert.equal(result.exitCode, 0);
  const train = points.filter((p) => p.loss !== undefined);
  assert.equal(train.length, STEPS / 10, 'every loss log of the run');
  assert.equal(train[train.length - 1].step, STEPS);
  assert.equal(train[train.length - 1].loss, 1);
  assert.equal(points[points.length - 1].train_runtime, 4821.5, 'the closing summary');
  assert.ok(events.some((e) => e.type === 'process_exited'));
  // Each read of the log (up to 8 MiB) sends its points in one panel message and one metrics.jsonl append:
  // one by one, 30,000 points were 30,000 messages and appends (about a minute of appends on disk).
  const reads = Math.ceil(statSync(shared.logFile).size / (8 * 1024 * 1024));
  const metricEvents = events.filter((e) => e.type === 'metrics').length;
  assert.ok(metricEvents <= reads + 1 && appends <= reads + 1, `${metricEvents} metrics events and ${appends} appends for ${reads} reads`);
  assert.ok(events.filter((e) => e.type === 'progress').length <= reads + 1, 'one progress event per read at most');
});

test('an ended run is not stopped while its log is still being caught up: the reading goes on in slices, not in one blocking read', async () => {
  // A follower still delivering slices well after the exit is known (as while catching up a long log).
  const slices = 20;
  let delivered = 0;
  let deliveredAtStop = -1;
  const run = {
    ...endedRun(shared.runDir, 0),
    followBytes(onData: (chunk: Buffer) => void) {
      const timer = setInterval(() => {
        if (delivered === slices) return clearInterval(timer);
        delivered++;
        onData(Buffer.from(`{'loss': ${delivered}, 'epoch': ${delivered / slices}}\n`));
      }, 50);
      return () => {
        deliveredAtStop = delivered;
        clearInterval(timer);
      };
    },
  } as DetachedRun;
  const points: MetricPoint[] = [];
  const handle = { path: (r: string) => r, appendMetrics: async (p: MetricPoint[]) => void points.push(...p) } as unknown as RunHandle;
  await watchRun(run, { runId: 'r1', processId: 'p1', handle, events: { emit: () => undefined } });
  assert.equal(deliveredAtStop, slices, 'stopped only once the log stopped coming (it was stopped 400 ms after the exit, at slice 7 or so)');
  assert.equal(points.length, slices);
});
