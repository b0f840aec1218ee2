/**
 * The default validator: python/validate_script.py (through the python
 * helper) checks a proposed .py file against the libraries installed in the
 * user's interpreter. The helper reads a file, so the proposal is written to
 * a scratch copy in the extension's own storage (never the workspace: the
 * real file stays untouched until the user accepts), removed afterwards.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Host } from '../host';
import { Finding, Validator } from '../../core/review/findings';
import { defaultPython, validateScript } from '../../core/python';

export function pythonValidator(host: Host): Validator {
  let warned = false;
  return async (file: string, text: string, signal?: AbortSignal): Promise<Finding[]> => {
    if (!file.endsWith('.py')) return [];
    const dir = path.join(host.context.globalStorageUri.fsPath, 'validate', `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
    const scratch = path.join(dir, path.basename(file));
    try {
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(scratch, text, 'utf8');
      const python = defaultPython(process.env, host.settings().pythonPath);
      const report = await validateScript(python, scratch, { signal, timeoutMs: 60_000, cwd: host.workspaceRoot() });
      return report.findings;
    } catch (err) {
      // No interpreter or no libraries yet: the review goes on without findings.
      if (!warned && !signal?.aborted) host.logger.info(`Checking proposals against the installed libraries is unavailable: ${err instanceof Error ? err.message : String(err)}`);
      warned = true;
      return [];
    } finally {
      await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  };
}
