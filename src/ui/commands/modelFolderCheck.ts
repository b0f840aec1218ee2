/**
 * What Evaluate / Merge Models / Push to Hub check about the folder the user picked or typed,
 * before anything is generated: a folder that does not exist, holds no adapter or model, or is a
 * full model where Merge needs an adapter is said at the picker, not four steps later as a failed
 * run. Also what Merge needs from the adapter (its base model) and about its output folder.
 * No vscode import: unit-tested on real folders.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export type FolderUse = 'evaluate' | 'merge' | 'push';

export type FolderCheck =
  /** A workspace folder: a LoRA adapter (adapter_config.json, with the base it names) or a full model (config.json). */
  | { ok: true; kind: 'adapter'; base?: string }
  | { ok: true; kind: 'model' }
  /** Not a workspace path but shaped like a Hub model id: the caller may ask the Hub. */
  | { ok: true; kind: 'hub' }
  | { ok: false; message: string };

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

async function isDir(p: string): Promise<boolean | undefined> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return undefined;
  }
}

/** The base model an adapter names (adapter_config.json's base_model_name_or_path, as peft writes it). */
export async function adapterBaseModel(folder: string): Promise<{ isAdapter: boolean; base?: string }> {
  let text: string;
  try {
    text = await fs.readFile(path.join(folder, 'adapter_config.json'), 'utf8');
  } catch {
    return { isAdapter: false };
  }
  try {
    const base = (JSON.parse(text) as { base_model_name_or_path?: unknown }).base_model_name_or_path;
    return { isAdapter: true, ...(typeof base === 'string' && base.trim() ? { base: base.trim() } : {}) };
  } catch {
    return { isAdapter: true };
  }
}

/** Whether `value` (workspace-relative, as the picker shows it) can be used for `use`. */
export async function checkModelFolder(root: string, value: string, use: FolderUse): Promise<FolderCheck> {
  const v = value.trim().replace(/[\\/]+$/, '');
  if (!v) return { ok: false, message: 'Pick a folder, or type its path inside the workspace.' };
  const abs = path.resolve(root, v);
  const rel = path.relative(root, abs);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return { ok: false, message: `${v} is outside the workspace: ML Intern reads and writes only inside it. Copy or move the folder into the workspace.` };
  const dir = await isDir(abs);
  const shouldHold = use === 'merge' ? 'adapter_config.json (a LoRA adapter)' : 'adapter_config.json (a LoRA adapter) or config.json (a model)';
  if (dir === false) return { ok: false, message: `${v} is a file, not a folder: pick the folder that holds ${shouldHold}.` };
  if (dir === undefined) {
    // owner/name may be a Hub model, unless its first part is a workspace folder (outputs/nope is a typo, not a Hub id).
    const firstIsLocal = (await isDir(path.resolve(root, v.split(/[\\/]/)[0]))) === true;
    if (use === 'evaluate' && HUB_ID.test(v) && !firstIsLocal) return { ok: true, kind: 'hub' };
    const or = use === 'evaluate' ? ', or type a Hub model id (owner/name)' : '';
    return { ok: false, message: `${v} does not exist in the workspace. Pick a listed folder (the training saves its adapter to OUTPUT_DIR, e.g. outputs/final)${or}.` };
  }
  const adapter = await adapterBaseModel(abs);
  if (adapter.isAdapter) return { ok: true, kind: 'adapter', ...(adapter.base ? { base: adapter.base } : {}) };
  const model = (await isDir(path.join(abs, 'config.json'))) === false;
  if (model && use === 'merge') return { ok: false, message: `${v} holds a full model (config.json), not a LoRA adapter: there is nothing to merge. Pick the adapter folder (adapter_config.json), or evaluate or push this model as it is.` };
  if (model) return { ok: true, kind: 'model' };
  return { ok: false, message: `${v} holds no ${shouldHold}: pick the folder the training saved to (its OUTPUT_DIR, e.g. outputs/final).` };
}

/** Why Merge cannot write to `output`, or, when it would write over files already there, how many. */
export async function checkMergeOutput(root: string, adapter: string, output: string): Promise<{ error: string } | { existingEntries: number }> {
  const v = output.trim().replace(/[\\/]+$/, '');
  if (!v) return { error: 'Type a folder.' };
  const abs = path.resolve(root, v);
  const rel = path.relative(root, abs);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return { error: 'Use a folder inside the workspace (not the workspace itself).' };
  if (abs === path.resolve(root, adapter.trim())) return { error: 'That is the adapter folder: merging there would write over the adapter. Type another folder.' };
  const dir = await isDir(abs);
  if (dir === false) return { error: `${v} is a file: type a folder.` };
  if (dir === undefined) return { existingEntries: 0 };
  return { existingEntries: (await fs.readdir(abs)).length };
}
