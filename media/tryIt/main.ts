// The Try-it view's entry point (bundled to dist/tryit.js by esbuild.js).
import { TryItApp } from './app';
import type { TryItFromView, TryItToView } from '../../src/core/export/tryItView';

interface VsCodeApi {
  postMessage(msg: TryItFromView): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('app');
if (root) {
  const app = new TryItApp(document, root, (m) => vscode.postMessage(m));
  window.addEventListener('message', (ev: MessageEvent) => app.onMessage(ev.data as TryItToView));
  app.start();
}
