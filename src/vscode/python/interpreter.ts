/**
 * Which Python trains: `mlIntern.pythonPath` when the user set it (an explicit
 * override), else the interpreter selected in the Python extension for this
 * workspace (@vscode/python-extension), else `python3` on the PATH. The choice
 * and where it came from are shown in the run card and recorded in the run folder.
 */
import * as vscode from 'vscode';
import { PythonExtension } from '@vscode/python-extension';
import { Host } from '../host';

export interface ResolvedPython {
  path: string;
  source: 'setting' | 'python-extension' | 'default';
}

export async function resolvePython(host: Host): Promise<ResolvedPython> {
  const configured = host.settings().pythonPath.trim();
  if (configured) return { path: configured, source: 'setting' };
  try {
    if (vscode.extensions.getExtension('ms-python.python')) {
      const api = await PythonExtension.api();
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const active = api.environments.getActiveEnvironmentPath(folder);
      const env = await api.environments.resolveEnvironment(active);
      const exe = env?.executable.uri?.fsPath;
      if (exe) return { path: exe, source: 'python-extension' };
    }
  } catch (err) {
    host.logger.warn(`The Python extension did not give an interpreter: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { path: 'python3', source: 'default' };
}
