/**
 * An in-memory file system for the proposed side of each review, so the
 * proposal opens as an ordinary editable document (undo, multi-cursor,
 * formatting…) while the real file stays untouched until the user accepts.
 * Saving (Ctrl+S) only updates this memory.
 */
import * as vscode from 'vscode';

/**
 * Where a proposal is kept: /<changeId>/<path>. The change id travels in the URI's query, not its
 * path, so the breadcrumb and the Problems view show the file's own folders (issue 25 polish).
 */
function key(uri: vscode.Uri): string {
  return uri.query ? `/${uri.query}${uri.path}` : uri.path;
}

/** How many decided proposals stay readable. */
const KEEP_DECIDED = 16;

export class ProposedFileSystem implements vscode.FileSystemProvider {
  private readonly files = new Map<string, { data: Uint8Array; mtime: number; ctime: number }>();
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;

  set(uri: vscode.Uri, text: string): void {
    const now = Date.now();
    const existed = this.files.get(key(uri));
    this.files.set(key(uri), { data: Buffer.from(text, 'utf8'), mtime: Math.max(now, (existed?.mtime ?? 0) + 1), ctime: existed?.ctime ?? now });
    this.emitter.fire([{ type: existed ? vscode.FileChangeType.Changed : vscode.FileChangeType.Created, uri }]);
  }

  get(uri: vscode.Uri): string | undefined {
    const f = this.files.get(key(uri));
    return f ? Buffer.from(f.data).toString('utf8') : undefined;
  }

  /**
   * Forget a decided proposal. The last few stay readable (no 'deleted'
   * event): the workbench may re-read a just-closed document, which would
   * otherwise log errors.
   */
  remove(uri: vscode.Uri): void {
    if (!this.files.has(key(uri))) return;
    this.retired.push(key(uri));
    while (this.retired.length > KEEP_DECIDED) this.files.delete(this.retired.shift()!);
  }
  private readonly retired: string[] = [];

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    const f = this.files.get(key(uri));
    if (f) return { type: vscode.FileType.File, ctime: f.ctime, mtime: f.mtime, size: f.data.byteLength };
    if (this.isDirectory(key(uri))) return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
    throw vscode.FileSystemError.FileNotFound(uri);
  }

  readDirectory(uri: vscode.Uri): [string, vscode.FileType][] {
    const prefix = key(uri).endsWith('/') ? key(uri) : `${key(uri)}/`;
    const out = new Map<string, vscode.FileType>();
    for (const p of this.files.keys()) {
      if (!p.startsWith(prefix)) continue;
      const [first, ...rest] = p.slice(prefix.length).split('/');
      out.set(first, rest.length ? vscode.FileType.Directory : vscode.FileType.File);
    }
    return [...out];
  }

  readFile(uri: vscode.Uri): Uint8Array {
    const f = this.files.get(key(uri));
    if (!f) throw vscode.FileSystemError.FileNotFound(uri);
    return f.data;
  }

  writeFile(uri: vscode.Uri, content: Uint8Array): void {
    // Only documents of a pending review exist here; saving one keeps the user's edits in memory.
    if (!this.files.has(key(uri))) throw vscode.FileSystemError.NoPermissions('ML Intern proposals cannot be created by hand.');
    const f = this.files.get(key(uri))!;
    this.files.set(key(uri), { data: content, ctime: f.ctime, mtime: Math.max(Date.now(), f.mtime + 1) });
    this.emitter.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  createDirectory(): void {
    // Folders are implied by the files' paths.
  }

  delete(uri: vscode.Uri): void {
    if (this.files.delete(key(uri))) this.emitter.fire([{ type: vscode.FileChangeType.Deleted, uri }]);
  }

  rename(): void {
    throw vscode.FileSystemError.NoPermissions('Rename the file after accepting the change.');
  }

  private isDirectory(path: string): boolean {
    const prefix = path.endsWith('/') ? path : `${path}/`;
    return path === '/' || [...this.files.keys()].some((p) => p.startsWith(prefix));
  }
}

/** The read-only left side: content is set by the controller and refreshed on change. */
export class OriginalContentProvider implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;

  set(uri: vscode.Uri, text: string): void {
    const had = this.texts.has(uri.toString());
    if (this.texts.get(uri.toString()) === text) return;
    this.texts.set(uri.toString(), text);
    if (had) this.emitter.fire(uri);
  }

  remove(uri: vscode.Uri): void {
    this.texts.delete(uri.toString());
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }
}
