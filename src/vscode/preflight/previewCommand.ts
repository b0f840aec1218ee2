/**
 * "ML Intern: Preview Training Tokens": pick a recipe folder (or its train.py, or pass one from the
 * Explorer), run the preflight helper with the training interpreter and show what the script
 * trains on in a webview beside the editor. The helper executes the script's CONFIG block and
 * mapping functions, so an untrusted workspace runs nothing.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { PythonHelperError } from '../../core/python';
import { preflightRecipe, PreflightReport } from '../../core/preflight';
import { makeNonce } from '../../ui/chat/webviewHtml';
import { guarded, Host, UserFacingError } from '../host';
import { resolvePython } from '../python/interpreter';
import { preflightHtml } from '../../ui/preflight/preflightHtml';

async function pickRecipe(root: string): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: 'ML Intern: pick a recipe folder (holding train.py) or a train.py',
    openLabel: 'Preview tokens',
    canSelectMany: false,
    canSelectFolders: true,
    canSelectFiles: true,
    defaultUri: vscode.Uri.file(root),
    filters: { 'Training scripts': ['py'] },
  });
  return picked?.[0];
}

export async function previewTrainingTokens(host: Host, arg?: unknown): Promise<PreflightReport | undefined> {
  const files = host.requireWritableWorkspace('preview training tokens');
  const uri = arg instanceof vscode.Uri ? arg : await pickRecipe(files.root);
  if (!uri) return undefined;
  if (uri.scheme !== 'file') throw new UserFacingError(`ML Intern: cannot preview ${uri.toString()}: pick a recipe on this machine.`);
  const python = await resolvePython(host);
  let report: PreflightReport;
  try {
    report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'ML Intern: tokenizing rows as trl will…', cancellable: true },
      (_progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return preflightRecipe(python.path, uri.fsPath, { cwd: files.root, signal: abort.signal });
      },
    );
  } catch (err) {
    if (err instanceof PythonHelperError) throw new UserFacingError(`ML Intern: ${err.message}`);
    throw err;
  }
  const name = vscode.workspace.asRelativePath(uri, false);
  const panel = vscode.window.createWebviewPanel('mlIntern.preflight', `Training tokens: ${name}`, vscode.ViewColumn.Beside, {
    enableScripts: false,
    localResourceRoots: [],
  });
  panel.webview.html = preflightHtml(report, makeNonce((n) => randomBytes(n)));
  host.logger.info(`Previewed training tokens of ${name} with ${python.path}: ${report.checks.filter((c) => c.status === 'fail').length} failed check(s)`);
  return report;
}

export function registerPreflightPreview(host: Host): void {
  host.context.subscriptions.push(
    vscode.commands.registerCommand('mlIntern.previewTrainingTokens', guarded(host, 'previewTrainingTokens', (arg?: unknown) => previewTrainingTokens(host, arg))),
  );
}
