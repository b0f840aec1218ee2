/**
 * tail -f by polling a file's size: follows appends, starts over when the
 * file is truncated or replaced, decodes UTF-8 across read boundaries — or,
 * with `raw`, hands over the bytes as read (LogPipeline.pushBytes decodes
 * only what it needs).
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export interface FollowOptions {
  /** Where to start: the beginning, the current end, or a byte offset (default 'start'). */
  from?: 'start' | 'end' | number;
  pollMs?: number;
}

export interface RawFollowOptions extends FollowOptions {
  /** Deliver Buffers as read instead of decoded text. The Buffer is only valid during the call (it is reused). */
  raw: true;
  /** Called when the file was truncated or replaced and is read again from its start. */
  onRestart?: () => void;
}

export interface Follower {
  /**
   * Read what is new now (also called by the timer), at most MAX_PER_POLL bytes; when more is
   * there, the next read is scheduled at once (setImmediate), not after the poll interval.
   */
  poll(): void;
  /** Read everything up to the file's current end now, however much it is (a run's last read). */
  drain(): void;
  stop(): void;
}

/**
 * Bytes read in one go. A big backlog (reattaching to a run with a 1 GB log) is read in slices
 * of this size with the event loop free between them, so the window stays responsive; the next
 * slice follows at once rather than a poll interval later (which made a 1 GB log take ~30 s).
 */
const MAX_PER_POLL = 8 * 1024 * 1024;

export function followFile(file: string, onData: (chunk: string) => void, options?: FollowOptions): Follower;
export function followFile(file: string, onData: (chunk: Buffer) => void, options: RawFollowOptions): Follower;
export function followFile(file: string, onData: ((chunk: string) => void) | ((chunk: Buffer) => void), options: FollowOptions | RawFollowOptions = {}): Follower {
  const raw = 'raw' in options && options.raw === true;
  let offset = 0;
  if (options.from === 'end') {
    try {
      offset = statSync(file).size;
    } catch {
      offset = 0;
    }
  } else if (typeof options.from === 'number') offset = options.from;
  let decoder = new StringDecoder('utf8');
  let stopped = false;
  let ino: number | undefined;
  const buf = Buffer.alloc(256 * 1024);
  let more: ReturnType<typeof setImmediate> | undefined;

  const read = (budget: number) => {
    if (stopped) return;
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return; // not there yet
    }
    try {
      const st = fstatSync(fd);
      if ((ino !== undefined && st.ino !== ino) || st.size < offset) {
        // Truncated or replaced: start over from its beginning.
        offset = 0;
        decoder = new StringDecoder('utf8');
        if (raw && ino !== undefined) (options as RawFollowOptions).onRestart?.();
      }
      ino = st.ino;
      while (offset < st.size && budget > 0 && !stopped) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, st.size - offset), offset);
        if (n <= 0) break;
        offset += n;
        budget -= n;
        if (raw) {
          (onData as (chunk: Buffer) => void)(buf.subarray(0, n));
          continue;
        }
        const text = decoder.write(buf.subarray(0, n));
        if (text) (onData as (chunk: string) => void)(text);
      }
      // A backlog left: the next slice right after whatever else is waiting on the event loop.
      if (offset < st.size && !stopped && !more) more = setImmediate(poll);
    } finally {
      closeSync(fd);
    }
  };
  const poll = () => {
    if (more) clearImmediate(more);
    more = undefined;
    read(MAX_PER_POLL);
  };
  const timer = setInterval(poll, options.pollMs ?? 200);
  return {
    poll,
    drain() {
      if (more) clearImmediate(more);
      more = undefined;
      read(Number.POSITIVE_INFINITY);
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      if (more) clearImmediate(more);
      more = undefined;
    },
  };
}

/**
 * The followers of one run's log (a detached process or a Slurm job): a new
 * follower reads what is there at once; at the run's end every follower reads
 * the last bytes before it stops, so nobody hears of the end before the output.
 */
export class FollowerSet {
  private readonly followers = new Set<Follower>();
  private closed = false;

  /** Start tracking a follower; returns the function that stops it. */
  add(f: Follower): () => void {
    if (this.closed) {
      f.drain();
      f.stop();
      return () => undefined;
    }
    f.poll();
    this.followers.add(f);
    return () => {
      f.stop();
      this.followers.delete(f);
    };
  }

  /** The run ended: each follower reads to the end of the log, then stops (one added later reads it all at once and stops). */
  drainAndClose(): void {
    this.closed = true;
    for (const f of [...this.followers]) {
      f.drain();
      f.stop();
    }
    this.followers.clear();
  }

  /** Stop watching without a last read (the run goes on). */
  stopAll(): void {
    for (const f of this.followers) f.stop();
    this.followers.clear();
  }
}
