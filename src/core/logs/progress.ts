/**
 * tqdm and friends: the progress a segment of trainer output shows.
 * tqdm redraws with \r, and captured logs often fuse several redraws (or a
 * redraw and a warning) into one line, so the LAST bar of a segment counts.
 */

export interface ParsedBar {
  current: number;
  total: number;
  /** The bar's description ("Map", "Loading checkpoint shards"); empty for the Trainer's own bars. */
  desc: string;
  elapsedSeconds?: number;
  etaSeconds?: number;
  /** Iterations per second, when shown. */
  rate?: number;
  /** Text after the bar's closing bracket (e.g. Unsloth's "10, 2.2398"). */
  after: string;
}

// n/total [elapsed<remaining, rate unit]  — the closing ']' may be lost when a warning overwrote it.
const BAR_RE = /(\d+)\/(\d+) ?\[(\d+(?::\d+)+)<(\?|\d+(?::\d+)+)(?:, *(\?|[\d.]+) *([a-zA-Z ]*\/[a-zA-Z]+|\?[a-zA-Z/ ]*)?)?[^\]\r\n]*?(\]|$)/g;

export function hmsToSeconds(text: string): number | undefined {
  if (text === '?' || text.length === 0) return undefined;
  let total = 0;
  for (const part of text.split(':')) {
    const n = Number(part);
    if (Number.isNaN(n)) return undefined;
    total = total * 60 + n;
  }
  return total;
}

function describe(before: string): string {
  const bracket = before.lastIndexOf(']');
  const seg = bracket === -1 ? before : before.slice(bracket + 1);
  const bar = seg.lastIndexOf('%|');
  if (bar === -1) return '';
  let p = bar;
  while (p > 0 && seg.charCodeAt(p - 1) >= 48 && seg.charCodeAt(p - 1) <= 57) p--;
  let desc = seg.slice(0, p).trim();
  if (desc.endsWith(':')) desc = desc.slice(0, -1).trim();
  return desc;
}

/** The last tqdm bar in a segment, or undefined. */
export function parseTqdm(seg: string): ParsedBar | undefined {
  // Cheap rejections first: every bar has "<" and "/" and "[".
  if (seg.indexOf('<') === -1 || seg.indexOf('[') === -1) return undefined;
  BAR_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  let last: RegExpExecArray | undefined;
  let prevEnd = 0;
  let lastBefore = '';
  while ((m = BAR_RE.exec(seg)) !== null) {
    lastBefore = seg.slice(prevEnd, m.index);
    last = m;
    prevEnd = m.index + m[0].length;
    if (m[0].length === 0) BAR_RE.lastIndex++;
  }
  if (!last) return undefined;
  const current = Number(last[1]);
  const total = Number(last[2]);
  const elapsed = hmsToSeconds(last[3]);
  let eta = hmsToSeconds(last[4]);
  let rate: number | undefined;
  if (last[5] !== undefined && last[5] !== '?') {
    const r = Number(last[5]);
    const unit = last[6] ?? '';
    if (r > 0) rate = unit.startsWith('s/') ? 1 / r : r;
  }
  if (eta === undefined && rate && total > current) eta = (total - current) / rate;
  if (eta === undefined && elapsed !== undefined && current > 0 && total > current) eta = (elapsed / current) * (total - current);
  return { current, total, desc: describe(lastBefore), elapsedSeconds: elapsed, etaSeconds: eta, rate, after: seg.slice(prevEnd) };
}

// HF NotebookProgressCallback as text: "[60/60 09:26, Epoch 1/2]" or "[ 5/60 00:10 < 01:50, 0.50 it/s, Epoch 0.1/2]"
const NOTEBOOK_RE = /\[\s*(\d+)\/(\d+) ([\d:]+)(?: < ([\d:]+))?,(?: [\d.]+ it\/s,)? Epoch ([\d.]+)\/(\d+)/;

export function parseNotebookBar(seg: string): ParsedBar | undefined {
  if (seg.indexOf('Epoch ') === -1) return undefined;
  const m = NOTEBOOK_RE.exec(seg);
  if (!m) return undefined;
  const current = Number(m[1]);
  const total = Number(m[2]);
  const elapsed = hmsToSeconds(m[3]);
  let eta = m[4] !== undefined ? hmsToSeconds(m[4]) : undefined;
  if (eta === undefined && current >= total) eta = 0;
  return { current, total, desc: '', elapsedSeconds: elapsed, etaSeconds: eta, after: '' };
}
