/**
 * A full disk (ENOSPC) or an exhausted quota (EDQUOT) while ML Intern writes
 * the run folder or a script. Node's own message ("ENOSPC: no space left on
 * device, write") names neither the file nor what to do, so writes are wrapped
 * to carry the file's path and the sessions turn it into one actionable line.
 */
import { accessSync, closeSync, constants, existsSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { FileStore } from '../ports';

type DiskFullCode = 'ENOSPC' | 'EDQUOT';

function diskFullCode(err: unknown): DiskFullCode | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' ? code : undefined;
}

export function isDiskFull(err: unknown): boolean {
  return diskFullCode(err) !== undefined;
}

/** A write refused by a full disk, with the workspace-relative path it was for. Keeps `code` so callers checking it still match. */
export class DiskFullError extends Error {
  readonly code: DiskFullCode;

  constructor(
    readonly path: string,
    cause: NodeJS.ErrnoException,
  ) {
    super(`${cause.message} (${path})`, { cause });
    this.name = 'DiskFullError';
    this.code = diskFullCode(cause) ?? 'ENOSPC';
  }
}

/** The same store, with disk-full write and append errors rethrown as DiskFullError naming the file. */
export function namingDiskFull(files: FileStore): FileStore {
  const named = (p: string) => (err: unknown) => {
    throw isDiskFull(err) && !(err instanceof DiskFullError) ? new DiskFullError(p, err as NodeJS.ErrnoException) : err;
  };
  return {
    get root() {
      return files.root;
    },
    resolve: (p) => files.resolve(p),
    read: (p) => files.read(p),
    readIfExists: (p) => files.readIfExists(p),
    write: (p, text) => files.write(p, text).catch(named(p)),
    append: (p, text) => files.append(p, text).catch(named(p)),
    createDir: (p) => files.createDir(p).catch(named(p)),
    exists: (p) => files.exists(p),
    list: (dir, options) => files.list(dir, options),
  };
}

export interface DiskFullContext {
  /** What could not be written when the error names no file, e.g. "the run folder .ml-intern/runs/…". */
  what: string;
  /** One or two sentences: how to go on once there is room, e.g. "Then continue the run: …". */
  resume: string;
}

/**
 * The message a user sees for a disk-full error: what was not written, that the
 * disk is full, what to do, and how to resume. Undefined for any other error.
 */
export function diskFullMessage(err: unknown, context: DiskFullContext): string | undefined {
  const code = diskFullCode(err);
  if (!code) return undefined;
  const what = err instanceof DiskFullError ? err.path : context.what;
  const full = code === 'EDQUOT' ? 'Your disk quota is used up (disk quota exceeded)' : 'The disk is full (no space left on device)';
  return `${full}: ML Intern could not write ${what}. Free some disk space or move the workspace to a disk with room. ${context.resume}`;
}

/**
 * Replace a file's bytes where they lie: no temporary file and, while the text fits in the room
 * the file already has on disk (its size, or its allocated blocks), no new blocks — what can still
 * be written once the disk is full, where write-then-rename needs room for a second copy. Used
 * for a run's last status, so a run that ended on a full disk says so instead of staying
 * "running". False when it does not fit or the file cannot be opened; a crash mid-write can tear
 * it (the status reader then reports it as unreadable).
 */
export function overwriteInPlace(absPath: string, text: string): boolean {
  const data = Buffer.from(text, 'utf8');
  let fd: number | undefined;
  try {
    fd = openSync(absPath, 'r+');
    const { size, blocks } = fstatSync(fd);
    if (data.length > Math.max(size, blocks * 512)) return false;
    writeSync(fd, data, 0, data.length, 0);
    if (data.length < size) ftruncateSync(fd, data.length);
    return true;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Codes a folder that cannot be written to gives: no permission, a read-only mount, a folder gone. */
const NOT_WRITABLE: Record<string, string> = { EACCES: 'permission denied', EPERM: 'not permitted', EROFS: 'a read-only file system' };

/** Why `folder` (absolute) cannot be written to, or undefined when it can: checked on it, or on the nearest folder above it that exists. */
export function unwritableFolder(folder: string): string | undefined {
  let existing = folder;
  while (!existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  try {
    accessSync(existing, constants.W_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const why = NOT_WRITABLE[code] ?? code;
    return `${folder} is not writable (${why}${existing === folder ? '' : ` in ${existing}`})`;
  }
}

/** The workspace (or a folder in it) refused a write: the message names the folder and what to do. */
export class NotWritableError extends Error {
  constructor(
    readonly folder: string,
    cause: NodeJS.ErrnoException,
  ) {
    super(
      `The workspace ${folder} is not writable (${NOT_WRITABLE[cause.code ?? ''] ?? cause.code}): ML Intern keeps its runs in .ml-intern/ there and writes the scripts beside your data. ` +
        'Open a folder you can write to (or fix its permissions, or mount it read-write) and start again.',
      { cause },
    );
    this.name = 'NotWritableError';
  }
}

/** A write refused for want of permission or on a read-only mount (not a full disk). */
export function isNotWritable(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && code in NOT_WRITABLE;
}
