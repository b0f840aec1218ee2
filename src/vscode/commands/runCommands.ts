/**
 * Open Chat, Show Runs and Stop Run. Stopping goes through the handler the
 * session sets (setStopHandler); until then the command says so plainly.
 */
import * as vscode from 'vscode';
import { guarded, Host } from '../host';
import { chatPanel, CHAT_VIEW_ID } from '../chat/chatViewProvider';
import { handlers } from '../chat/handlers';
import { listRuns } from '../chat/runReplay';
import { activeRun } from '../statusBar';

export async function openChat(): Promise<void> {
  await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
  chatPanel()?.focusInput();
}

export async function showRuns(host: Host, runId?: unknown): Promise<void> {
  if (typeof runId === 'string' && runId) {
    await chatPanel()?.reveal(runId);
    return;
  }
  const files = host.fileStore();
  if (!files) {
    void vscode.window.showInformationMessage('ML Intern: open a folder first; runs are kept in .ml-intern/runs inside it.');
    return;
  }
  const runs = await listRuns(files);
  if (!runs.length) {
    const action = await vscode.window.showInformationMessage('ML Intern: no runs in this workspace yet.', 'Fine-tune…');
    if (action) await vscode.commands.executeCommand('mlIntern.fineTune');
    return;
  }
  const picked = await vscode.window.showQuickPick(
    runs.map((r) => ({
      label: r.title,
      description: r.state,
      detail: `${r.runId}${r.updatedAt ? ` · updated ${new Date(r.updatedAt).toLocaleString()}` : ''}`,
      runId: r.runId,
    })),
    { title: 'ML Intern: runs', placeHolder: 'Pick a run to show in the chat panel', matchOnDetail: true },
  );
  if (picked) await chatPanel()?.reveal(picked.runId);
}

export async function stopRun(host: Host, runId?: unknown): Promise<void> {
  const id = typeof runId === 'string' && runId ? runId : activeRun()?.runId;
  const stop = handlers().stop;
  if (!stop) {
    void vscode.window.showWarningMessage(
      id
        ? `ML Intern: stopping runs is not wired in this build, so run ${id} was NOT stopped. Stop its process in the ML Intern terminal (Ctrl+C).`
        : 'ML Intern: no run is active.',
    );
    return;
  }
  const stopped = await stop(host, id);
  if (!stopped) void vscode.window.showInformationMessage('ML Intern: no run is active.');
}

export function registerRunCommands(host: Host): void {
  host.context.subscriptions.push(
    vscode.commands.registerCommand('mlIntern.openChat', guarded(host, 'openChat', () => openChat())),
    vscode.commands.registerCommand('mlIntern.showRuns', guarded(host, 'showRuns', (runId?: unknown) => showRuns(host, runId))),
    vscode.commands.registerCommand('mlIntern.stopRun', guarded(host, 'stopRun', (runId?: unknown) => stopRun(host, runId))),
  );
}
