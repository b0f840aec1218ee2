/**
 * The streaming log pipeline: feed it trainer output chunk by chunk (split
 * anywhere — mid-line, mid-ANSI-sequence) and it reports MetricPoints and
 * ProgressInfo as they appear, and keeps a bounded tail of display lines.
 * Memory stays flat whatever the log size: one pending line (capped), a ring
 * of recent lines, and a few numbers. The full log stays on disk.
 */
import { StringDecoder } from 'node:string_decoder';
import { MetricPoint, ProgressInfo } from '../events';
import { splitRank, stripAnsi } from './logLine';
import { parseBarBytes } from './barBytes';
import { parseDictMetricsBytes } from './dictBytes';
import { ByteScan, isPureBarBytes } from './byteScan';
import { DEFAULT_MAX_LINE_CHARS, LineSplitter, SegmentEnd } from './lineSplitter';
import { ParsedBar, parseNotebookBar, parseTqdm } from './progress';
import { RingBuffer } from './ringBuffer';
import {
  MetricKind,
  ParsedMetrics,
  parseDeepSpeedStep,
  parseDictLine,
  parseStepLossAfterBar,
  parseStepLossLine,
  parseTableHeader,
  parseTableRow,
  parseTotalSteps,
} from './trainerLine';

export type { MetricKind } from './trainerLine';

export interface LogPipelineOptions {
  onMetric?: (point: MetricPoint, kind: MetricKind) => void;
  /** Called when the training progress changes (current, total, phase or loss). */
  onProgress?: (progress: ProgressInfo) => void;
  /** Lines kept in the tail ring (default 500). */
  tailLines?: number;
  /** Longest "line" before it is cut (default 64 KiB). */
  maxLineChars?: number;
  /** Longest line kept in the tail; longer ones keep head and end (default 4,000). */
  maxTailLineChars?: number;
  /**
   * The script's logging interval (its LOGGING_STEPS): with no progress bar to read (disable_tqdm)
   * and no "step" key, the n-th train log is at step n × this rather than n.
   */
  loggingSteps?: number;
}

export interface LogPipelineStats {
  lines: number;
  segments: number;
  trainPoints: number;
  evalPoints: number;
  summaryPoints: number;
  firstLoss?: number;
  lastLoss?: number;
  lastEvalLoss?: number;
  totalSteps?: number;
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
  private tableHeader: string[] | undefined;
  private metricsRank: number | undefined;
  private mainBar: ParsedBar | undefined;
  private otherBar: ParsedBar | undefined;
  private lastStep = 0;
  private trainDicts = 0;
  // The progress state (see setProgress).
  private pHas = false;
  private pCurrent = 0;
  private pTotal: number | undefined;
  private pEta: number | undefined;
  private pPhase: string | undefined;
  private pLoss: number | undefined;
  private pGpu: number | undefined;
  private pObj: ProgressInfo | undefined;
  private gpuMemoryMiB: number | undefined;
  // A train log printed by tqdm.write waits for the bar tqdm redraws right after it (see emitMetrics, resolveDeferred).
  private deferred: { parsed: ParsedMetrics; rank: number | undefined; step: number } | undefined;
  /** The last non-empty segment was a blank \r redraw (tqdm.write clearing the bar)… */
  private lastWasClear = false;
  /** …and the one before the current segment was (see noteSegment). */
  private clearedBefore = false;
  /** The label (text before its first digit, spaces trimmed) of the pending tqdm redraw. */
  private pendingLabel = '';
  readonly stats: LogPipelineStats = { lines: 0, segments: 0, trainPoints: 0, evalPoints: 0, summaryPoints: 0 };

  constructor(private readonly options: LogPipelineOptions = {}) {
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
      if (this.deferred) this.resolveDeferred(barAt(buf, start, end) ?? parseTqdm(buf.toString('utf8', start, end)));
      this.noteSegment(false);
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
      this.resolveDeferred(undefined);
      this.noteSegment(true);
      this.stats.segments++;
      this.crStart = start;
      this.crEnd = end;
      return;
    }
    if (!cr && scan && isPureBarBytes(buf, start, end, scan)) {
      // A bar ended by \n (a log line printed after it): what onSegment does, with the bar parsed from the bytes.
      if (this.deferred) this.resolveDeferred(barAt(buf, start, end) ?? parseTqdm(buf.toString('utf8', start, end)));
      this.noteSegment(false);
      this.addTailRange(start, end); // no ESC in it: stripAnsi would not change it
      this.crPending = '';
      this.crStart = -1;
      this.stats.segments++;
      this.flushBar();
      const bar = this.tableHeader === undefined ? barAt(buf, start, end) : undefined;
      if (bar) this.onBar(bar);
      else this.parse(buf.toString('utf8', start, end));
      return;
    }
    if (scan && buf[start] === 123 /* { */ && buf[start + 1] === 39 /* ' */ && !hasByte(scan, start, end)) {
      // A metric dict (no ESC, no "<"): what onSegment and parse do, with the dict parsed from the bytes.
      this.resolveDeferred(undefined);
      this.noteSegment(false);
      if (cr) {
        this.crPending = buf.toString('utf8', start, end);
      } else {
        this.addTailRange(start, end);
        this.crPending = '';
      }
      this.crStart = -1;
      this.stats.segments++;
      this.flushBar();
      if (this.tableHeader === undefined) {
        const metrics = parseDictMetricsBytes(buf, start, end);
        if (metrics) {
          this.emitMetrics(metrics, undefined);
          return;
        }
      }
      this.parse(buf.toString('utf8', start, end));
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
    this.resolveDeferred(undefined);
    this.flushBar();
    if (this.crPending) {
      this.addTail(this.crPending);
      this.crPending = '';
    }
  }

  get progress(): ProgressInfo | undefined {
    return this.pHas ? this.progressObject() : undefined;
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
    if (this.deferred) this.resolveDeferred(isPureBar(seg) ? parseTqdm(seg) : undefined);
    this.noteSegment(end === 'cr' && isBlank(seg));
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
    this.parse(seg);
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
      if (this.tableHeader === undefined) {
        const bar = barAt(this.cur, this.barStart, this.barEnd);
        if (bar) {
          this.barStart = -1;
          this.pendingBar = undefined;
          this.onBar(bar);
          return;
        }
      }
      this.pendingBar = this.cur.toString('utf8', this.barStart, this.barEnd);
      this.barStart = -1;
    }
    const bar = this.pendingBar;
    if (bar === undefined) return;
    this.pendingBar = undefined;
    this.parse(bar);
  }

  private parse(seg: string): void {
    // `stream` tells nested prefixes apart (srun's task around torchrun's rank).
    const { stream: rank, text } = splitRank(seg);
    // Metrics come from one rank only (the first that logs any): ranks repeat each other.
    const rankOk = rank === undefined || this.metricsRank === undefined || rank === this.metricsRank;

    if (this.tableHeader) {
      const row = parseTableRow(text, this.tableHeader);
      if (row) {
        this.emitMetrics(row, rank);
        return;
      }
      this.tableHeader = undefined;
    }

    const bar = parseTqdm(text) ?? parseNotebookBar(text);
    if (bar && rankOk) {
      this.onBar(bar);
      const inline = parseStepLossAfterBar(bar.after);
      if (inline) this.emitMetrics(inline, rank);
    }

    const dict = parseDictLine(text);
    if (dict) {
      if (rankOk) this.emitMetrics(dict, rank);
      return;
    }

    const titan = parseStepLossLine(text);
    if (titan) {
      if (rankOk) {
        if (titan.memoryGiB !== undefined) this.gpuMemoryMiB = Math.round(titan.memoryGiB * 1024);
        this.emitMetrics(titan, rank);
      }
      return;
    }
    const ds = parseDeepSpeedStep(text);
    if (ds) {
      if (rankOk) this.emitMetrics(ds, rank);
      return;
    }
    if (bar) return;
    const total = parseTotalSteps(text);
    if (total !== undefined) {
      this.stats.totalSteps = total;
      return;
    }
    const header = parseTableHeader(text);
    if (header) this.tableHeader = header;
  }

  private onBar(bar: ParsedBar): void {
    if (bar.desc) return; // "Map", "Loading checkpoint shards", …: not the training loop
    const main = this.mainBar;
    // Another total than the training bar's: the evaluation loop (also the final one, after
    // training reached 100%). It becomes the training bar only if train logs follow it.
    if (main && bar.total !== main.total) {
      this.otherBar = bar;
      this.setProgress(this.lastStep, this.stats.totalSteps, this.pEta, 'eval');
      return;
    }
    this.otherBar = undefined;
    this.setMain(bar);
  }

  private setMain(bar: ParsedBar): void {
    this.mainBar = bar;
    this.stats.totalSteps = bar.total;
    this.lastStep = bar.current;
    this.setProgress(bar.current, bar.total, bar.etaSeconds, 'train');
  }

  /**
   * The progress state is kept as scalars; the ProgressInfo object is built only when a
   * listener sees a change (current, total, phase, loss or GPU memory) or `progress` is read.
   * Loss and GPU memory are always the latest known.
   */
  private setProgress(current: number, total: number | undefined, eta: number | undefined, phase: string): void {
    const loss = this.stats.lastLoss;
    const gpu = this.gpuMemoryMiB;
    const changed =
      !this.pHas ||
      this.pCurrent !== current ||
      this.pTotal !== total ||
      this.pPhase !== phase ||
      this.pLoss !== loss ||
      this.pGpu !== gpu;
    if (!changed && this.pEta === eta) return;
    this.pHas = true;
    this.pCurrent = current;
    this.pTotal = total;
    this.pEta = eta;
    this.pPhase = phase;
    this.pLoss = loss;
    this.pGpu = gpu;
    this.pObj = undefined;
    if (!changed) return;
    const listener = this.options.onProgress;
    if (listener) listener(this.progressObject());
  }

  private progressObject(): ProgressInfo {
    let p = this.pObj;
    if (p) return p;
    p = { current: this.pCurrent, total: this.pTotal };
    if (this.pEta !== undefined) p.etaSeconds = this.pEta;
    if (this.pLoss !== undefined) p.loss = this.pLoss;
    if (this.pGpu !== undefined) p.gpuMemoryMiB = this.pGpu;
    p.phase = this.pPhase;
    this.pObj = p;
    return p;
  }

  private emitMetrics(parsed: ParsedMetrics, rank: number | undefined): void {
    if (rank !== undefined && this.metricsRank === undefined) this.metricsRank = rank;
    if (parsed.kind === 'train' && this.otherBar && this.mainBar && this.mainBar.current >= this.mainBar.total) {
      // Train logs after a new bar once the old one finished: a new training phase.
      const bar = this.otherBar;
      this.otherBar = undefined;
      this.setMain(bar);
    }
    let step = parsed.step;
    if (step === undefined) {
      if (parsed.kind === 'train') this.trainDicts++;
      // No step in the line: take it from the progress bar, else count the train logs.
      step = this.mainBar ? this.lastStep : parsed.kind === 'train' ? this.trainDicts * (this.options.loggingSteps ?? 1) : this.lastStep;
      if (parsed.kind === 'train' && this.mainBar && this.clearedBefore) {
        // Printed by tqdm.write (the bar was cleared first): tqdm redraws the bar right after it with
        // the step the log belongs to, while the bar shown before may lag (tqdm redraws at most every
        // 0.1 s). Wait for that redraw; `step` is the answer if another line comes first.
        this.deferred = { parsed, rank, step };
        return;
      }
    }
    this.emitPoint(parsed, rank, step);
  }

  /** Remembers whether this non-empty segment is a blank \r redraw (and whether the one before was). */
  private noteSegment(blankRedraw: boolean): void {
    this.clearedBefore = this.lastWasClear;
    this.lastWasClear = blankRedraw;
  }

  /**
   * Settles a deferred train log when the next non-empty segment comes: with that segment's bar
   * when it is the training bar redrawn, else with the step the log had.
   */
  private resolveDeferred(bar: ParsedBar | undefined): void {
    const d = this.deferred;
    if (!d) return;
    this.deferred = undefined;
    const main = this.mainBar;
    const fromBar = bar && !bar.desc && main && bar.total === main.total && bar.current >= d.step;
    this.emitPoint(d.parsed, d.rank, fromBar ? bar.current : d.step);
  }

  private emitPoint(parsed: ParsedMetrics, rank: number | undefined, step: number): void {
    if (parsed.kind === 'train' && !this.mainBar) this.lastStep = step;
    let point: MetricPoint;
    if (parsed.asPoint) {
      point = parsed.values as MetricPoint;
      point.step = step;
    } else point = { step, ...parsed.values };
    const s = this.stats;
    if (parsed.kind === 'train') s.trainPoints++;
    else if (parsed.kind === 'eval') s.evalPoints++;
    else s.summaryPoints++;
    if (parsed.kind === 'train' && point.loss !== undefined) {
      if (s.firstLoss === undefined) s.firstLoss = point.loss;
      s.lastLoss = point.loss;
    }
    if (point.evalLoss !== undefined) s.lastEvalLoss = point.evalLoss;
    this.options.onMetric?.(point, parsed.kind);
    if (parsed.kind === 'train' && point.loss !== undefined) {
      this.setProgress(this.mainBar ? this.mainBar.current : step, this.stats.totalSteps, this.pEta, this.pPhase ?? 'train');
    }
  }
}

/** parseBarBytes on a pure bar buf[start, end) (its last non-space byte is "]"). */
function barAt(buf: Buffer, start: number, end: number): ParsedBar | undefined {
  let close = end - 1;
  while (buf[close] === 32) close--;
  return parseBarBytes(buf, start, end, close);
}

/** buf[start, end) (not empty) is spaces and tabs only: isBlank, and stripAnsi changes nothing. */
function isSpaces(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 32 && buf[i] !== 9) return false;
  return true;
}

/** An ESC or "<" in buf[start, end). */
function hasByte(scan: ByteScan, start: number, end: number): boolean {
  const esc = scan.nextEsc(start);
  if (esc !== -1 && esc < end) return true;
  const lt = scan.nextLt(start);
  return lt !== -1 && lt < end;
}

function firstTerminator(buf: Buffer, from: number): number {
  const lf = buf.indexOf(10, from);
  const cr = buf.indexOf(13, from);
  if (lf === -1) return cr;
  if (cr === -1) return lf;
  return lf < cr ? lf : cr;
}

/** A bar's label: its text before the first digit, without leading and trailing spaces ("" for the Trainer's bar). */
function labelOf(seg: string): string {
  let i = 0;
  while (i < seg.length) {
    const c = seg.charCodeAt(i);
    if (c >= 48 && c <= 57) break;
    i++;
  }
  let a = 0;
  while (a < i && seg.charCodeAt(a) === 32) a++;
  while (i > a && seg.charCodeAt(i - 1) === 32) i--;
  return a === 0 && i === seg.length ? seg : seg.slice(a, i);
}

/** labelOf on the bytes buf[start, end) (digits are ASCII: the label's bytes decode to the same text). */
function labelOfBytes(buf: Buffer, start: number, end: number): string {
  let i = start;
  while (i < end && !(buf[i] >= 48 && buf[i] <= 57)) i++;
  let a = start;
  while (a < i && buf[a] === 32) a++;
  while (i > a && buf[i - 1] === 32) i--;
  return a === i ? '' : buf.toString('utf8', a, i);
}

function isBlank(seg: string): boolean {
  const c = seg.charCodeAt(0);
  if (c !== 32 && c !== 9) return false;
  return seg.trim().length === 0;
}

/** A tqdm bar and nothing after it: last non-space character "]", a "<" in it, no dict. */
function isPureBar(seg: string): boolean {
  let i = seg.length - 1;
  while (i >= 0 && seg.charCodeAt(i) === 32) i--;
  if (i < 0 || seg.charCodeAt(i) !== 93 /* ] */) return false;
  return seg.indexOf('<') !== -1 && seg.indexOf("{'") === -1;
}
