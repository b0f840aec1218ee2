/**
 * What the agent sees of a failed run: a bounded extract (≈2,000 tokens, hard
 * cap) that keeps what a diagnosis needs — the real exception line (of the
 * first failing rank when torchrun ranks interleave their tracebacks), its key
 * frames, the last progress line, the warnings that matter, the exit code —
 * and points to the full log on disk for the rest.
 */
import { open } from 'node:fs/promises';
import { splitRank, stripAnsi } from './logLine';
import { parseTqdm } from './progress';

export interface FailureObservationInput {
  /** The log text (or its tail), or the ring buffer's lines. */
  text?: string;
  lines?: string[];
  /** Absolute path of the full log, for the pointer. */
  logPath?: string;
  exitCode?: number;
  signal?: string;
  /** Token budget (chars / 4), default 2,000. */
  maxTokens?: number;
}

interface RankLine {
  rank: string; // '' for lines without a rank prefix
  text: string;
  index: number;
}

interface Traceback {
  rank: string;
  /** Index (in the whole log) of the exception line: orders failures in time. */
  index: number;
  frames: Frame[];
  exception: string[];
}

interface Frame {
  location: string;
  code?: string;
}

const MAX_LINE = 600;
const LIB_PATH_RE = /(site-packages|dist-packages|[\\/]lib[\\/]python\d|<frozen |[\\/]torch[\\/]|[\\/]transformers[\\/])/;
const WARNING_RE = /\b([A-Z][A-Za-z]*Warning|WARNING|Warning)\b[:\]]?/;
const CHILD_FAILED = 'ChildFailedError';
const LOG_RECORD_RE = /^(\[|[EWIF]\d{4} |\d{4}-\d\d-\d\d|wandb:)/;

function clip(line: string, max = MAX_LINE): string {
  return line.length > max ? `${line.slice(0, max - 20)} … [${line.length - max + 20} chars cut]` : line;
}

/** Display lines: ANSI removed, a tqdm \r redraw keeps its last non-empty state. */
function toDisplayLines(input: FailureObservationInput): string[] {
  const raw = input.lines ?? (input.text ?? '').split('\n');
  const out: string[] = [];
  for (const l of raw) {
    let line = l;
    if (line.indexOf('\r') !== -1) {
      const parts = line.split('\r').filter((p) => p.length > 0);
      line = parts.length ? parts[parts.length - 1] : '';
    }
    out.push(stripAnsi(line));
  }
  return out;
}

function rankKey(text: string): RankLine {
  const { rank, text: rest } = splitRank(text);
  return { rank: rank === undefined ? '' : String(rank), text: rest, index: -1 };
}

/** Tracebacks of one stream of lines (one rank). */
function findTracebacks(lines: RankLine[]): Traceback[] {
  const out: Traceback[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].text.startsWith('Traceback (most recent call last):')) continue;
    const frames: Frame[] = [];
    let j = i + 1;
    while (j < lines.length) {
      const t = lines[j].text;
      if (t.startsWith('  File ')) {
        frames.push({ location: t.trim() });
        j++;
      } else if (t.startsWith('    ') || t.trim().startsWith('^') || t.trim().startsWith('~')) {
        const last = frames[frames.length - 1];
        if (last && last.code === undefined && !/^[\s^~]+$/.test(t)) last.code = t.trim();
        j++;
      } else if (t.trim() === '') {
        j++;
      } else break;
    }
    if (j >= lines.length) continue;
    // The exception: its first line, then the lines that continue the message.
    const exception = [lines[j].text];
    let k = j + 1;
    while (k < lines.length && exception.length < 40) {
      const t = lines[k].text;
      if (t.startsWith('Traceback (') || t.startsWith('During handling') || t.startsWith('The above exception')) break;
      if (t.trim() === '' && exception.length > 0) break;
      // A log record or a progress bar is not part of the message.
      if (LOG_RECORD_RE.test(t) || (t.indexOf('%|') !== -1 && parseTqdm(t))) break;
      exception.push(t);
      k++;
    }
    out.push({ rank: lines[i].rank, index: lines[j].index, frames, exception });
    i = j;
  }
  return out;
}

/** The failure root-cause rank named by torchrun's ChildFailedError summary, if any. */
function rootCauseRank(lines: string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i].includes('Root Cause (first observed failure)')) continue;
    for (let j = i + 1; j < Math.min(lines.length, i + 12); j++) {
      const m = /^\s*rank\s*:\s*(\d+)/.exec(lines[j]);
      if (m) return m[1];
    }
  }
  return undefined;
}

function chooseTraceback(all: Traceback[], rootRank: string | undefined): Traceback | undefined {
  if (all.length === 0) return undefined;
  const isChildFailed = (t: Traceback) => t.exception[0].includes(CHILD_FAILED);
  const ranked = all.filter((t) => t.rank !== '' && !isChildFailed(t));
  if (ranked.length > 0) {
    const lastPerRank = new Map<string, Traceback>();
    for (const t of ranked) lastPerRank.set(t.rank, t);
    if (rootRank !== undefined && lastPerRank.has(rootRank)) return lastPerRank.get(rootRank);
    // The first rank whose exception line appears: the first failure.
    return [...lastPerRank.values()].sort((a, b) => a.index - b.index)[0];
  }
  const real = all.filter((t) => !isChildFailed(t));
  return (real.length ? real : all)[(real.length ? real : all).length - 1];
}

function keyFrames(frames: Frame[]): Frame[] {
  const keep = new Set<number>();
  frames.forEach((f, i) => {
    if (!LIB_PATH_RE.test(f.location)) keep.add(i);
  });
  if (frames.length > 0) keep.add(frames.length - 1); // innermost frame, library or not
  // The innermost library frame, when the innermost frame is the user's.
  for (let i = frames.length - 1; i >= 0; i--) {
    if (LIB_PATH_RE.test(frames[i].location)) {
      keep.add(i);
      break;
    }
  }
  let idx = [...keep].sort((a, b) => a - b);
  if (idx.length > 12) idx = [...idx.slice(0, 4), ...idx.slice(-8)];
  return idx.map((i) => frames[i]);
}

function lastProgressLine(lines: string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0 && i >= lines.length - 20000; i--) {
    const l = lines[i];
    if (l.indexOf('<') === -1) continue;
    if (parseTqdm(l)) {
      // Keep the last bar of a fused line: from its percentage on.
      let p = l.lastIndexOf('%|');
      if (p === -1) return l.trim();
      while (p > 0 && l.charCodeAt(p - 1) >= 48 && l.charCodeAt(p - 1) <= 57) p--;
      return l.slice(p).trim();
    }
  }
  return undefined;
}

function importantWarnings(lines: string[], limit: number): string[] {
  const seen = new Map<string, { line: string; count: number; weight: number; order: number }>();
  let order = 0;
  for (const l of lines) {
    if (l.indexOf('arning') === -1 && l.indexOf('WARNING') === -1) continue;
    const m = WARNING_RE.exec(l);
    if (!m) continue;
    const kind = m[1];
    // Same warning from another file line or rank: one entry.
    const key = l.replace(/^.*?(\w*Warning|WARNING)/, '$1').replace(/\d+/g, '#').slice(0, 200);
    const weight = /Deprecat|FutureWarning|deprecated/.test(l) ? 1 : kind === 'UserWarning' || kind === 'RuntimeWarning' ? 3 : 2;
    const e = seen.get(key);
    if (e) e.count++;
    else seen.set(key, { line: l.trim(), count: 1, weight, order: order++ });
  }
  return [...seen.values()]
    .sort((a, b) => b.weight - a.weight || b.order - a.order)
    .slice(0, limit)
    .map((w) => clip(w.count > 1 ? `${w.line} (×${w.count})` : w.line, 400));
}

export function buildFailureObservation(input: FailureObservationInput): string {
  const maxChars = Math.max(400, (input.maxTokens ?? 2000) * 4);
  const lines = toDisplayLines(input);
  const tagged: RankLine[] = lines.map((l, index) => ({ ...rankKey(l), index }));
  const byRank = new Map<string, RankLine[]>();
  for (const t of tagged) {
    let list = byRank.get(t.rank);
    if (!list) byRank.set(t.rank, (list = []));
    list.push(t);
  }
  const tracebacks: Traceback[] = [];
  for (const list of byRank.values()) tracebacks.push(...findTracebacks(list));
  const tb = chooseTraceback(tracebacks, rootCauseRank(lines));
  const progress = lastProgressLine(lines);
  const warnings = importantWarnings(lines, 6);

  const head: string[] = [];
  const exitText = input.exitCode === undefined ? 'unknown' : `${input.exitCode}${input.signal ? ` (${input.signal})` : input.exitCode > 128 ? ` (signal ${input.exitCode - 128})` : ''}`;
  head.push(`The run failed. Exit code: ${exitText}.`);
  const sections: string[][] = [];
  if (tb) {
    const who = tb.rank !== '' ? ` (rank ${tb.rank}, the first failing rank${byRank.size > 2 ? ` of ${[...byRank.keys()].filter((k) => k !== '').length}` : ''})` : '';
    sections.push([`Exception${who}:`, ...tb.exception.slice(0, 8).map((l) => clip(l))]);
    const frames = keyFrames(tb.frames);
    if (frames.length) {
      const fl = ['Key frames (your code, and the innermost library frame):'];
      for (const f of frames) {
        fl.push(`  ${clip(f.location, 300)}`);
        if (f.code) fl.push(`    ${clip(f.code, 200)}`);
      }
      sections.push(fl);
    }
    const others = [...new Set(tracebacks.filter((t) => t !== tb).map((t) => clip(t.exception[0], 200)))].slice(0, 3);
    if (others.length) sections.push(['Other exceptions in the log:', ...others.map((o) => `  ${o}`)]);
  } else {
    sections.push(['No Python traceback found in the log.']);
  }
  if (progress) sections.push([`Last progress: ${clip(progress, 300)}`]);
  if (warnings.length) sections.push(['Warnings (deduplicated):', ...warnings.map((w) => `  ${w}`)]);
  const pointer = input.logPath
    ? `Full log: ${input.logPath} (read the full log with the read_file tool at ${input.logPath}).`
    : 'The full log was not saved to a file.';

  // Fill in priority order; the tail of the log takes whatever room is left.
  let out = `${head.join('\n')}\n`;
  const tailRoom = (used: number) => maxChars - used - pointer.length - 2;
  for (const s of sections) {
    const block = `\n${s.join('\n')}\n`;
    if (out.length + block.length + pointer.length + 2 > maxChars) {
      const room = tailRoom(out.length);
      if (room > 80) out += block.slice(0, room - 20) + '\n[… cut]\n';
      break;
    }
    out += block;
  }
  const room = tailRoom(out.length) - 40;
  if (room > 200) {
    const tail: string[] = [];
    let used = 0;
    let repeat = 0;
    let prev: string | undefined;
    for (let i = lines.length - 1; i >= 0 && tail.length < 40; i--) {
      const l = lines[i].trimEnd();
      if (l === '') continue;
      // Repeated lines (a warning every step) collapse into one with a count.
      if (l === prev) {
        repeat++;
        continue;
      }
      if (repeat > 0 && tail.length) tail[0] += ` (×${repeat + 1})`;
      repeat = 0;
      prev = l;
      const c = clip(l, 300);
      if (used + c.length + 8 > room) break;
      tail.unshift(c);
      used += c.length + 8;
    }
    if (repeat > 0 && tail.length) tail[0] += ` (×${repeat + 1})`;
    if (tail.length) out += `\nLast lines of the log:\n${tail.join('\n')}\n`;
  }
  out += `\n${pointer}`;
  return out.length > maxChars ? out.slice(0, maxChars) : out;
}

/** The same, from the end of a log file (reads at most `maxBytes` of its end: memory stays bounded). */
export async function buildFailureObservationFromFile(
  logPath: string,
  options: Omit<FailureObservationInput, 'text' | 'lines' | 'logPath'> & { maxBytes?: number } = {},
): Promise<string> {
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  const fh = await open(logPath, 'r');
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    let text = buf.toString('utf8');
    if (start > 0) text = text.slice(text.indexOf('\n') + 1); // drop the partial first line
    return buildFailureObservation({ ...options, text, logPath });
  } finally {
    await fh.close();
  }
}
