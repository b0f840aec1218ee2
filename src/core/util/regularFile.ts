/**
 * Only regular files are read. Opening a named pipe that has no writer blocks the opening thread
 * forever — in Node a thread of the libuv pool, so the process cannot even exit, and four such reads
 * stop every file read of the extension host — and a device such as /dev/zero never ends. Every
 * reader of a path a user, a workspace or the agent names checks it here before opening it.
 */
import { statSync, Stats } from 'node:fs';
import { stat } from 'node:fs/promises';

/** What a path is when it is neither a regular file nor a folder ("a named pipe (FIFO)"), else undefined. */
export function specialFileKind(st: Stats): string | undefined {
  if (st.isFile() || st.isDirectory()) return undefined;
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** A pipe, a device or a socket where a file was expected; `code` lets callers tell it from ENOENT/EISDIR. */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREG';
  constructor(shown: string, readonly kind: string) {
    super(`${shown} is ${kind}, not a regular file: reading it could block or never end. Save the content to a file and give that`);
    this.name = 'NotRegularFileError';
  }
}

/**
 * Throws NotRegularFileError for a pipe, a device or a socket. A missing path or a folder is left
 * to the read that follows, so its ENOENT/EISDIR reach the caller as before.
 */
export async function refuseSpecialFile(absolute: string, shown: string = absolute): Promise<void> {
  let st: Stats;
  try {
    st = await stat(absolute);
  } catch {
    return;
  }
  const kind = specialFileKind(st);
  if (kind) throw new NotRegularFileError(shown, kind);
}

/** refuseSpecialFile for the synchronous readers (command-line arguments read with readFileSync). */
export function refuseSpecialFileSync(absolute: string, shown: string = absolute): void {
  let st: Stats;
  try {
    st = statSync(absolute);
  } catch {
    return;
  }
  const kind = specialFileKind(st);
  if (kind) throw new NotRegularFileError(shown, kind);
}
