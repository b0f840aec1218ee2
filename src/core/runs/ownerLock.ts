/**
 * One owner at a time, across processes: of a run folder (two followers would both repair a
 * failure and start the next attempt twice) and of a script folder (two runs would share one
 * train.py and its OUTPUT_DIR). The VS Code extension and the CLI both take these locks in the
 * core session, so each refuses the other too.
 *
 * A lock is a file created with O_EXCL (only one creator wins) holding who owns it: pid, the
 * pid's start time (a pid alone can be recycled), host and the run. A lock whose owner is gone
 * (pid dead, or now another process) is stale and taken over; a live owner's is refused with a
 * message naming it. Synchronous on purpose: a few bytes, and release must work from any end path.
 */
import { linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { cmdline, pidAlive, startToken } from '../exec/procInfo';

export interface LockOwner {
  pid: number;
  /** procInfo's start-time token of the pid ('' where it cannot be read). */
  start: string;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
  /** The run the owner drives. */
  runId: string;
  /** What the owner is, for a message once it is gone ("the `ml-intern` command … in a terminal"); unset for a window. */
  by?: string;
}

let holderName: string | undefined;

/** Name what this process is in the locks it takes (the CLI does; a window's extension host does not). */
export function nameLockHolder(name: string): void {
  holderName = name;
}

/** A lock this process holds; release() is idempotent and leaves a lock someone else took alone. */
export interface HeldLock {
  readonly file: string;
  release(): void;
}

/** The lock is held by a live process (or one on another host, which cannot be checked from here). */
export class LockBusyError extends Error {
  constructor(
    readonly file: string,
    readonly owner: LockOwner,
    message: string,
  ) {
    super(message);
    this.name = 'LockBusyError';
  }
}

/** Written by another process this instant: an empty lock file younger than this is not stale. */
const BEING_WRITTEN_MS = 5_000;

/**
 * Take the lock at `file` (absolute) for `runId`, or throw LockBusyError with `busy(owner)` as
 * its message. A stale lock is taken over.
 */
export function acquireLock(file: string, runId: string, busy: (owner: LockOwner, describe: string) => string): HeldLock {
  const mine: LockOwner = { pid: process.pid, start: startToken(process.pid), host: hostname(), since: new Date().toISOString(), runId, ...(holderName ? { by: holderName } : {}) };
  const text = JSON.stringify(mine) + '\n';
  mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(file, text, { flag: 'wx' });
      return held(file, text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const seen = readOrUndefined(file);
    if (seen === undefined) continue; // released meanwhile: try again
    const owner = parseOwner(seen);
    if (owner && !isStale(owner)) throw new LockBusyError(file, owner, busy(owner, describeOwner(owner)));
    if (!owner && !seen.trim() && Date.now() - mtimeMs(file) < BEING_WRITTEN_MS) {
      const unknown: LockOwner = { pid: 0, start: '', host: hostname(), since: new Date().toISOString(), runId: '?' };
      throw new LockBusyError(file, unknown, busy(unknown, 'a process that is taking it right now'));
    }
    takeOver(file, seen);
  }
  throw new Error(`Could not take the lock ${file}: other processes keep taking it. Try again.`);
}

/** Who holds `file` now, if a live process does (for a read-only look, e.g. listing runs). */
export function liveOwner(file: string): LockOwner | undefined {
  const seen = readOrUndefined(file);
  const owner = seen ? parseOwner(seen) : undefined;
  return owner && !isStale(owner) ? owner : undefined;
}

/** Who held `file` last, live or gone (a lock its owner could not release: killed, or its machine restarted). */
export function lastOwner(file: string): LockOwner | undefined {
  const seen = readOrUndefined(file);
  return seen ? parseOwner(seen) : undefined;
}

/** "pid 123 (node dist/cli.js fine-tune …) since 2026-…Z" — enough to find it in a process list. */
export function describeOwner(owner: LockOwner): string {
  const here = owner.host === hostname();
  return `pid ${owner.pid}${here ? shownCommand(owner.pid) : ` on host ${owner.host}`}, since ${owner.since}`;
}

/** " (node dist/cli.js fine-tune …)": a pid's command line on this machine, shortened; '' where it cannot be read. */
export function shownCommand(pid: number): string {
  const cmd = cmdline(pid)?.trim().replace(/\s+/g, ' ');
  return cmd ? ` (${cmd.length > 100 ? `${cmd.slice(0, 99)}…` : cmd})` : '';
}

function held(file: string, text: string): HeldLock {
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      // Only our own lock: a stale-lock takeover by another process must not be undone.
      if (readOrUndefined(file) === text) unlinkQuietly(file);
    },
  };
}

/**
 * Remove a stale lock so the next O_EXCL create can win. It is moved aside first and compared
 * with what was judged stale: if another process replaced it in between, its fresh lock is put back.
 */
function takeOver(file: string, stale: string): void {
  const aside = `${file}.stale-${process.pid}-${Date.now()}`;
  try {
    renameSync(file, aside);
  } catch {
    return; // gone already: the next create decides
  }
  if (readOrUndefined(aside) !== stale) {
    try {
      linkSync(aside, file);
    } catch {
      // Someone else holds it now: the next create reports them.
    }
  }
  unlinkQuietly(aside);
}

function isStale(owner: LockOwner): boolean {
  // Another machine's process (a shared filesystem) cannot be checked from here: treated as live.
  if (owner.host !== hostname()) return false;
  if (!pidAlive(owner.pid)) return true;
  // Where the start time could not be read, a live pid is given the benefit of the doubt.
  return Boolean(owner.start) && startToken(owner.pid) !== owner.start;
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockOwner> | null;
    if (!v || typeof v !== 'object' || !Number.isInteger(v.pid) || typeof v.host !== 'string') return undefined;
    return { pid: v.pid as number, start: typeof v.start === 'string' ? v.start : '', host: v.host, since: typeof v.since === 'string' ? v.since : '?', runId: typeof v.runId === 'string' ? v.runId : '?', ...(typeof v.by === 'string' && v.by ? { by: v.by.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 200) } : {}) };
  } catch {
    return undefined;
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function mtimeMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
