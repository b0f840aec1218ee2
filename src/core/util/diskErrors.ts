/**
 * A full disk (ENOSPC) or an exhausted quota (EDQUOT) while ML Intern writes
 * the run folder or a script. Node's own message ("ENOSPC: no space left on
 * device, write") names neither the file nor what to do, so writes are wrapped
 * to carry the file's path and the sessions turn it into one actionable line.
 */
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
