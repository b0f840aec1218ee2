/** happy-dom setup shared by the webview tests. */
import { Window } from 'happy-dom';
import type { AgentEvent } from '../../../src/core/events';
import type { WebviewMessage } from '../../../src/core/protocol';
import { ChatModel } from '../../../media/model';
import { ChatView } from '../../../media/view';
import type { ChartFactory, ChartRenderer, Scheduler } from '../../../media/chartView';
import type { AlignedData, SeriesKey } from '../../../media/chartData';

export function dom(): { window: Window; document: Document; root: HTMLElement } {
  const window = new Window({ url: 'https://webview.test/' });
  const document = window.document as unknown as Document;
  const root = document.createElement('div');
  root.id = 'app';
  document.body.appendChild(root);
  return { window, document, root };
}

export class FakeRenderer implements ChartRenderer {
  data: AlignedData[] = [];
  /** The series it was made with: what the real chart's legend lists. */
  series: SeriesKey[] = [];
  widths: number[] = [];
  destroyed = false;
  setData(d: AlignedData): void {
    this.data.push(d.map((a) => [...a]) as AlignedData);
  }
  setSize(w: number): void {
    this.widths.push(w);
  }
  destroy(): void {
    this.destroyed = true;
  }
}

export function fakeCharts(): { factory: ChartFactory; renderers: FakeRenderer[] } {
  const renderers: FakeRenderer[] = [];
  return {
    renderers,
    factory: (container, data) => {
      const r = new FakeRenderer();
      r.series = data.plotted();
      const canvas = container.ownerDocument.createElement('canvas');
      canvas.setAttribute('data-testid', 'loss-chart-canvas');
      container.appendChild(canvas);
      r.setData(data.aligned());
      renderers.push(r);
      return r;
    },
  };
}

/** Runs scheduled callbacks only when told. */
export class ManualScheduler implements Scheduler {
  queue: Array<{ fn: () => void; ms: number; id: number }> = [];
  private seq = 0;
  set(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.queue.push({ fn, ms, id });
    return id;
  }
  clear(h: unknown): void {
    this.queue = this.queue.filter((q) => q.id !== h);
  }
  runAll(): void {
    const q = this.queue;
    this.queue = [];
    for (const x of q) x.fn();
  }
}

export const identity = (html: string) => html;

export function makeView(opts: { purify?: (h: string) => string } = {}) {
  const { window, document, root } = dom();
  const posted: WebviewMessage[] = [];
  const charts = fakeCharts();
  const model = new ChatModel();
  const view = new ChatView(root, model, { post: (m) => posted.push(m), chartFactory: charts.factory, purify: opts.purify ?? identity, chartIntervalMs: 0 });
  const apply = (...events: AgentEvent[]) => {
    model.applyAll(events);
    view.render();
  };
  return { window, document, root, posted, charts, model, view, apply };
}

/** Every element and attribute that could run code. */
export function executableBits(root: Element): string[] {
  const bad: string[] = [];
  for (const el of Array.from(root.querySelectorAll('*'))) {
    const tag = el.tagName.toLowerCase();
    if (['script', 'iframe', 'object', 'embed', 'img', 'svg', 'math', 'style', 'link', 'meta', 'form', 'base'].includes(tag)) bad.push(`<${tag}>`);
    for (const a of Array.from(el.attributes)) {
      if (/^on/i.test(a.name)) bad.push(`${tag}[${a.name}]`);
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(a.name.toLowerCase()) && !/^(https?:|mailto:)/i.test(a.value.trim())) bad.push(`${tag}[${a.name}=${a.value}]`);
    }
  }
  return bad;
}

export const RUN = 'r1';
