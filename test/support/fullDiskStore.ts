/**
 * A FileStore over a real one whose writes start failing the way a full disk
 * fails them: an Error with code ENOSPC, errno -28, syscall 'write' and Node's
 * message. Arm it by hand (`armed = true`) or from the Nth write on
 * (`failFrom`): once full, the disk stays full, so every later write and
 * append fails too. Reads always work.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FileStore } from '../../src/core/ports';

export function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}

export class FullDiskStore implements FileStore {
  armed = false;
  /** Writes and appends attempted so far (failed ones included). */
  writes = 0;
  /** Every write or append attempted once the disk was full, in order. */
  readonly refused: string[] = [];
  /** Called once, with the path, when the first write is refused (before it throws). */
  onFull?: (path: string) => void;

  constructor(
    private readonly inner: FileStore,
    /** The 1-based write (or append) that finds the disk full; undefined: only `armed` fails. */
    private failFrom?: number,
  ) {}

  /** Space was freed: writes work again. */
  free(): void {
    this.armed = false;
    this.failFrom = undefined;
  }

  get root(): string {
    return this.inner.root;
  }

  private check(p: string): void {
    this.writes++;
    if (this.failFrom !== undefined && this.writes >= this.failFrom) this.armed = true;
    if (!this.armed) return;
    if (this.refused.length === 0) this.onFull?.(p);
    this.refused.push(p);
    throw enospc();
  }

  resolve(p: string): string {
    return this.inner.resolve(p);
  }
  read(p: string): Promise<string> {
    return this.inner.read(p);
  }
  readIfExists(p: string): Promise<string | undefined> {
    return this.inner.readIfExists(p);
  }
  async write(p: string, t: string): Promise<void> {
    this.check(p);
    return this.inner.write(p, t);
  }
  async append(p: string, t: string): Promise<void> {
    this.check(p);
    return this.inner.append(p, t);
  }
  createDir(p: string): Promise<boolean> {
    return this.inner.createDir(p);
  }
  exists(p: string): Promise<boolean> {
    return this.inner.exists(p);
  }
  list(d: string, o?: { recursive?: boolean; limit?: number }): Promise<string[]> {
    return this.inner.list(d, o);
  }
}

/**
 * The text of every file under `dirs` (workspace-relative) of `root`, by
 * workspace-relative path, skipping paths that match `skip`: what was written
 * before a disk filled up, to compare with what is there afterwards.
 */
export function snapshotFiles(root: string, dirs: string[], skip?: RegExp): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${e.name}`;
      if (skip?.test(child)) continue;
      if (e.isDirectory()) walk(child);
      else out.set(child, readFileSync(path.join(root, child), 'utf8'));
    }
  };
  for (const d of dirs) if (existsSync(path.join(root, d))) walk(d);
  return out;
}
