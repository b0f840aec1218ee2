/**
 * Open Chat, Show Runs and Stop Run. Stopping goes through the handler the
 * session sets (handlers.stop); until then the command says so plainly.
 */
import * as vscode from 'vscode';
import { guarded, Host } from '../host';
import { ChatPanel, CHAT_VIEW_ID } from '../chat/chatViewProvider';
import type { ChatHandlers } from '../chat/handlers';
import { listRuns } from '../../ui/chat/runReplay';
import type { RunTracker } from '../statusBar';

/** What the run commands reach: the window's panel, its status-bar run and its stop handler (services.ts). */
export interface RunCommandServices {
  readonly chat: ChatPanel;
  readonly runs: RunTracker;
  readonly handlers: Readonly<ChatHandlers>;
}

export async function openChat(chat: ChatPanel): Promise<void> {
  await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
  chat.focusInput();
}

export async function showRuns(host: Host, chat: ChatPanel, runId?: unknown): Promise<void> {
  if (typeof runId === 'string' && runId) {
    await chat.reveal(runId);
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
  if (picked) await chat.reveal(picked.runId);
}

export async function stopRun(host: Host, services: RunCommandServices, runId?: unknown): Promise<void> {
  const id = typeof runId === 'string' && runId ? runId : services.runs.activeRun()?.runId;
  const stop = services.handlers.stop;
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

export function registerRunCommands(host: Host, services: RunCommandServices): void {
  const { chat } = services;
  host.context.subscriptions.push(
    vscode.commands.registerCommand('mlIntern.openChat', guarded(host, 'openChat', () => openChat(chat))),
    vscode.commands.registerCommand('mlIntern.showRuns', guarded(host, 'showRuns', (runId?: unknown) => showRuns(host, chat, runId))),
    vscode.commands.registerCommand('mlIntern.stopRun', guarded(host, 'stopRun', (runId?: unknown) => stopRun(host, services, runId))),
  );
}
