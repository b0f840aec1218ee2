/**
 * The VS Code host: the services every area of the extension shares.
 * Areas (commands, chat, review, terminal, runs) receive it in their
 * `register…(host)` function instead of reaching for globals.
 */
import * as vscode from 'vscode';
import { Logger } from '../core/ports';
import { Settings } from '../core/settings';
import { NodeFileStore } from '../core/util/nodeFileStore';
import { redactor } from '../core/util/redact';
import { EventBus } from '../core/util/eventBus';
import { readSettings } from './settings';
import { VsCodeSecrets } from './secrets/vscodeSecrets';

export interface Host {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly logger: Logger;
  readonly secrets: VsCodeSecrets;
  /** Every AgentEvent of every run; the chat panel and the status bar subscribe. */
  readonly events: EventBus;
  /** Errors logged since activation (the extension-host suite asserts a clean start). */
  readonly loggedErrors: string[];
  settings(): Settings;
  /** The first workspace folder's local path, or undefined with no folder open. */
  workspaceRoot(): string | undefined;
  fileStore(): NodeFileStore | undefined;
  /** Workspace Trust: in an untrusted workspace nothing is run or written. */
  isTrusted(): boolean;
  /** Throws a user-facing message when the workspace is untrusted or missing. */
  requireWritableWorkspace(action: string): NodeFileStore;
}

export function createHost(context: vscode.ExtensionContext): Host {
  const log = vscode.window.createOutputChannel('ML Intern', { log: true });
  context.subscriptions.push(log);
  const loggedErrors: string[] = [];
  const logger: Logger = {
    info: (m) => log.info(redactor.redact(m)),
    warn: (m) => log.warn(redactor.redact(m)),
    error: (m) => {
      const text = redactor.redact(m);
      if (loggedErrors.length < 100) loggedErrors.push(text);
      log.error(text);
    },
    debug: (m) => log.debug(redactor.redact(m)),
  };
  const secrets = new VsCodeSecrets(context.secrets);
  const workspaceRoot = () => {
    const f = vscode.workspace.workspaceFolders?.[0];
    return f && f.uri.scheme === 'file' ? f.uri.fsPath : undefined;
  };
  const fileStore = () => {
    const root = workspaceRoot();
    return root ? new NodeFileStore(root) : undefined;
  };
  const events = new EventBus();
  return {
    context,
    log,
    events,
    loggedErrors,
    logger,
    secrets,
    settings: readSettings,
    workspaceRoot,
    fileStore,
    isTrusted: () => vscode.workspace.isTrusted,
    requireWritableWorkspace(action: string) {
      if (!vscode.workspace.isTrusted) {
        throw new UserFacingError(
          `ML Intern cannot ${action}: this workspace is not trusted, so nothing is run or written. Use "Workspaces: Manage Workspace Trust" to trust it.`,
        );
      }
      const store = fileStore();
      if (!store) throw new UserFacingError(`ML Intern cannot ${action}: open a folder first (File > Open Folder).`);
      return store;
    },
  };
}

/** An error whose message is shown to the user as it is (no stack trace). */
export class UserFacingError extends Error {}

/** Run a command body and turn any error into a clear notification (never a stack trace). */
export function guarded<A extends unknown[]>(host: Host, name: string, body: (...args: A) => Promise<unknown> | unknown) {
  return async (...args: A) => {
    try {
      return await body(...args);
    } catch (err) {
      const message = redactor.redact(err instanceof Error ? err.message : String(err));
      host.logger.error(`${name}: ${message}${err instanceof Error && !(err instanceof UserFacingError) ? `\n${err.stack ?? ''}` : ''}`);
      void vscode.window.showErrorMessage(message);
      return undefined;
    }
  };
}
