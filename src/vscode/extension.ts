/**
 * Entry point of the extension host side. Activation only wires the areas
 * together; each area registers its own commands and views.
 */
import * as vscode from 'vscode';
import { createHost } from './host';
import { registerSetApiKey } from './commands/setApiKey';
import { registerAreas } from './areas';
import { getReviewController } from './review/register';

export async function activate(context: vscode.ExtensionContext) {
  const started = Date.now();
  const host = createHost(context);
  registerSetApiKey(host);
  registerAreas(host);
  void host.secrets.primeRedactor();
  host.logger.info(`ML Intern activated in ${Date.now() - started} ms (trusted: ${host.isTrusted()}, remote: ${vscode.env.remoteName ?? 'none'}).`);
  return { host, review: getReviewController() };
}

export function deactivate() {
  // Runs are detached processes; nothing to stop here. Disposables go with context.subscriptions.
}
