import * as vscode from 'vscode';
import { Host } from '../host';

/** Placeholder chat panel: the real panel replaces this file. */
export function registerChatView(host: Host): void {
  const provider: vscode.WebviewViewProvider = {
    resolveWebviewView(view) {
      view.webview.options = { enableScripts: false };
      view.webview.html = `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none';"></head><body><p>ML Intern</p></body></html>`;
    },
  };
  host.context.subscriptions.push(vscode.window.registerWebviewViewProvider('mlIntern.chat', provider));
}
