/**
 * The checkpoints a training script saves, seen from the session: the recipe's train.py keeps
 * checkpoint-N folders in OUTPUT_DIR (relative to the script's folder) and, with
 * RESUME_FROM_CHECKPOINT = "auto", goes on from the newest one when it is started again. A job
 * the cluster cut short (time limit, preemption, node failure) is then worth resubmitting as is,
 * provided it saved a checkpoint newer than the one it started from.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readConfig } from '../recipes/configBlock';
import { FileStore } from '../ports';
import type { SlurmState } from '../exec/slurm';

/** Slurm ends after which the same script, started again, goes on from its last checkpoint. */
export const CUT_SHORT: ReadonlySet<SlurmState> = new Set<SlurmState>(['TIMEOUT', 'PREEMPTED', 'NODE_FAIL']);

export interface CheckpointState {
  /** The newest checkpoint's step (0: none). */
  step: number;
  /** Its folder, workspace-relative. */
  folder?: string;
  /** The script goes on from the newest checkpoint by itself (RESUME_FROM_CHECKPOINT = "auto"). */
  resumes: boolean;
}

export async function checkpointState(files: FileStore, scriptPath: string): Promise<CheckpointState> {
  const script = await files.readIfExists(scriptPath).catch(() => undefined);
  const config = script ? readConfig(script) : {};
  const resumes = config.RESUME_FROM_CHECKPOINT === 'auto';
  const out = config.OUTPUT_DIR;
  if (typeof out !== 'string' || !out) return { step: 0, resumes };
  const dir = path.isAbsolute(out) ? out : path.join(path.dirname(scriptPath), out);
  let names: string[] = [];
  try {
    names = await fs.readdir(files.resolve(dir));
  } catch {
    return { step: 0, resumes };
  }
  const candidates = names.map((n) => /^checkpoint-(\d+)$/.exec(n)).filter((m): m is RegExpExecArray => m !== null);
  // Complete ones only, as the script decides: the Trainer writes trainer_state.json last.
  const steps: number[] = [];
  for (const m of candidates) {
    if (await fs.access(files.resolve(path.join(dir, m[0], 'trainer_state.json'))).then(() => true, () => false)) steps.push(Number(m[1]));
  }
  if (!steps.length) return { step: 0, resumes };
  const step = Math.max(...steps);
  return { step, folder: path.join(dir, `checkpoint-${step}`), resumes };
}
