/**
 * The folders a multi-node job needs on every node, and the proof that a node sees the same folder
 * and not a local one of the same name: a check file the login node writes in the workspace just
 * before submitting (inside the workspace's .ml-intern/, nothing outside it is written). The batch
 * script (multiNodeSbatch.ts) looks for them on each node before any GPU time is spent.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import type { SharedPath } from './multiNodeSbatch';

export const SHARED_CHECK_FOLDER = path.join('.ml-intern', 'shared-check');
/** Check files older than this are removed when a new one is written (a job waits in the queue for hours at most). */
const KEEP_MS = 7 * 24 * 3600_000;

/**
 * The Hugging Face hub cache as huggingface_hub resolves it: HF_HUB_CACHE, else HF_HOME/hub, else
 * $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub (the legacy HUGGINGFACE_HUB_CACHE too).
 */
export function hfHubCache(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
  const hfHome = env.HF_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(env.HOME ?? homedir(), '.cache'), 'huggingface');
  return path.join(hfHome, 'hub');
}

export interface SharedFolderPlan {
  paths: SharedPath[];
  /** What could not be checked, said to the user before submitting. */
  notes: string[];
}

/**
 * Writes a fresh check file into the workspace and lists what every node must see: the workspace
 * (by that file), the output folder (created here: Slurm creates no folders) and the HF cache when
 * this machine has one (a cache that does not exist yet is created by the first download, on the
 * node that downloads: it is named so the user knows).
 */
export function planSharedFolders(o: { workspace: string; outputDir: string; env?: NodeJS.ProcessEnv }): SharedFolderPlan {
  const folder = path.join(o.workspace, SHARED_CHECK_FOLDER);
  mkdirSync(folder, { recursive: true });
  removeOldChecks(folder);
  const name = `${Date.now()}-${randomBytes(6).toString('hex')}`;
  writeFileSync(path.join(folder, name), 'Written by ML Intern before a multi-node job: every node must see this file.\n');
  mkdirSync(o.outputDir, { recursive: true });
  const paths: SharedPath[] = [
    { what: 'workspace', path: o.workspace, marker: path.join(SHARED_CHECK_FOLDER, name) },
    { what: 'output', path: o.outputDir },
  ];
  const notes: string[] = [];
  const cache = hfHubCache(o.env);
  if (existsSync(cache)) paths.push({ what: 'Hugging Face cache', path: cache });
  else notes.push(`The Hugging Face cache ${cache} does not exist yet, so whether every node sees it cannot be checked: set HF_HOME to a folder on the shared file system, or each node downloads the model on its own.`);
  return { paths, notes };
}

function removeOldChecks(folder: string): void {
  for (const f of readdirSync(folder)) {
    const p = path.join(folder, f);
    try {
      if (Date.now() - statSync(p).mtimeMs > KEEP_MS) rmSync(p, { force: true });
    } catch {
      // Another process removed it first.
    }
  }
}
