/**
 * parseTqdm (progress.ts) on the bytes of a pure tqdm redraw, for the common shape only:
 * `[spaces]NN%|cells| n/total [h:m:s<h:m:s, rate unit]` with trailing spaces. Anything else
 * (a description, a rank prefix, a second bar fused in, an odd unit) gives undefined and the
 * caller decodes the segment and runs the reference parser, so the result is always exactly
 * what the string path gives. Numbers are read from the bytes; decimals only through the exact
 * fast path (integer mantissa < 2^53 divided by a power of ten ≤ 10^22, which IEEE division
 * rounds correctly, so it equals Number(text)).
 */
import type { ParsedBar } from './progress';

const LT = 60;
const CLOSE = 93;
const OPEN = 91;
const COLON = 58;
const EQ = 61;
const PCT = 37;
const PIPE = 124;
const SLASH = 47;
const SPACE = 32;
const TAB = 9;
const COMMA = 44;
const DOT = 46;
const QMARK = 63;

const POW10: number[] = [];
for (let i = 0, p = 1; i <= 22; i++, p *= 10) POW10.push(p);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** h:m:s (at least one ':') in buf[a, b), or -1 when it is not that. */
function hms(buf: Buffer, a: number, b: number): number {
  let total = 0;
  let part = 0;
  let digits = 0;
  let colons = 0;
  for (let i = a; i < b; i++) {
    const c = buf[i];
    if (isDigit(c)) {
      if (++digits > 9) return -1;
      part = part * 10 + (c - 48);
    } else if (c === COLON) {
      if (digits === 0) return -1;
      total = total * 60 + part;
      part = 0;
      digits = 0;
      colons++;
    } else return -1;
  }
  if (digits === 0 || colons === 0) return -1;
  return total * 60 + part;
}

/**
 * The bar of the pure redraw buf[start, end) whose last non-space byte, "]", is at `close`;
 * undefined when it is not the common shape (the caller then parses the decoded text).
 */
export function parseBarBytes(buf: Buffer, start: number, end: number, close: number): ParsedBar | undefined {
  // The "<" a few bytes before the "]".
  let lt = close - 1;
  const stop = Math.max(start, close - 64);
  while (lt >= stop && buf[lt] !== LT) lt--;
  if (lt < stop) return undefined;
  // Backwards from "<": elapsed back to "[", an optional space, total, "/", current.
  let ob = lt - 1;
  while (ob > start && (isDigit(buf[ob]) || buf[ob] === COLON)) ob--;
  if (buf[ob] !== OPEN) return undefined;
  const elapsed = hms(buf, ob + 1, lt);
  if (elapsed < 0) return undefined;
  let p = ob - 1;
  if (p > start && buf[p] === SPACE) p--;
  let total = 0;
  let scale = 1;
  const totalEnd = p + 1;
  while (p > start && isDigit(buf[p])) {
    total += (buf[p] - 48) * scale;
    scale *= 10;
    p--;
  }
  if (p === totalEnd - 1 || totalEnd - 1 - p > 15 || buf[p] !== SLASH) return undefined;
  p--;
  let current = 0;
  scale = 1;
  const curEnd = p + 1;
  while (p >= start && isDigit(buf[p])) {
    current += (buf[p] - 48) * scale;
    scale *= 10;
    p--;
  }
  if (p === curEnd - 1 || curEnd - 1 - p > 15) return undefined;
  const curStart = p + 1;
  // The prefix: spaces, "NN%|", cells; no "<" (a second bar), "]" or ":"/"=" (other parsers' marks).
  if (buf[start] === OPEN) return undefined;
  let pct = -1;
  for (let j = start; j < curStart; j++) {
    const c = buf[j];
    if (c < 0x80) {
      if (c === LT || c === CLOSE || c === COLON || c === EQ) return undefined;
      if (c === PCT && buf[j + 1] === PIPE) pct = j;
    }
  }
  if (pct < 0) return undefined;
  let d = pct;
  while (d > start && isDigit(buf[d - 1])) d--;
  for (let j = start; j < d; j++) if (buf[j] !== SPACE && buf[j] !== TAB) return undefined;
  // Forwards from "<": eta ("?" or h:m:s), then "]" or ", rate unit]".
  let q = lt + 1;
  let eta: number | undefined;
  if (buf[q] === QMARK) {
    q++;
  } else {
    const e0 = q;
    while (q < close && (isDigit(buf[q]) || buf[q] === COLON)) q++;
    const v = hms(buf, e0, q);
    if (v < 0) return undefined;
    eta = v;
  }
  let rate: number | undefined;
  if (q !== close) {
    if (buf[q] !== COMMA) return undefined;
    q++;
    while (q < close && buf[q] === SPACE) q++;
    let r = NaN;
    if (buf[q] === QMARK) q++;
    else {
      let mant = 0;
      let digits = 0;
      let frac = -1;
      while (q < close && (isDigit(buf[q]) || buf[q] === DOT)) {
        const c = buf[q++];
        if (c === DOT) {
          if (frac >= 0) return undefined;
          frac = 0;
        } else {
          if (++digits > 15) return undefined;
          mant = mant * 10 + (c - 48);
          if (frac >= 0) frac++;
        }
      }
      if (digits === 0) return undefined;
      r = frac > 0 ? mant / POW10[frac] : mant;
    }
    while (q < close && buf[q] === SPACE) q++;
    let perSecond = true;
    if (q !== close) {
      const u0 = q;
      while (q < close && isLetter(buf[q])) q++;
      if (q === u0 || buf[q] !== SLASH) return undefined;
      const slash = q;
      q++;
      const u1 = q;
      while (q < close && isLetter(buf[q])) q++;
      if (q === u1 || q !== close) return undefined;
      perSecond = !(slash === u0 + 1 && buf[u0] === 115 /* s */);
    }
    if (r > 0) rate = perSecond ? r : 1 / r;
  }
  if (eta === undefined && rate && total > current) eta = (total - current) / rate;
  if (eta === undefined && current > 0 && total > current) eta = (elapsed / current) * (total - current);
  const trailing = end - close - 1;
  return { current, total, desc: '', elapsedSeconds: elapsed, etaSeconds: eta, rate, after: trailing > 0 ? ' '.repeat(trailing) : '' };
}
