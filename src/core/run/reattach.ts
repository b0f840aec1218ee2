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
import { Recorded } from './watch';

export type Reattached =
  | { kind: 'live'; run: DetachedRun; scriptPath: string; recorded: Recorded }
  | { kind: 'ended'; run: DetachedRun; code: number; scriptPath: string; recorded: Recorded }
  | { kind: 'lost'; message: string };

/** A run left 'running' by whatever drove it; undefined when there is nothing to pick up (no launcher record). */
export async function reattachRun(files: FileStore, summary: RunSummary): Promise<Reattached | undefined> {
  const status = summary.status;
  if (!status.scriptPath) return undefined;
  const runDir = files.resolve(summary.folder);
  // A run on the Slurm target is found again from its job id (logs/slurm.json), a local one from its launcher files.
  const attached = slurmJobIdOf(status) ? await attachSlurmRun(runDir, slurmBackendFor()) : await attachDetached(runDir);
  if (!attached) return undefined;
  const recorded = await recordedMetrics(path.join(runDir, 'metrics.jsonl'), status.attempt ?? 1);
  // A live run is a DetachedRun (it may carry fields named like the other answers: test it first).
  if (isRun(attached)) return { kind: 'live', run: attached, scriptPath: status.scriptPath, recorded };
  if ('lost' in attached) return { kind: 'lost', message: attached.lost };
  if ('ended' in attached) return { kind: 'ended', run: endedRun(runDir, attached.ended.code), code: attached.ended.code, scriptPath: status.scriptPath, recorded };
  return { kind: 'live', run: attached, scriptPath: status.scriptPath, recorded };
}

function isRun(x: object): x is DetachedRun {
  return 'detached' in x && (x as DetachedRun).detached === true;
}

/**
 * What metrics.jsonl recorded of this training attempt: its last step and how many points at that
 * step, so a re-attached run does not record its points twice nor skip one. Only the attempt's own
 * lines count: a retry starts its steps again, and the steps an earlier attempt reached must not
 * hide the ones this attempt logs after the reload.
 */
export async function recordedMetrics(file: string, attempt = 1): Promise<Recorded> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return { step: 0, atStep: 0 };
  }
  let step = 0;
  let atStep = 0;
  for (const line of text.split('\n')) {
    let point: { step?: unknown; attempt?: unknown };
    try {
      point = JSON.parse(line) as typeof point;
    } catch {
      continue; // a torn last line
    }
    if (!point || (point.attempt ?? 1) !== attempt || typeof point.step !== 'number') continue;
    if (point.step > step) {
      step = point.step;
      atStep = 1;
    } else if (point.step === step) atStep++;
  }
  return { step, atStep };
}

/** A DetachedRun view of a run that already ended: its log can still be followed to the end. */
export function endedRun(runDir: string, code: number, logFile = path.join(runDir, 'logs', 'train.log'), signal?: string): DetachedRun {
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
    exit: Promise.resolve(signal ? { code, signal } : { code }),
    stop: async () => (signal ? { code, signal } : { code }),
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
