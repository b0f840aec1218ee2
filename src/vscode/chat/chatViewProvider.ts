/**
 * The chat side panel (webview view `mlIntern.chat`): the VS Code glue
 * around {@link PanelController}. The webview is not kept alive when hidden
 * (no retainContextWhenHidden): the controller replays the run's event log
 * when the page says `ready`, and rebuilds it from the run folder after a
 * window reload.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { AgentEvent } from '../../core/events';
import type { PanelConfig } from '../../core/protocol';
import { Host } from '../host';
import type { ChatHandlers } from './handlers';
import { CHAT_RUN, PanelController } from '../../ui/chat/panelController';
import { listRuns, replayRun } from '../../ui/chat/runReplay';
import { chatHtml, makeNonce } from '../../ui/chat/webviewHtml';
import { defaultChat } from './defaultChat';

export const CHAT_VIEW_ID = 'mlIntern.chat';

export class ChatPanel implements vscode.WebviewViewProvider {
  readonly controller: PanelController;
  private view: vscode.WebviewView | undefined;

  /** `handlers` is the window's one registry (services.ts): read at each message, since the session areas fill it after the panel is built. */
  constructor(
    private readonly host: Host,
    handlers: Readonly<ChatHandlers>,
  ) {
    this.controller = new PanelController({
      post: (msg) => this.view?.webview.postMessage(msg) ?? false,
      config: () => panelConfig(host),
      listRuns: async () => {
        const files = host.fileStore();
        return files ? listRuns(files) : [];
      },
      loadRun: async (runId) => {
        const files = host.fileStore();
        return files ? replayRun(files, runId) : undefined;
      },
      chat: (text, runId) => (handlers.chat ?? defaultChat)(text, { host, runId }),
      stop: async (runId) => {
        await vscode.commands.executeCommand('mlIntern.stopRun', runId ?? undefined);
      },
      accept: (changeId) => review(host, handlers, 'accept', changeId),
      reject: (changeId, reason) => review(host, handlers, 'reject', changeId, reason),
      review: (changeId) => review(host, handlers, 'reveal', changeId),
      openExternal: async (href) => {
        await vscode.env.openExternal(vscode.Uri.parse(href, true));
      },
      fineTune: async () => {
        await vscode.commands.executeCommand('mlIntern.fineTune');
      },
      showRuns: async () => {
        await vscode.commands.executeCommand('mlIntern.showRuns');
      },
      setApiKey: async () => {
        await vscode.commands.executeCommand('mlIntern.setApiKey');
      },
      modelAction: async (action, folder) => {
        await vscode.commands.executeCommand(MODEL_ACTION_COMMANDS[action], folder);
      },
      log: (level, message) => host.logger[level](message),
    });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const ext = this.host.context.extensionUri;
    view.webview.options = {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [vscode.Uri.joinPath(ext, 'dist'), vscode.Uri.joinPath(ext, 'media')],
    };
    view.webview.html = chatHtml({
      cspSource: view.webview.cspSource,
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(ext, 'dist', 'webview.js')).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(ext, 'dist', 'chat.css')).toString(),
      nonce: makeNonce((n) => randomBytes(n)),
    });
    const subs = [
      view.webview.onDidReceiveMessage((m: unknown) => void this.controller.onMessage(m)),
      // Hidden views lose their page; the next `ready` gets a full replay.
      view.onDidChangeVisibility(() => {
        if (!view.visible) this.controller.onHidden();
      }),
    ];
    view.onDidDispose(() => {
      this.controller.onHidden();
      if (this.view === view) this.view = undefined;
      for (const s of subs) s.dispose();
    });
  }

  /** Reveal the panel (and optionally one run in it). */
  async reveal(runId?: string): Promise<void> {
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    if (runId) await this.controller.openRun(runId);
  }

  focusInput(): void {
    if (this.view) void this.view.webview.postMessage({ type: 'focusInput' });
  }
}

/** The command behind each button of a trained model's card; each takes the folder as its argument. */
const MODEL_ACTION_COMMANDS = { tryIt: 'mlIntern.tryIt', evaluate: 'mlIntern.evaluate', export: 'mlIntern.exportModel' } as const;

export function panelConfig(host: Host): PanelConfig {
  const s = host.settings();
  return { provider: s.provider, model: s.model, trusted: host.isTrusted(), recipeMode: s.provider === 'none', hasWorkspace: !!host.workspaceRoot() };
}

/** Accept / reject / reveal through the review controller when set, else through its commands. */
async function review(host: Host, handlers: Readonly<ChatHandlers>, action: 'accept' | 'reject' | 'reveal', changeId: string, reason?: string): Promise<void> {
  const controls = handlers.review;
  if (controls) {
    // A card whose change the review no longer holds (decided from the diff, or a window
    // reload since) must say so: a button that does nothing reads as broken.
    if (!controls.get(changeId)) {
      host.logger.warn(`Chat panel: ${action} of change ${changeId}, which is not pending review.`);
      void vscode.window.showWarningMessage(
        'ML Intern: this change is no longer waiting for review (it was already decided, or the window was reloaded since). Its file is as the run left it; the run folder keeps every proposed version.',
      );
      return;
    }
    if (action === 'accept') await controls.accept(changeId);
    else if (action === 'reject') await controls.reject(changeId, reason);
    else await controls.reveal(changeId);
    return;
  }
  const command = action === 'accept' ? 'mlIntern.acceptChange' : action === 'reject' ? 'mlIntern.rejectChange' : 'mlIntern.reviewChange';
  const all = await vscode.commands.getCommands(true);
  if (!all.includes(command)) {
    host.logger.warn(`Chat panel: ${command} is not registered.`);
    void vscode.window.showWarningMessage('ML Intern: the diff review is not available in this window yet. Open the proposed file from the run folder to review it.');
    return;
  }
  // An empty reason, not undefined: the command would ask again.
  if (action === 'reject') await vscode.commands.executeCommand(command, changeId, reason ?? '');
  else await vscode.commands.executeCommand(command, changeId);
}

/** Registers the panel built at activation (services.ts; the commands reveal runs through the same one). */
export function registerChatView(host: Host, panel: ChatPanel): void {
  const c = panel.controller;
  host.context.subscriptions.push(
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, panel),
    host.events.subscribe((e: AgentEvent) => c.onEvent(e)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mlIntern')) c.sendConfig();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => c.sendConfig()),
    { dispose: () => c.dispose() },
  );
}

export { CHAT_RUN };
