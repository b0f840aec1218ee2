/**
 * Generated scripts run from their own folder (`<method>-<model>/`, the cwd the session and the
 * agent's run tool use), so the workspace paths a spec names — a data file, a local base model —
 * must be written as seen from there ("data/train.jsonl" → "../data/train.jsonl"). A real GPU run
 * caught the script looking for data/ inside its own folder. Hub ids and absolute paths stay.
 */
import * as path from 'node:path';
import { isLocalDataset } from './spec';

/**
 * A workspace-relative path as seen from `folder` (also workspace-relative); absolute and ~ paths
 * unchanged. A path inside the folder keeps a leading "./" so no loader takes it for a Hub id.
 */
export function fromScriptFolder(workspacePath: string, folder: string): string {
  if (path.isAbsolute(workspacePath) || workspacePath.startsWith('~')) return workspacePath;
  const rel = path.posix.relative(folder, workspacePath.replace(/\\/g, '/').replace(/^\.\/+/, '').replace(/\/+$/, ''));
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** The dataset as the script sees it: a local file or folder is re-rooted, a Hub id is not. */
export function datasetFromScriptFolder(dataset: string, folder: string, existsInWorkspace = false): string {
  return isLocalDataset(dataset) || existsInWorkspace ? fromScriptFolder(dataset, folder) : dataset;
}

/**
 * The spec's dataset and base model as the script in `folder` sees them. `exists` says whether a
 * path is in the workspace: "org/name" is a Hub id unless such a folder exists there.
 */
export async function scriptSidePaths<S extends { dataset?: string; baseModel?: string; models?: { model: string }[] }>(
  spec: S,
  folder: string,
  exists: (workspacePath: string) => Promise<boolean>,
): Promise<S> {
  const out = { ...spec };
  if (spec.dataset) out.dataset = datasetFromScriptFolder(spec.dataset, folder, await exists(spec.dataset).catch(() => false));
  if (spec.baseModel && !path.isAbsolute(spec.baseModel) && (await exists(spec.baseModel).catch(() => false))) {
    out.baseModel = fromScriptFolder(spec.baseModel, folder);
  }
  // mergekit runs from the folder too: a local model to merge is re-rooted like the base.
  if (Array.isArray(spec.models)) {
    out.models = await Promise.all(spec.models.map(async (m) =>
      m && typeof m.model === 'string' && !path.isAbsolute(m.model) && (await exists(m.model).catch(() => false)) ? { ...m, model: fromScriptFolder(m.model, folder) } : m));
  }
  return out;
}
