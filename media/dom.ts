/** A small element builder. Text always goes through text nodes; there is no innerHTML here. */

export type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  text?: string;
  testid?: string;
  attrs?: Record<string, string | number | boolean | undefined>;
  data?: Record<string, string>;
}

export function h(doc: Document, tag: string, props: Props = {}, ...children: Child[]): HTMLElement {
  const el = doc.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.testid) el.setAttribute('data-testid', props.testid);
  if (props.attrs) {
    for (const [k, v] of Object.entries(props.attrs)) {
      if (v === undefined || v === false) continue;
      // Never an event handler attribute, whatever a caller passes.
      if (/^on/i.test(k)) continue;
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  if (props.data) for (const [k, v] of Object.entries(props.data)) el.setAttribute(`data-${k}`, v);
  if (props.text !== undefined) el.textContent = props.text;
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  const doc = el.ownerDocument ?? (el as Document);
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' ? doc.createTextNode(c) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function button(doc: Document, label: string, action: string, props: Props & { aria?: string } = {}): HTMLElement {
  const b = h(doc, 'button', { ...props, text: label, attrs: { type: 'button', 'aria-label': props.aria, ...props.attrs } });
  b.setAttribute('data-action', action);
  return b;
}

/** Truncate long text for display. */
export function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Any value as short display text (dataset cells, tool args). */
export function display(v: unknown, max = 300): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return clip(v, max);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  try {
    return clip(JSON.stringify(v), max);
  } catch {
    return clip(String(v), max);
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const hrs = Math.floor(m / 60);
  return `${hrs}h ${m % 60}m`;
}

export function formatNumber(n: number | undefined, digits = 4): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return '–';
  if (n !== 0 && (Math.abs(n) < 1e-3 || Math.abs(n) >= 1e6)) return n.toExponential(2);
  return String(Number(n.toPrecision(digits)));
}

export function formatTokens(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}
