/**
 * The folder picker of Evaluate / Merge / Push / Try It / Export: the workspace's adapter and model
 * folders, or a typed one, checked (src/ui/commands/modelFolderCheck.ts) before it is accepted; and the refusal of
 * these commands in an untrusted workspace (they write scripts and run them).
 */
import * as vscode from 'vscode';
import { Host } from '../host';
import { checkHubModel } from '../../ui/wizard/hubModelCheck';
import { checkModelFolder, FolderCheck, FolderUse } from '../../ui/commands/modelFolderCheck';

/** Folders in the workspace holding a trained adapter or model (adapter_config.json / config.json). */
async function modelFolders(): Promise<string[]> {
  try {
    const uris = await vscode.workspace.findFiles('**/{adapter_config.json,config.json}', '{**/node_modules/**,**/.git/**,**/.venv/**,**/.vscode/**}', 100);
    const dirs = new Set(uris.map((u) => vscode.workspace.asRelativePath(vscode.Uri.joinPath(u, '..'), false)));
    return [...dirs].sort();
  } catch {
    return [];
  }
}

/**
 * Pick (or type) the folder to work on. What is accepted is checked first (src/ui/commands/modelFolderCheck.ts): a
 * folder that cannot be used keeps the picker open with why, atop the list.
 */
export async function pickModelFolder(host: Host, use: FolderUse, title: string, placeHolder: string): Promise<{ value: string; check: FolderCheck & { ok: true } } | undefined> {
  const folders = await modelFolders();
  const root = host.workspaceRoot() ?? '.';
  const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { invalid?: boolean }>();
  qp.title = title;
  qp.placeholder = placeHolder;
  qp.ignoreFocusOut = true;
  const base = folders.map((f) => ({ label: f, description: 'workspace folder' }));
  qp.items = base;
  return new Promise((resolve) => {
    let done = false;
    qp.onDidChangeValue((v) => {
      const t = v.trim();
      qp.items = t && !folders.includes(t) ? [{ label: t, description: use === 'evaluate' ? 'use as typed (folder or Hub id)' : 'use as typed', alwaysShow: true }, ...base] : base;
    });
    const accept = async () => {
      const sel = qp.selectedItems[0] ?? qp.activeItems[0];
      const value = (sel && !sel.invalid ? sel.label : undefined) ?? qp.value.trim();
      if (!value || qp.busy) return;
      qp.busy = true;
      const check = await checkPicked(host, root, value, use);
      qp.busy = false;
      if (done) return;
      if (!check.ok) {
        // Why, atop the list; the typed text stays so the user can correct it.
        qp.items = [{ label: `$(warning) ${value} cannot be used`, detail: check.message, alwaysShow: true, invalid: true }, ...base];
        return;
      }
      done = true;
      resolve({ value, check });
      qp.hide();
    };
    // (The check may read the disk and ask the Hub: a second Enter meanwhile is ignored through qp.busy.)
    qp.onDidAccept(() => void accept());
    qp.onDidHide(() => {
      if (!done) resolve(undefined);
      done = true;
      qp.dispose();
    });
    qp.show();
  });
}

/**
 * The folder a command was given (a trained model's card in the panel passes its folder) when it
 * passes the same check as a picked one; otherwise, or with none, the picker (saying why, when given).
 */
export async function givenOrPickedFolder(host: Host, use: FolderUse, given: unknown, title: string, placeHolder: string): ReturnType<typeof pickModelFolder> {
  const value = typeof given === 'string' ? given.trim() : '';
  if (value) {
    const check = await checkPicked(host, host.workspaceRoot() ?? '.', value, use);
    if (check.ok) return { value, check };
    void vscode.window.showWarningMessage(`ML Intern: ${value} cannot be used (${check.message}). Pick another folder.`);
  }
  return pickModelFolder(host, use, title, placeHolder);
}

/** The folder check, and for a Hub id (Evaluate only) whether the Hub has it: offline goes on, as the wizard does. */
async function checkPicked(host: Host, root: string, value: string, use: FolderUse): Promise<FolderCheck> {
  const check = await checkModelFolder(root, value, use);
  if (!check.ok || check.kind !== 'hub') return check;
  const token = await host.secrets.get('hf').catch(() => undefined);
  const hub = await checkHubModel(value.trim(), { token, endpoint: process.env.HF_ENDPOINT });
  if (hub.kind === 'not_found') return { ok: false, message: `No workspace folder ${value}, and ${hub.message}` };
  if (hub.kind === 'unchecked') host.logger.info(`Evaluate: ${value} not checked on the Hub: ${hub.reason}.`);
  return check;
}

export function refuseUntrusted(host: Host, what: string): boolean {
  if (host.isTrusted()) return false;
  void vscode.window.showWarningMessage(`ML Intern: ${what} writes a script and runs it, which is disabled in an untrusted workspace. Use "Workspaces: Manage Workspace Trust" to trust it.`);
  return true;
}
