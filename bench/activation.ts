/**
 * Activation: bundle the extension as `node esbuild.js --production` does
 * (esbuild.js's own targets: minified, vscode and node-pty external, the LLM and
 * MCP SDKs in dist/llm.js and dist/mcp.js loaded on first use) into a temp
 * folder, load it with a stub `vscode` module injected through
 * Module._resolveFilename, and time `activate()`. Also the bundle sizes and the
 * time to load the provider bundle on first use. Goal: ≤ 20 ms, ≤ 1 MB without node-pty.
 */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { BenchResult } from './run';

/** A do-nothing object graph: any property is another stub, any call returns one, with the few plain values activation reads. */
function stub(name: string): unknown {
  const fn = function () {
    return undefined;
  };
  const cache = new Map<PropertyKey, unknown>();
  return new Proxy(fn, {
    get(_t, prop) {
      if (prop === 'then') return undefined;
      if (prop === Symbol.toPrimitive) return () => name;
      if (prop === 'toString') return () => name;
      if (!cache.has(prop)) cache.set(prop, stub(`${name}.${String(prop)}`));
      return cache.get(prop);
    },
    apply: () => stub(`${name}()`),
    construct: () => stub(`new ${name}`) as object,
  });
}

function fakeVscode(root: string): unknown {
  const disposable = { dispose() {} };
  const event = () => disposable;
  const config = { get: (_k: string, d?: unknown) => d, has: () => false, inspect: () => undefined, update: async () => undefined };
  const uri = (p: string) => ({ fsPath: p, path: p, scheme: 'file', toString: () => `file://${p}`, with: () => uri(p) });
  const base = {
    workspace: {
      isTrusted: true,
      workspaceFolders: [{ uri: uri(root), name: 'ws', index: 0 }],
      getConfiguration: () => config,
      onDidChangeConfiguration: event,
      onDidGrantWorkspaceTrust: event,
      onDidChangeWorkspaceFolders: event,
      onDidSaveTextDocument: event,
      onDidChangeTextDocument: event,
      onDidCloseTextDocument: event,
      registerTextDocumentContentProvider: () => disposable,
      registerFileSystemProvider: () => disposable,
      createFileSystemWatcher: () => ({ onDidChange: event, onDidCreate: event, onDidDelete: event, dispose() {} }),
      textDocuments: [],
    },
    window: {
      createOutputChannel: () => ({ appendLine() {}, append() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {}, show() {}, dispose() {} }),
      createStatusBarItem: () => ({ show() {}, hide() {}, dispose() {} }),
      registerWebviewViewProvider: () => disposable,
      registerTreeDataProvider: () => disposable,
      createTreeView: () => ({ dispose() {}, onDidChangeVisibility: event }),
      onDidChangeActiveTextEditor: event,
      onDidChangeVisibleTextEditors: event,
      onDidCloseTerminal: event,
      visibleTextEditors: [],
      createTextEditorDecorationType: () => disposable,
      showInformationMessage: async () => undefined,
      showWarningMessage: async () => undefined,
      showErrorMessage: async () => undefined,
    },
    commands: { registerCommand: () => disposable, executeCommand: async () => undefined, registerTextEditorCommand: () => disposable },
    languages: { createDiagnosticCollection: () => ({ set() {}, delete() {}, clear() {}, dispose() {} }), registerCodeLensProvider: () => disposable, registerCodeActionsProvider: () => disposable },
    env: { remoteName: undefined, uiKind: 1, openExternal: async () => true },
    Uri: { file: uri, joinPath: (u: { fsPath: string }, ...p: string[]) => uri(path.join(u.fsPath, ...p)), parse: (s: string) => uri(s.replace(/^file:\/\//, '')) },
    EventEmitter: class {
      event = event;
      fire() {}
      dispose() {}
    },
    Disposable: class {
      static from() {
        return disposable;
      }
      dispose() {}
    },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ViewColumn: { One: 1, Two: 2, Beside: -2, Active: -1 },
  };
  // esbuild's CJS interop copies only own keys, so every name the extension uses must be a real property.
  const classes = ['CodeLens', 'Diagnostic', 'FileSystemError', 'LanguageModelChatMessage', 'LanguageModelError', 'LanguageModelTextPart', 'LanguageModelToolCallPart', 'LanguageModelToolResultPart', 'Range', 'Position', 'Selection', 'RelativePattern', 'TabInputText', 'TabInputTextDiff', 'ThemeColor', 'ThemeIcon', 'WorkspaceEdit', 'MarkdownString', 'TreeItem', 'CancellationTokenSource'];
  for (const c of classes) (base as Record<string, unknown>)[c] = class { constructor(...args: unknown[]) { Object.assign(this, { args }); } };
  for (const e of ['ConfigurationTarget', 'DiagnosticSeverity', 'FileChangeType', 'FileType', 'OverviewRulerLane', 'QuickInputButtons', 'TreeItemCollapsibleState', 'ProgressLocation', 'QuickPickItemKind', 'lm', 'extensions', 'tasks', 'debug', 'l10n', 'chat']) {
    if (!(e in base)) (base as Record<string, unknown>)[e] = stub(`vscode.${e}`);
  }
  // Namespaces: what activation does not use explicitly answers with a stub.
  for (const ns of ['workspace', 'window', 'commands', 'languages', 'env'] as const) {
    const t = base[ns] as Record<PropertyKey, unknown>;
    (base as Record<string, unknown>)[ns] = new Proxy(t, { get: (o, k) => (k in o ? o[k] : stub(`vscode.${ns}.${String(k)}`)) });
  }
  return base;
}

function fakeContext(root: string): unknown {
  const memento = () => { const m = new Map<string, unknown>(); return { get: (k: string, d?: unknown) => (m.has(k) ? m.get(k) : d), update: async (k: string, v: unknown) => void m.set(k, v), keys: () => [...m.keys()], setKeysForSync() {} }; };
  const storage = mkdtempSync(path.join(tmpdir(), 'mli-act-storage-'));
  const uri = (p: string) => ({ fsPath: p, path: p, scheme: 'file', toString: () => `file://${p}` });
  return {
    subscriptions: [] as unknown[],
    workspaceState: memento(),
    globalState: memento(),
    secrets: { get: async () => undefined, store: async () => undefined, delete: async () => undefined, onDidChange: () => ({ dispose() {} }) },
    extensionUri: uri(path.resolve(__dirname, '..')),
    extensionPath: path.resolve(__dirname, '..'),
    storageUri: uri(storage),
    globalStorageUri: uri(storage),
    logUri: uri(storage),
    extensionMode: 1,
    asAbsolutePath: (p: string) => path.resolve(__dirname, '..', p),
    environmentVariableCollection: stub('envCollection'),
    extension: { packageJSON: { version: '0.1.0' } },
    workspaceRoot: root,
  };
}

export default async function activationBench(): Promise<BenchResult> {
  const out = mkdtempSync(path.join(tmpdir(), 'mli-act-'));
  const outfile = path.join(out, 'extension.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { extensionTargets } = require('../esbuild.js') as { extensionTargets: (outdir: string, o: object) => import('esbuild').BuildOptions[] };
  for (const t of extensionTargets(out, { minify: true, sourcemap: false, plugins: [] })) await esbuild.build(t);
  const bytes = statSync(outfile).size;
  const llmBytes = statSync(path.join(out, 'llm.js')).size;
  const mcpBytes = statSync(path.join(out, 'mcp.js')).size;
  const root = mkdtempSync(path.join(tmpdir(), 'mli-act-ws-'));
  writeFileSync(path.join(root, 'README.md'), 'workspace\n');
  const stubPath = path.join(out, 'vscode-stub.js');
  writeFileSync(stubPath, 'module.exports = globalThis.__mliVscodeStub;\n');
  (globalThis as Record<string, unknown>).__mliVscodeStub = fakeVscode(root);
  const M = Module as unknown as { _resolveFilename: (req: string, ...rest: unknown[]) => string };
  const original = M._resolveFilename;
  M._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? stubPath : original.call(this, request, ...rest);
  };
  const times: number[] = [];
  let loadMs = 0;
  let llmLoadMs = NaN;
  let error = '';
  try {
    const t0 = process.hrtime.bigint();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ext = require(outfile) as { activate(ctx: unknown): Promise<unknown> };
    loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
    for (let i = 0; i < 5; i++) {
      const t1 = process.hrtime.bigint();
      await ext.activate(fakeContext(root));
      times.push(Number(process.hrtime.bigint() - t1) / 1e6);
    }
    // What the first chat message with a provider set pays once: evaluating dist/llm.js (the SDKs).
    // The modules it shares with the extension bundle (set by the extension's loader on first use).
    const g = globalThis as Record<symbol, unknown>;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    g[Symbol.for('ml-intern.shared-modules')] ??= { 'src/core/llm/types': require('../src/core/llm/types'), 'src/core/util/redact': require('../src/core/util/redact') };
    const t2 = process.hrtime.bigint();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(path.join(out, 'llm.js'));
    llmLoadMs = Number(process.hrtime.bigint() - t2) / 1e6;
  } catch (err) {
    error = err instanceof Error ? err.message.split('\n')[0] : String(err);
  } finally {
    M._resolveFilename = original;
  }
  const first = times[0] ?? NaN;
  const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? NaN;
  const ok = !error && first <= 20 && bytes <= 1024 * 1024;
  return {
    name: 'activation (dist/extension.js, production bundle, stub vscode)',
    goal: 'activate() ≤ 20 ms, bundle ≤ 1 MB without node-pty (require time reported apart)',
    ok,
    figures: {
      'bundle size': `${(bytes / 1024).toFixed(0)} KiB`,
      'require(bundle)': `${loadMs.toFixed(1)} ms`,
      'lazy bundles (loaded on first use)': `llm.js ${(llmBytes / 1024).toFixed(0)} KiB, mcp.js ${(mcpBytes / 1024).toFixed(0)} KiB`,
      'first use of a provider: require(llm.js)': `${llmLoadMs.toFixed(1)} ms`,
      'first activate()': `${first.toFixed(1)} ms`,
      'activate() median of 5': `${median.toFixed(1)} ms`,
      ...(error ? { error } : {}),
    },
  };
}
