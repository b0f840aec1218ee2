// Webview entry point (bundled to dist/webview.js by esbuild.js).
import { ChatApp, SavedState } from './app';
import { uplotFactory } from './uplotChart';
import type { WebviewMessage } from '../src/core/protocol';

interface VsCodeApi {
  postMessage(msg: WebviewMessage): void;
  getState(): unknown;
  setState(s: SavedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('app');
if (root) {
  const app = new ChatApp(
    root,
    {
      post: (m) => vscode.postMessage(m),
      getState: () => vscode.getState(),
      setState: (s) => vscode.setState(s),
      frame: (fn) => requestAnimationFrame(() => fn()),
    },
    { chartFactory: uplotFactory },
  );
  window.addEventListener('message', (ev: MessageEvent) => app.onMessage(ev.data));
  window.addEventListener('error', (ev) => vscode.postMessage({ type: 'error', message: String(ev.message).slice(0, 1000) }));
  app.start();
}
