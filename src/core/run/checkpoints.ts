/**
 * The checkpoints a training script saves, seen from the session: the recipe's train.py keeps
 * checkpoint-N folders in OUTPUT_DIR (relative to the script's folder) and, with
 * RESUME_FROM_CHECKPOINT = "auto", goes on from the newest one when it is started again. A job
 * the cluster cut short (time limit, preemption, node failure) is then worth resubmitting as is,
 * provided it saved a checkpoint newer than the one it started from.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ConfigValue, readConfig } from '../recipes/configBlock';
import { RUN_DEFINING_NAMES, RUN_RECORD_FILE } from '../recipes/templates/resumePy';
import { FileStore } from '../ports';
import type { SlurmState } from '../exec/slurm';

/** Slurm ends after which the same script, started again, goes on from its last checkpoint. */
export const CUT_SHORT: ReadonlySet<SlurmState> = new Set<SlurmState>(['TIMEOUT', 'PREEMPTED', 'NODE_FAIL']);

export interface CheckpointState {
  /** The step of the checkpoint the script would go on from (0: none: it would start over). */
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
  const steps = names
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  // The script's rule (templates/resumePy.ts checkpoint_to_resume), newest first.
  let dataDigest: string | undefined;
  for (const step of steps) {
    const folder = path.join(dir, `checkpoint-${step}`);
    const state = await readJson(files.resolve(path.join(folder, 'trainer_state.json')));
    if (!state) continue; // killed while saving: the Trainer writes trainer_state.json last
    const record = await readJson(files.resolve(path.join(folder, RUN_RECORD_FILE)));
    if (!record) continue; // the CONFIG that trained it is unknown
    dataDigest ??= await datasetDigest(files, scriptPath, config.DATASET);
    if (recordDiffers(record, config, dataDigest)) return { step: 0, resumes };
    const done = typeof state.global_step === 'number' ? state.global_step : step;
    const planned = typeof state.max_steps === 'number' ? state.max_steps : 0;
    if (planned > 0 && done >= planned) return { step: 0, resumes };
    return { step, folder, resumes };
  }
  return { step: 0, resumes };
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const value = JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a checkpoint's record names another run than the script's CONFIG now. The effective
 * batch is left to the script: it depends on the number of processes, which only the launch knows.
 */
function recordDiffers(record: Record<string, unknown>, config: Record<string, ConfigValue>, dataDigest: string): boolean {
  const saved = (record.config && typeof record.config === 'object' ? record.config : {}) as Record<string, unknown>;
  const names = (RUN_DEFINING_NAMES as readonly string[]).filter((n) => n in saved || n in config);
  if (names.some((n) => JSON.stringify(saved[n] ?? null) !== JSON.stringify(config[n] ?? null))) return true;
  return record.data_sha256 !== dataDigest;
}

/** The script's data_digest(): sha256 over a local file's (or folder's files') relative path and bytes; "hub:<id>" otherwise. */
async function datasetDigest(files: FileStore, scriptPath: string, dataset: ConfigValue | undefined): Promise<string> {
  if (typeof dataset !== 'string' || !dataset) return `hub:${String(dataset)}`;
  const root = files.resolve(path.isAbsolute(dataset) ? dataset : path.join(path.dirname(scriptPath), dataset));
  const stat = await fs.stat(root).catch(() => undefined);
  if (!stat) return `hub:${dataset}`;
  const paths = stat.isFile() ? [root] : (await listFiles(root)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash('sha256');
  for (const file of paths) {
    const rel = stat.isFile() ? '.' : path.relative(root, file).split(path.sep).join('/');
    hash.update(Buffer.concat([Buffer.from(rel, 'utf8'), Buffer.from([0])]));
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}
