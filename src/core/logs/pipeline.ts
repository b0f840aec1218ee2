/**
 * The streaming log pipeline: feed it trainer output chunk by chunk (split
 * anywhere — mid-line, mid-ANSI-sequence) and it reports MetricPoints and
 * ProgressInfo as they appear, and keeps a bounded tail of display lines.
 * Memory stays flat whatever the log size: one pending line (capped), a ring
 * of recent lines, and a few numbers. The full log stays on disk.
 * This file cuts the stream into segments (the byte fast paths included) and keeps
 * the tail; what a segment means is MetricReader's (metricReader.ts).
 */
import { StringDecoder } from 'node:string_decoder';
import { ProgressInfo } from '../events';
import { stripAnsi } from './logLine';
import { ByteScan, isPureBarBytes } from './byteScan';
import { DEFAULT_MAX_LINE_CHARS, LineSplitter, SegmentEnd } from './lineSplitter';
import { LogPipelineStats, MetricReader, MetricReaderOptions } from './metricReader';
import { parseDictMetricsBytes } from './dictBytes';
import { parseTqdm } from './progress';
import { RingBuffer } from './ringBuffer';
import { barAt, firstTerminator, hasByte, isBlank, isPureBar, isSpaces, labelOf, labelOfBytes } from './segmentShapes';

export type { MetricKind } from './trainerLine';
export type { LogPipelineStats } from './metricReader';

export interface LogPipelineOptions extends MetricReaderOptions {
  /** Lines kept in the tail ring (default 500). */
  tailLines?: number;
  /** Longest "line" before it is cut (default 64 KiB). */
  maxLineChars?: number;
  /** Longest line kept in the tail; longer ones keep head and end (default 4,000). */
  maxTailLineChars?: number;
}

export class LogPipeline {
  private readonly splitter: LineSplitter;
  private readonly ring: RingBuffer<string>;
  private readonly maxTailLineChars: number;
  private crPending = '';
  private pendingBar: string | undefined;
  // pushBytes: the chunk being scanned, and the display line / tqdm redraw still held as a byte
  // range of it (decoded only if they are needed: a later empty line, or the end of the chunk).
  private cur: Buffer | undefined;
  private crStart = -1;
  private crEnd = 0;
  private barStart = -1;
  private barEnd = 0;
  /** Bytes of an unterminated segment carried to the next pushBytes chunk (shorter than the cap). */
  private carry: Buffer[] = [];
  /** Display lines of the chunk not decoded yet: start, end pairs (see addTailRange). */
  private readonly tailRanges: number[] = [];
  /** The lines that came as strings between them (undefined where a range is). */
  private readonly tailStrings: (string | undefined)[] = [];
  private carryBytes = 0;
  /** Set while a segment of ≥ maxLineChars bytes goes through the string splitter (so it is cut exactly as push() cuts it). */
  private longDecoder: StringDecoder | undefined;
  private readonly maxLineChars: number;
  /** The label (text before its first digit, spaces trimmed) of the pending tqdm redraw. */
  private pendingLabel = '';
  /** What the segments mean: metrics and progress. */
  private readonly reader: MetricReader;
  readonly stats: LogPipelineStats;

  constructor(options: LogPipelineOptions = {}) {
    this.reader = new MetricReader(options);
    this.stats = this.reader.stats;
    this.maxLineChars = options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
    this.splitter = new LineSplitter((t, e) => this.onSegment(t, e), this.maxLineChars);
    this.ring = new RingBuffer<string>(options.tailLines ?? 500);
    this.maxTailLineChars = options.maxTailLineChars ?? 4000;
  }

  push(chunk: string): void {
    this.splitter.push(chunk);
    // Report the latest bar of this chunk now: a live run shows its progress without waiting for a line end.
    this.flushBar();
  }

  /**
   * The same as `push(decoder.write(buf))` with a streaming UTF-8 decoder, without decoding
   * what cannot change the result: \r-redraws of a tqdm bar are recognised on the bytes and
   * only the last one of a chunk is decoded and parsed; other segments are decoded one by one.
   * Feed one stream through either push() or pushBytes(), not both. The buffer may be reused
   * by the caller once this returns.
   */
  pushBytes(buf: Buffer): void {
    let pos = 0;
    const n = buf.length;
    if (this.longDecoder) {
      // Inside a long segment: the string splitter has it (and cuts it at the cap).
      const t = firstTerminator(buf, 0);
      if (t === -1) {
        this.splitter.push(this.longDecoder.write(buf));
        this.flushBar();
        return;
      }
      this.splitter.push(this.longDecoder.write(buf.subarray(0, t + 1)));
      this.longDecoder = undefined;
      pos = t + 1;
    }
    this.cur = buf;
    const scan = new ByteScan(buf);
    if (this.carryBytes > 0 && pos < n) {
      // The segment begun in an earlier chunk: join it with its end (segments rarely cross chunks).
      const t = scan.nextTerminator(pos);
      if (t === -1) {
        this.addCarry(buf.subarray(pos));
        pos = n;
      } else {
        this.carry.push(buf.subarray(pos, t + 1));
        const whole = Buffer.concat(this.carry);
        this.carry = [];
        this.carryBytes = 0;
        this.bytesSegment(whole, 0, whole.length - 1, undefined);
        pos = t + 1;
      }
    }
    while (pos < n) {
      const t = scan.nextTerminator(pos);
      if (t === -1) {
        this.addCarry(buf.subarray(pos));
        break;
      }
      this.bytesSegment(buf, pos, t, scan);
      pos = t + 1;
    }
    // The chunk's buffer may be reused: decode what is still held as a range of it.
    this.materialize();
    this.cur = undefined;
    this.flushBar();
  }

  /** One segment buf[start, end) ended by the \n or \r at buf[end]. */
  private bytesSegment(buf: Buffer, start: number, end: number, scan: ByteScan | undefined): void {
    const cr = buf[end] === 13;
    if (start === end) {
      this.onSegment('', cr ? 'cr' : 'lf');
      return;
    }
    if (end - start >= this.maxLineChars) {
      // Maybe longer than the cap in characters: the string splitter cuts it exactly as push() does.
      this.splitter.push(buf.toString('utf8', start, end + 1));
      return;
    }
    if (cr && scan && isPureBarBytes(buf, start, end, scan)) {
      // A tqdm redraw: it becomes the display line being redrawn and the bar to parse, both kept as ranges.
      if (this.reader.hasDeferred) this.reader.resolveDeferred(barAt(buf, start, end) ?? parseTqdm(buf.toString('utf8', start, end)));
      this.reader.noteSegment(false);
      this.stats.segments++;
      this.crStart = start;
      this.crEnd = end;
      this.holdBar(labelOfBytes(buf, start, end));
      this.barStart = start;
      this.barEnd = end;
      this.pendingBar = undefined;
      return;
    }
    if (cr && scan && isSpaces(buf, start, end)) {
      // A blank redraw (spaces that clear the line): it becomes the display line being redrawn, kept as a range.
      this.reader.resolveDeferred(undefined);
      this.reader.noteSegment(true);
      this.stats.segments++;
      this.crStart = start;
      this.crEnd = end;
      return;
    }
    if (!cr && scan && isPureBarBytes(buf, start, end, scan)) {
      // A bar ended by \n (a log line printed after it): what onSegment does, with the bar parsed from the bytes.
      if (this.reader.hasDeferred) this.reader.resolveDeferred(barAt(buf, start, end) ?? parseTqdm(buf.toString('utf8', start, end)));
      this.reader.noteSegment(false);
      this.addTailRange(start, end); // no ESC in it: stripAnsi would not change it
      this.crPending = '';
      this.crStart = -1;
      this.stats.segments++;
      this.flushBar();
      const bar = !this.reader.inTable ? barAt(buf, start, end) : undefined;
      if (bar) this.reader.onBar(bar);
      else this.reader.parse(buf.toString('utf8', start, end));
      return;
    }
    if (scan && buf[start] === 123 /* { */ && buf[start + 1] === 39 /* ' */ && !hasByte(scan, start, end)) {
      // A metric dict (no ESC, no "<"): what onSegment and parse do, with the dict parsed from the bytes.
      this.reader.resolveDeferred(undefined);
      this.reader.noteSegment(false);
      if (cr) {
        this.crPending = buf.toString('utf8', start, end);
      } else {
        this.addTailRange(start, end);
        this.crPending = '';
      }
      this.crStart = -1;
      this.stats.segments++;
      this.flushBar();
      if (!this.reader.inTable) {
        const metrics = parseDictMetricsBytes(buf, start, end);
        if (metrics) {
          this.reader.emitMetrics(metrics, undefined);
          return;
        }
      }
      this.reader.parse(buf.toString('utf8', start, end));
      return;
    }
    this.onSegment(buf.toString('utf8', start, end), cr ? 'cr' : 'lf');
  }

  private addCarry(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.carry.push(Buffer.from(bytes)); // a copy: the caller may reuse its buffer
    this.carryBytes += bytes.length;
    if (this.carryBytes >= this.maxLineChars) {
      // A long unterminated run: hand it to the string splitter, which cuts it at the cap.
      this.longDecoder = new StringDecoder('utf8');
      const whole = Buffer.concat(this.carry);
      this.carry = [];
      this.carryBytes = 0;
      this.splitter.push(this.longDecoder.write(whole));
    }
  }

  private materialize(): void {
    this.flushTailRanges();
    this.takeCrPending();
    if (this.barStart >= 0 && this.cur) {
      this.pendingBar = this.cur.toString('utf8', this.barStart, this.barEnd);
      this.barStart = -1;
    }
  }

  private takeCrPending(): string {
    if (this.crStart >= 0 && this.cur) {
      this.crPending = this.cur.toString('utf8', this.crStart, this.crEnd);
      this.crStart = -1;
    }
    return this.crPending;
  }

  /** The stream ended: flush the last unterminated line. */
  end(): void {
    if (this.longDecoder) {
      this.splitter.push(this.longDecoder.end());
      this.longDecoder = undefined;
    } else if (this.carryBytes > 0) {
      const whole = Buffer.concat(this.carry);
      this.carry = [];
      this.carryBytes = 0;
      this.splitter.push(whole.toString('utf8'));
    }
    this.splitter.end();
    this.reader.resolveDeferred(undefined);
    this.flushBar();
    if (this.crPending) {
      this.addTail(this.crPending);
      this.crPending = '';
    }
  }

  get progress(): ProgressInfo | undefined {
    return this.reader.progress;
  }

  /** The most recent display lines (ANSI removed, tqdm redraws collapsed), oldest first. */
  tail(): string[] {
    return this.ring.toArray();
  }

  /** A display line held as a range of the chunk: decoded at the chunk's end if it is still in the tail then. */
  private addTailRange(start: number, end: number): void {
    this.stats.lines++;
    this.tailRanges.push(start, end);
    this.tailStrings.push(undefined);
  }

  private flushTailRanges(): void {
    const r = this.tailRanges;
    if (r.length === 0) return;
    const strings = this.tailStrings;
    const buf = this.cur;
    // Only the last `capacity` lines can still be in the ring: the others would be pushed out.
    for (let i = Math.max(0, strings.length - this.ring.capacity); i < strings.length; i++) {
      const line = strings[i];
      if (line !== undefined) this.pushTail(line);
      else if (buf) this.pushTail(buf.toString('utf8', r[2 * i], r[2 * i + 1]));
    }
    r.length = 0;
    strings.length = 0;
  }

  private addTail(line: string): void {
    this.stats.lines++;
    if (this.tailRanges.length > 0) {
      // Behind lines still held as ranges: keep the order.
      this.tailRanges.push(-1, -1);
      this.tailStrings.push(line);
    } else this.pushTail(line);
  }

  private pushTail(line: string): void {
    const max = this.maxTailLineChars;
    this.ring.push(line.length > max ? `${line.slice(0, max / 2)} … ${line.slice(-max / 2)}` : line);
  }

  private onSegment(raw: string, end: SegmentEnd): void {
    const seg = stripAnsi(raw);
    // Display lines for the tail: a \r redraw replaces the line, the last non-empty one stays.
    if (end === 'cr') {
      if (seg.length > 0) {
        this.crPending = seg;
        this.crStart = -1;
      }
    } else {
      this.addTail(seg.length > 0 ? seg : this.takeCrPending());
      this.crPending = '';
      this.crStart = -1;
    }
    if (seg.length === 0) return;
    // At the start of every non-empty segment (each fast path of bytesSegment does the same).
    if (this.reader.hasDeferred) this.reader.resolveDeferred(isPureBar(seg) ? parseTqdm(seg) : undefined);
    this.reader.noteSegment(end === 'cr' && isBlank(seg));
    this.stats.segments++;
    // The hot path: a tqdm redraw (ended by \r, nothing after its "]") is only kept; the
    // latest one is parsed when something else comes or the chunk ends. Skipped redraws
    // change nothing but the number of progress events.
    if (end === 'cr' && isPureBar(seg)) {
      this.holdBar(labelOf(seg));
      this.pendingBar = seg;
      this.barStart = -1;
      return;
    }
    if (isBlank(seg)) return;
    this.flushBar();
    this.reader.parse(seg);
  }

  /**
   * A new redraw is about to be held as the pending bar. Redraws of the same bar replace one
   * another unparsed; a redraw of another bar (another label: "Map", an eval bar's description)
   * first has the held one parsed, so what is learned from it never depends on where chunks end.
   */
  private holdBar(label: string): void {
    if ((this.barStart >= 0 || this.pendingBar !== undefined) && label !== this.pendingLabel) this.flushBar();
    this.pendingLabel = label;
  }

  private flushBar(): void {
    if (this.barStart >= 0 && this.cur) {
      // The common shape is parsed from the bytes (exactly as parseTqdm would); else decode it.
      if (!this.reader.inTable) {
        const bar = barAt(this.cur, this.barStart, this.barEnd);
        if (bar) {
          this.barStart = -1;
          this.pendingBar = undefined;
          this.reader.onBar(bar);
          return;
        }
      }
      this.pendingBar = this.cur.toString('utf8', this.barStart, this.barEnd);
      this.barStart = -1;
    }
    const bar = this.pendingBar;
    if (bar === undefined) return;
    this.pendingBar = undefined;
    this.reader.parse(bar);
  }
}
