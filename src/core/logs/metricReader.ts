/**
 * What the segments of trainer output mean: the metric points (HF/trl dicts, torchtitan and
 * DeepSpeed step lines, table rows) and the training progress (the main tqdm bar, told apart
 * from eval and "Map" bars). LogPipeline cuts the stream into segments and hands them here;
 * this class never sees bytes or chunk boundaries, so what it learns never depends on them.
 */
import { MetricPoint, ProgressInfo } from '../events';
import { splitRank } from './logLine';
import { ParsedBar, parseNotebookBar, parseTqdm } from './progress';
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

export interface MetricReaderOptions {
  onMetric?: (point: MetricPoint, kind: MetricKind) => void;
  /** Called when the training progress changes (current, total, phase or loss). */
  onProgress?: (progress: ProgressInfo) => void;
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

export class MetricReader {
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
  /** Counted here and by the pipeline (lines, segments): one object, read as LogPipeline.stats. */
  readonly stats: LogPipelineStats = { lines: 0, segments: 0, trainPoints: 0, evalPoints: 0, summaryPoints: 0 };

  constructor(private readonly options: MetricReaderOptions) {}

  /** A train log waits for the next non-empty segment (see resolveDeferred). */
  get hasDeferred(): boolean {
    return this.deferred !== undefined;
  }

  /** Inside a metrics table: rows must go through parse(), not the pipeline's bar and dict fast paths. */
  get inTable(): boolean {
    return this.tableHeader !== undefined;
  }

  get progress(): ProgressInfo | undefined {
    return this.pHas ? this.progressObject() : undefined;
  }

  /** One non-blank segment (ANSI removed), whatever it holds. */
  parse(seg: string): void {
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

  /** A progress bar (parsed from a string or from the bytes). */
  onBar(bar: ParsedBar): void {
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

  /** Metrics parsed from a line (a dict parsed from the bytes comes here too). */
  emitMetrics(parsed: ParsedMetrics, rank: number | undefined): void {
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
  noteSegment(blankRedraw: boolean): void {
    this.clearedBefore = this.lastWasClear;
    this.lastWasClear = blankRedraw;
  }

  /**
   * Settles a deferred train log when the next non-empty segment comes: with that segment's bar
   * when it is the training bar redrawn, else with the step the log had.
   */
  resolveDeferred(bar: ParsedBar | undefined): void {
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
