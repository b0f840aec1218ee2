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
  /** Read what is new now (also called by the timer). */
  poll(): void;
  stop(): void;
}

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

  const poll = () => {
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
      let budget = MAX_PER_POLL;
      while (offset < st.size && budget > 0) {
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
    } finally {
      closeSync(fd);
    }
  };
  const timer = setInterval(poll, options.pollMs ?? 200);
  return {
    poll,
    stop() {
      stopped = true;
      clearInterval(timer);
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
    f.poll();
    if (this.closed) {
      f.stop();
      return () => undefined;
    }
    this.followers.add(f);
    return () => {
      f.stop();
      this.followers.delete(f);
    };
  }

  /** The run ended: a last read for each follower, then stop them all (later ones read once and stop). */
  drainAndClose(): void {
    this.closed = true;
    for (const f of [...this.followers]) {
      f.poll();
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
