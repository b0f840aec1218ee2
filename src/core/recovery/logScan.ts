/**
 * Bounded reading of a training log for diagnosis.
 *
 * Logs can be huge (100 MB of tqdm redraws) and noisy (ANSI colours, several
 * ranks interleaved). The scanner reads chunks or lines once, never keeps the
 * whole text: it keeps the last lines (where a crash ends up) plus a bounded
 * set of "signal" lines from anywhere (error-ish words), each capped in length.
 * Carriage returns split lines too, so every tqdm redraw is its own segment;
 * every kept line is therefore a verbatim substring of the ANSI-stripped log.
 */

import { splitRank, stripAnsi } from '../logs/logLine';

// An escape sequence cut by the line-length cap (its end fell past the cut).
const PARTIAL_ANSI_RE = /\x1b[[\]]?[0-?]*[ -/]*$/;

export { stripAnsi };

/** The line without its rank prefixes (one definition with the chart pipeline: logs/logLine.ts). */
export function stripRankPrefix(line: string): { text: string; rank?: string } {
  const { rank, text } = splitRank(line);
  return { text, rank: rank === undefined ? undefined : String(rank) };
}

export interface LogLine {
  /** Position of the segment in the log (0-based, counting \n and \r separated segments). */
  index: number;
  /** The segment, ANSI-stripped, verbatim otherwise (rank prefix kept). */
  raw: string;
  /** The segment without rank prefix, trimmed: what rules match against. */
  text: string;
  rank?: string;
}

/** Words that make a line worth keeping even far from the end of the log. */
const SIGNAL_RE =
  /error|exception|traceback|\bnan\b|\binf\b|killed|fault|fail|time[d ]?out|refused|denied|forbidden|unauthori[sz]ed|\b40[134]\b|errno|no space|not set|no module|cannot|can't|could not|couldn't|unable|unexpected|mismatch|out of memory|nccl|rendezvous|address already in use|gated|restricted|bf16|bfloat16|ampere|flash|padding|chat.template|bitsandbytes|driver|signal/i;

export interface ScanLimits {
  /** Lines kept from the end of the log. */
  tailLines: number;
  /** Signal lines kept from the start and from the end of the log. */
  headSignals: number;
  tailSignals: number;
  /** Longest segment kept (longer ones are cut; the cut is still a substring of the log). */
  maxLineChars: number;
}

export const DEFAULT_LIMITS: ScanLimits = { tailLines: 600, headSignals: 200, tailSignals: 1500, maxLineChars: 4000 };

/** A fixed-size ring buffer. */
class Ring<T> {
  private readonly items: T[] = [];
  private start = 0;
  constructor(private readonly size: number) {}
  push(item: T): void {
    if (this.size <= 0) return;
    if (this.items.length < this.size) this.items.push(item);
    else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.size;
    }
  }
  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }
}

export class LogScanner {
  private pending = '';
  /** True while skipping the rest of an over-long segment. */
  private skipping = false;
  private index = 0;
  private readonly tail: Ring<LogLine>;
  private readonly headSignals: LogLine[] = [];
  private readonly tailSignals: Ring<LogLine>;
  private totalChars = 0;

  constructor(private readonly limits: ScanLimits = DEFAULT_LIMITS) {
    this.tail = new Ring(limits.tailLines);
    this.tailSignals = new Ring(limits.tailSignals);
  }

  get charsRead(): number {
    return this.totalChars;
  }

  /** Feed a chunk of text (any size, any split point). */
  push(chunk: string): void {
    this.totalChars += chunk.length;
    let start = 0;
    for (;;) {
      const nl = nextSeparator(chunk, start);
      if (nl < 0) break;
      this.endSegment(chunk, start, nl);
      start = nl + 1;
    }
    if (start < chunk.length) this.addPending(chunk.slice(start));
  }

  /** Finish and return the kept lines in log order. */
  end(): LogLine[] {
    if (this.pending || this.skipping) this.emit(this.pending);
    this.pending = '';
    this.skipping = false;
    const byIndex = new Map<number, LogLine>();
    for (const l of this.headSignals) byIndex.set(l.index, l);
    for (const l of this.tailSignals.toArray()) byIndex.set(l.index, l);
    for (const l of this.tail.toArray()) byIndex.set(l.index, l);
    return [...byIndex.values()].sort((a, b) => a.index - b.index);
  }

  private addPending(piece: string): void {
    if (this.skipping) return;
    this.pending += piece;
    if (this.pending.length > this.limits.maxLineChars * 4) {
      // An endless segment (a progress bar without newlines): keep its start, skip the rest.
      this.pending = this.pending.slice(0, this.limits.maxLineChars * 2);
      this.skipping = true;
    }
  }

  private endSegment(chunk: string, from: number, to: number): void {
    if (this.skipping) {
      this.emit(this.pending);
    } else if (this.pending) {
      this.addPending(chunk.slice(from, Math.min(to, from + this.limits.maxLineChars * 4)));
      this.emit(this.pending);
    } else {
      this.emit(chunk.slice(from, Math.min(to, from + this.limits.maxLineChars * 4)));
    }
    this.pending = '';
    this.skipping = false;
  }

  private emit(segment: string): void {
    const index = this.index++;
    if (segment.length === 0) return;
    let raw = segment;
    if (raw.length > this.limits.maxLineChars) {
      raw = raw.slice(0, this.limits.maxLineChars * 2);
      raw = stripAnsi(raw).replace(PARTIAL_ANSI_RE, '').slice(0, this.limits.maxLineChars);
      // Keep the cut a substring of the stripped log: no dangling escape start.
      raw = raw.replace(PARTIAL_ANSI_RE, '');
    } else raw = stripAnsi(raw);
    if (raw.trim().length === 0) return;
    const { text, rank } = stripRankPrefix(raw);
    const line: LogLine = { index, raw, text: text.trim(), rank };
    this.tail.push(line);
    if (SIGNAL_RE.test(text)) {
      if (this.headSignals.length < this.limits.headSignals) this.headSignals.push(line);
      else this.tailSignals.push(line);
    }
  }
}

function nextSeparator(s: string, from: number): number {
  const n = s.indexOf('\n', from);
  const r = s.indexOf('\r', from);
  if (n < 0) return r;
  if (r < 0) return n;
  return Math.min(n, r);
}

/** Scan a whole string without splitting it into an array of lines. */
export function scanText(text: string, limits?: ScanLimits): LogLine[] {
  const s = new LogScanner(limits);
  // Feed in slices so a 100 MB string never gets copied whole.
  const STEP = 1 << 20;
  for (let i = 0; i < text.length; i += STEP) s.push(text.slice(i, i + STEP));
  return s.end();
}
