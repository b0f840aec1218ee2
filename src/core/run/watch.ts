/**
 * Runs one training attempt and watches it: the process is started detached
 * (it survives a window reload), its log is followed through the log pipeline
 * (progress, metrics.jsonl, chart points) and the attempt's result is what the
 * repair loop needs: the exit code and the end of the log.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EventSink } from '../ports';
import { DetachedRun, DetachedSpec } from '../exec/detached';
import { MetricsForwarder } from '../logs/metricsForwarder';
import { RunHandle } from '../runs/runStore';
import { RunResult } from '../recovery/repairLoop';
import { ZeroLossWatch } from '../recovery/zeroLoss';
import { OverfitWatch } from '../recovery/overfit';
import { GrpoWarningWatch } from '../recovery/grpoSignals';
import { diskFullMessage } from '../util/diskErrors';
import { ProcessOutput } from './processOutput';
import { followSamples } from './samplesFollower';

/** How to start a detached run; the VS Code host also opens a terminal on it. */
export type DetachedLauncher = (spec: DetachedSpec) => Promise<DetachedRun>;

/** After the exit, the follower is stopped once no output came for this long. */
const QUIET_MS = 400;
const CATCH_UP_MS = 120_000;

/** Longest end of a log handed to the diagnosis (it scans the tail and error lines). */
const LOG_TAIL_BYTES = 2 * 1024 * 1024;

/**
 * The points of one training attempt already in metrics.jsonl: up to `step`, and the first `atStep`
 * of those logged at `step` itself. A step can log several points over minutes — the train loss,
 * then an evaluation's — and a reload between them must keep the ones not recorded yet.
 */
export interface Recorded {
  step: number;
  atStep: number;
}

export interface WatchOptions {
  runId: string;
  processId: string;
  /** Where the points go (metrics.jsonl). */
  handle: Pick<RunHandle, 'appendMetrics' | 'path'>;
  events: EventSink;
  /**
   * What metrics.jsonl already holds of this attempt (a run re-attached after a reload re-reads
   * its log from the start): those points are not written or shown again.
   */
  recorded?: Recorded;
  /** The script's LOGGING_STEPS, for logs that carry no step and have no progress bar (see LogPipelineOptions). */
  loggingSteps?: number;
  /** Which training attempt of the run this is (1 when unset): metrics.jsonl lines say so from the second on. */
  attempt?: number;
  /** The process's output whole rather than the panel's short tail (see ProcessOutput). */
  fullOutput?: boolean;
  /** Warnings already given for this run (GRPO's, a loss stuck at 0), shared across its attempts: each is said once. */
  grpoWarned?: Set<string>;
  /** GRPO: train.py's samples.jsonl (absolute), whose newest completions and rewards go to the panel. */
  samplesFile?: string;
}

const METRICS_RESUME = 'The training is still followed and its chart still drawn, but points are missing from metrics.jsonl until there is room.';

/** Follow a detached run to its end: progress and metrics out, the attempt's result back. */
export async function watchRun(run: DetachedRun, o: WatchOptions): Promise<RunResult> {
  // A metrics point that cannot be written must not stop the watch (the panel still gets it);
  // a full disk is said once, since the training itself is about to hit it too.
  let toldDiskFull = false;
  const onMetricsWriteFailed = (err: unknown) => {
    const message = toldDiskFull ? undefined : diskFullMessage(err, { what: o.handle.path('metrics.jsonl'), resume: METRICS_RESUME });
    if (!message) return;
    toldDiskFull = true;
    o.events.emit({ type: 'notice', runId: o.runId, level: 'warning', message });
  };
  const output = new ProcessOutput({
    full: o.fullOutput === true,
    logFile: run.logFile,
    emit: (text) => o.events.emit({ type: 'process_output', runId: o.runId, processId: o.processId, text }),
  });
  let seenAtRecordedStep = 0;
  const alreadyRecorded = (step: number): boolean => {
    const r = o.recorded;
    if (!r || step > r.step) return false;
    if (step < r.step) return true;
    return ++seenAtRecordedStep <= r.atStep;
  };
  // A GRPO run that cannot learn (no reward variance, answers cut off) does not crash: say so while it runs.
  const grpo = new GrpoWarningWatch(o.grpoWarned);
  // Nor does a loss stuck at exactly 0 (every label masked, saturated DPO margins): said once.
  const zeroLoss = new ZeroLossWatch(o.grpoWarned);
  // Nor does overfitting: the eval loss rising while the training loss falls.
  const overfit = new OverfitWatch(o.grpoWarned);
  const metrics = new MetricsForwarder({
    runId: o.runId,
    processId: o.processId,
    emit: (e) => {
      o.events.emit(e);
      if (e.type !== 'metrics') return;
      for (const w of grpo.add(e.points)) o.events.emit({ type: 'notice', runId: o.runId, level: 'warning', message: `Step ${w.step}: ${w.message}` });
      for (const w of [zeroLoss.add(e.points), overfit.add(e.points)]) {
        if (w) o.events.emit({ type: 'notice', runId: o.runId, level: 'warning', message: `Step ${w.step}: ${w.message}` });
      }
    },
    write: (batch) => void o.handle.appendMetrics(batch, o.attempt).catch(onMetricsWriteFailed),
    skip: (point) => alreadyRecorded(point.step),
    loggingSteps: o.loggingSteps,
  });
  // The log comes as bytes: the pipeline decodes only what it parses (and the output forwarder
  // only what it shows); metrics and progress go out once per read (see MetricsForwarder). A DetachedRun view without followBytes (a test double) hands over text.
  let lastChunkAt = Date.now();
  const stopFollowing = run.followBytes
    ? run.followBytes((chunk) => {
        lastChunkAt = Date.now();
        metrics.pushBytes(chunk);
        output.bytes(chunk);
      })
    : run.follow((chunk) => {
        lastChunkAt = Date.now();
        metrics.push(chunk);
        output.text(chunk);
      });
  const stopSamples = o.samplesFile ? followSamples({ file: o.samplesFile, runId: o.runId, processId: o.processId, emit: (e) => o.events.emit(e) }) : undefined;
  const exit = await run.exit;
  // Let the follower read the last bytes written before the exit was recorded, and let it finish
  // catching up a long log (a run found ended after a reload): it reads slice after slice with the
  // window responsive in between, where stopping now would read all the rest in one blocking go.
  // (At most CATCH_UP_MS: a log that something keeps appending to must not hold the session forever.)
  const exitedAt = Date.now();
  do await new Promise((r) => setTimeout(r, QUIET_MS));
  while (Date.now() - lastChunkAt < QUIET_MS && Date.now() - exitedAt < CATCH_UP_MS);
  stopFollowing();
  stopSamples?.();
  metrics.end();
  output.flush();
  o.events.emit({ type: 'process_exited', runId: o.runId, processId: o.processId, code: exit.code });
  return { exitCode: exit.code, logText: await readTail(run.logFile) };
}

export async function readTail(file: string, maxBytes = LOG_TAIL_BYTES): Promise<string> {
  let fh;
  try {
    fh = await fs.open(file, 'r');
    const { size } = await fh.stat();
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    const text = buf.toString('utf8');
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
  } catch {
    return '';
  } finally {
    await fh?.close();
  }
}

/** Keep each attempt's full log next to the live one (the launcher reuses logs/train.log). */
export async function archiveAttemptLog(runDirAbs: string, attempt: number): Promise<string | undefined> {
  const live = path.join(runDirAbs, 'logs', 'train.log');
  const kept = path.join(runDirAbs, 'logs', `attempt-${attempt}.log`);
  try {
    await fs.copyFile(live, kept);
    return kept;
  } catch {
    return undefined;
  }
}
