import { promises as fs, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { FileStore, OutsideWorkspaceError } from '../ports';
import { isDiskFull } from './diskErrors';
import { refuseSpecialFile } from './regularFile';

/**
 * A FileStore on the local disk, confined to `root`.
 * Both the VS Code host (extensionKind "workspace": the files are local to the
 * extension host, also under Remote-SSH) and the CLI use it.
 */
export class NodeFileStore implements FileStore {
  readonly root: string;

  constructor(root: string) {
    this.root = realpathOrSelf(path.resolve(root));
  }

  resolve(p: string): string {
    const abs = path.resolve(this.root, p);
    if (!isInside(this.root, abs)) throw new OutsideWorkspaceError(p, this.root);
    // Follow symlinks of the longest existing prefix: a link inside the
    // workspace that points outside it must not be a way out.
    const real = realpathOfExistingPrefix(abs);
    if (!isInside(this.root, real)) throw new OutsideWorkspaceError(p, this.root);
    return abs;
  }

  async read(p: string): Promise<string> {
    const abs = this.resolve(p);
    // A FIFO in the workspace (or a link to a device) would block or never end: refused by name.
    await refuseSpecialFile(abs, p);
    return fs.readFile(abs, 'utf8');
  }

  async readIfExists(p: string): Promise<string | undefined> {
    try {
      return await this.read(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async write(p: string, text: string): Promise<void> {
    const abs = this.resolve(p);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    // Write to a temporary file then rename, so a full disk or a crash never
    // leaves a half-written script behind.
    const tmp = `${abs}.ml-intern-${process.pid}-${Date.now()}.tmp`;
    try {
      await fs.writeFile(tmp, text, 'utf8');
      await fs.rename(tmp, abs);
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  async append(p: string, text: string): Promise<void> {
    const abs = this.resolve(p);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    const before = await fs.stat(abs).then((s) => s.size, () => 0);
    try {
      await fs.appendFile(abs, text, 'utf8');
    } catch (err) {
      // A full disk can cut an append short: cut the file back to where it was, so a
      // JSONL file never keeps half a line that the next append would run into.
      if (isDiskFull(err)) await fs.truncate(abs, before).catch(() => undefined);
      throw err;
    }
  }

  async createDir(p: string): Promise<boolean> {
    const abs = this.resolve(p);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    // Not recursive: mkdir(2) either creates the folder or fails with EEXIST,
    // atomically across processes (a recursive mkdir succeeds on an existing one).
    try {
      await fs.mkdir(abs);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  }

  async exists(p: string): Promise<boolean> {
    try {
      await fs.stat(this.resolve(p));
      return true;
    } catch (err) {
      if (err instanceof OutsideWorkspaceError) throw err;
      return false;
    }
  }

  async list(dir: string, options: { recursive?: boolean; limit?: number } = {}): Promise<string[]> {
    const limit = options.limit ?? 2000;
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(this.resolve(rel), { withFileTypes: true });
      } catch {
        return;
      }
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const e of entries) {
        if (out.length >= limit) return;
        const child = rel === '' || rel === '.' ? e.name : `${rel}/${e.name}`;
        out.push(e.isDirectory() ? `${child}/` : child);
        if (options.recursive && e.isDirectory() && !SKIP_DIRS.has(e.name)) await walk(child);
      }
    };
    await walk(dir);
    return out;
  }
}

const SKIP_DIRS = new Set(['.git', 'node_modules', '__pycache__', '.venv', 'venv', 'wandb']);

export function isInside(root: string, abs: string): boolean {
  const rel = path.relative(root, abs);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function realpathOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function realpathOfExistingPrefix(abs: string): string {
  let cur = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync(cur), ...tail.reverse());
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return abs;
      tail.push(path.basename(cur));
      cur = parent;
    }
  }
}
