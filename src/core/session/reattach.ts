/**
 * Finding a fine-tune run again after whatever drove it went away — a window reload, a Remote-SSH
 * reconnect, an `ml-intern fine-tune` whose terminal closed. The training is a detached process (or
 * a Slurm job) and its run folder says where it is: it is still running, it ended meanwhile (its
 * log can still be read to the end), or it is lost.
 */
import * as path from 'node:path';
import { readFile } from 'node:fs/promises';
import { attachDetached, DetachedRun } from '../exec/detached';
import { Follower, followFile } from '../exec/fileFollower';
import { attachSlurmRun, slurmBackendFor } from '../exec/slurmRun';
import { FileStore } from '../ports';
import { RunSummary } from '../runs/types';
import { slurmJobIdOf } from './slurmJobs';

export type Reattached =
  | { kind: 'live'; run: DetachedRun; scriptPath: string; knownStep: number }
  | { kind: 'ended'; run: DetachedRun; code: number; scriptPath: string; knownStep: number }
  | { kind: 'lost'; message: string };

/** A run left 'running' by whatever drove it; undefined when there is nothing to pick up (no launcher record). */
export async function reattachRun(files: FileStore, summary: RunSummary): Promise<Reattached | undefined> {
  const status = summary.status;
  if (!status.scriptPath) return undefined;
  const runDir = files.resolve(summary.folder);
  // A run on the Slurm target is found again from its job id (logs/slurm.json), a local one from its launcher files.
  const attached = slurmJobIdOf(status) ? await attachSlurmRun(runDir, slurmBackendFor()) : await attachDetached(runDir);
  if (!attached) return undefined;
  const knownStep = await lastMetricStep(path.join(runDir, 'metrics.jsonl'), status.attempt ?? 1);
  // A live run is a DetachedRun (it may carry fields named like the other answers: test it first).
  if (isRun(attached)) return { kind: 'live', run: attached, scriptPath: status.scriptPath, knownStep };
  if ('lost' in attached) return { kind: 'lost', message: attached.lost };
  if ('ended' in attached) return { kind: 'ended', run: endedRun(runDir, attached.ended.code), code: attached.ended.code, scriptPath: status.scriptPath, knownStep };
  return { kind: 'live', run: attached, scriptPath: status.scriptPath, knownStep };
}

function isRun(x: object): x is DetachedRun {
  return 'detached' in x && (x as DetachedRun).detached === true;
}

/**
 * The last step metrics.jsonl recorded for this training attempt, so a re-attached run does not
 * record its points twice. Only the attempt's own lines count: a retry starts its steps again, and
 * the steps an earlier attempt reached must not hide the ones this attempt logs after the reload.
 */
export async function lastMetricStep(file: string, attempt = 1): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return 0;
  }
  let max = 0;
  for (const line of text.split('\n')) {
    try {
      const point = JSON.parse(line) as { step?: number; attempt?: number };
      if ((point.attempt ?? 1) !== attempt) continue;
      const step = point.step;
      if (typeof step === 'number' && step > max) max = step;
    } catch {
      // a torn last line
    }
  }
  return max;
}

/** A DetachedRun view of a run that already ended: its log can still be followed to the end. */
export function endedRun(runDir: string, code: number): DetachedRun {
  const logFile = path.join(runDir, 'logs', 'train.log');
  return {
    detached: true as const,
    pid: 0,
    name: 'ended run',
    runDir,
    logFile,
    follow(onData: (chunk: string) => void) {
      return followToTheEnd(followFile(logFile, onData, { from: 'start' }));
    },
    // Bytes, as a live run's log: the pipeline decodes only what it parses (several times faster on a big log).
    followBytes(onData: (chunk: Buffer) => void) {
      return followToTheEnd(followFile(logFile, onData, { from: 'start', raw: true }));
    },
    exit: Promise.resolve({ code }),
    stop: async () => ({ code }),
    interrupt: () => undefined,
    dispose: () => undefined,
  };
}

/** Start reading a complete log; the function returned reads whatever the catch-up has not reached yet, then stops. */
function followToTheEnd(f: Follower): () => void {
  f.poll();
  return () => {
    f.drain();
    f.stop();
  };
}
