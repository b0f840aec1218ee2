/**
 * Entry point of the extension host side. Activation builds the window's
 * services once (services.ts) and wires the areas together; each area
 * registers its own commands and views.
 */
import * as vscode from 'vscode';
import { createHost } from './host';
import { registerSetApiKey } from './commands/setApiKey';
import { registerAreas } from './areas';
import { createServices } from './services';

export async function activate(context: vscode.ExtensionContext) {
  const started = Date.now();
  const host = createHost(context);
  const services = createServices(host);
  registerSetApiKey(host);
  registerAreas(host, services);
  void host.secrets.primeRedactor();
  host.logger.info(`ML Intern activated in ${Date.now() - started} ms (trusted: ${host.isTrusted()}, remote: ${vscode.env.remoteName ?? 'none'}).`);
  // The extension-host suite drives the window's own services through these.
  return { host, review: services.review, services };
}

export function deactivate() {
  // Runs are detached processes; nothing to stop here. Disposables go with context.subscriptions.
}
