/**
 * parseMetricDict (pyDict.ts) on the bytes of a segment that starts with `{'`, for the common
 * shape only: single-quoted keys without spaces, quotes or backslashes, and plain number
 * literals as values. Anything else gives undefined and the caller decodes the segment and runs
 * the reference parser, so the answer is always exactly parseMetricDict's. Numbers use the
 * exact fast path (integer mantissa ≤ 2^53 times or divided by a power of ten ≤ 10^22, which
 * IEEE rounds correctly, so it equals Number(text)); others go through Number(text).
 */
import { looksLikeTrainingLog } from './pyDict';

const POW10: number[] = [];
for (let i = 0, p = 1; i <= 22; i++, p *= 10) POW10.push(p);
const MAX_EXACT = 2 ** 53;

const SPACE = 32;
const TAB = 9;
const COMMA = 44;
const QUOTE = 39;
const COLON = 58;
const CLOSE_BRACE = 125;

/** Keys seen before, by their bytes: the same few keys come on every log line. */
const keyCache = new Map<number, { bytes: Buffer; key: string }[]>();

function keyAt(buf: Buffer, a: number, b: number): string {
  const len = b - a;
  const h = len * 31 + buf[a] * 7 + buf[b - 1] + (len > 2 ? buf[a + (len >> 1)] * 131 : 0);
  let list = keyCache.get(h);
  if (list) {
    for (let n = 0; n < list.length; n++) {
      const e = list[n];
      const bytes = e.bytes;
      if (bytes.length !== len) continue;
      let j = 0;
      while (j < len && bytes[j] === buf[a + j]) j++;
      if (j === len) return e.key;
    }
  } else {
    if (keyCache.size > 256) keyCache.clear();
    list = [];
    keyCache.set(h, list);
  }
  const key = buf.toString('latin1', a, b);
  if (list.length < 8) list.push({ bytes: Buffer.from(buf.subarray(a, b)), key });
  return key;
}

export function parseDictBytes(buf: Buffer, start: number, end: number): Record<string, number> | undefined {
  let close = end - 1;
  while (close > start && (buf[close] === SPACE || buf[close] === TAB)) close--;
  if (buf[close] !== CLOSE_BRACE) return undefined;
  const out: Record<string, number> = {};
  const keys: string[] = [];
  let i = start + 1;
  while (i < close) {
    let c = buf[i];
    while (i < close && (c === SPACE || c === COMMA)) c = buf[++i];
    if (i >= close) break;
    if (c !== QUOTE) return undefined;
    const k0 = i + 1;
    let k = k0;
    for (; k < close; k++) {
      const kc = buf[k];
      if (kc === QUOTE) break;
      if (kc <= SPACE || kc >= 0x7f || kc === 92 /* \ */ || kc === 34 /* " */) return undefined;
    }
    if (k >= close) return undefined;
    const key = keyAt(buf, k0, k);
    i = k + 1;
    while (i < close && buf[i] === SPACE) i++;
    if (buf[i] !== COLON) return undefined;
    i++;
    while (i < close && buf[i] === SPACE) i++;
    // A number literal: [+-] digits [. digits] [e [+-] digits]
    const v0 = i;
    let neg = false;
    c = buf[i];
    if (c === 45 || c === 43) {
      neg = c === 45;
      c = buf[++i];
    }
    let mant = 0;
    let digits = 0;
    let frac = 0;
    while (c >= 48 && c <= 57) {
      mant = mant * 10 + (c - 48);
      digits++;
      c = buf[++i];
    }
    if (c === 46) {
      c = buf[++i];
      while (c >= 48 && c <= 57) {
        mant = mant * 10 + (c - 48);
        digits++;
        frac++;
        c = buf[++i];
      }
    }
    if (digits === 0) return undefined;
    let exp = 0;
    if (c === 101 || c === 69) {
      c = buf[++i];
      let eneg = false;
      if (c === 45 || c === 43) {
        eneg = c === 45;
        c = buf[++i];
      }
      let ed = 0;
      while (c >= 48 && c <= 57) {
        exp = exp * 10 + (c - 48);
        ed++;
        c = buf[++i];
      }
      if (ed === 0) return undefined;
      if (ed > 4) exp = 9999; // out of the fast path's range: Number() below
      if (eneg) exp = -exp;
    }
    const v1 = i;
    while (i < close && buf[i] === SPACE) i++;
    if (i < close && buf[i] !== COMMA) return undefined;
    let value: number;
    const e10 = exp - frac;
    if (mant < MAX_EXACT && digits <= 16 && e10 >= -22 && e10 <= 22) {
      value = e10 < 0 ? mant / POW10[-e10] : mant * POW10[e10];
      if (neg) value = -value;
    } else value = Number(buf.toString('latin1', v0, v1));
    keys.push(key);
    out[key] = value;
  }
  if (keys.length === 0 || !looksLikeTrainingLog(keys)) return undefined;
  return out;
}
