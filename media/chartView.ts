/**
 * A chart behind a tiny interface, so the data model and the redraw policy
 * are testable without a canvas; the bundle uses the uPlot renderer
 * (./uplotChart.ts), tests a fake.
 */
import { AlignedData, ChartData } from './chartData';

export interface ChartRenderer {
  setData(data: AlignedData): void;
  setSize(width: number): void;
  destroy(): void;
}

export type ChartFactory = (container: HTMLElement, data: ChartData) => ChartRenderer;

export interface Scheduler {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const defaultScheduler: Scheduler = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Owns one renderer; redraws at most once per `intervalMs` however fast metrics arrive. */
export class ChartView {
  private renderer: ChartRenderer | undefined;
  private drawnRev = -1;
  /** The series the renderer was made with: when one gets its first point (an eval, a reward) it is made again. */
  private drawnSeries = '';
  private pending: unknown;
  private lastDraw = -Infinity;
  draws = 0;

  constructor(
    readonly container: HTMLElement,
    private readonly data: ChartData,
    private readonly factory: ChartFactory,
    private readonly intervalMs = 500,
    private readonly scheduler: Scheduler = defaultScheduler,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Call after the data changed. */
  update(): void {
    if (this.data.rev === this.drawnRev || this.pending !== undefined) return;
    const wait = this.lastDraw + this.intervalMs - this.now();
    if (wait <= 0) this.draw();
    else this.pending = this.scheduler.set(() => {
      this.pending = undefined;
      this.draw();
    }, wait);
  }

  resize(width: number): void {
    this.renderer?.setSize(width);
  }

  destroy(): void {
    if (this.pending !== undefined) this.scheduler.clear(this.pending);
    this.pending = undefined;
    this.renderer?.destroy();
    this.renderer = undefined;
  }

  private draw(): void {
    if (this.data.length === 0) return;
    this.lastDraw = this.now();
    this.drawnRev = this.data.rev;
    this.draws++;
    const series = this.data.plotted().join(',');
    if (this.renderer && this.drawnSeries !== series) {
      this.renderer.destroy();
      this.renderer = undefined;
    }
    this.drawnSeries = series;
    if (!this.renderer) this.renderer = this.factory(this.container, this.data);
    else this.renderer.setData(this.data.aligned());
  }
}
