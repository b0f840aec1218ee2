/**
 * parseMetricDict (pyDict.ts) on the bytes of a segment that starts with `{'`, for the common
 * shape only: single-quoted keys without spaces, quotes or backslashes, and plain number
 * literals as values. Anything else gives undefined and the caller decodes the segment and runs
 * the reference parser, so the answer is always exactly parseMetricDict's. Numbers use the
 * exact fast path (integer mantissa ≤ 2^53 times or divided by a power of ten ≤ 10^22, which
 * IEEE rounds correctly, so it equals Number(text)); others go through Number(text).
 */
import { looksLikeTrainingLog } from './pyDict';
import { MetricKind, ParsedMetrics, metricName } from './trainerLine';

const POW10: number[] = [];
for (let i = 0, p = 1; i <= 22; i++, p *= 10) POW10.push(p);
const MAX_EXACT = 2 ** 53;

const SPACE = 32;
const TAB = 9;
const COMMA = 44;
const QUOTE = 39;
const COLON = 58;
const CLOSE_BRACE = 125;

// The key ranges and values of the dict being parsed (reused: the parser is not re-entrant).
const keyStart: number[] = [];
const keyEnd: number[] = [];
const vals: number[] = [];

/** A dict's keys as a recent line had them: the same few key sets come on every log line. */
interface Shape {
  bytes: Buffer[];
  keys: string[];
  /** undefined: not a shape the fast path takes (the caller uses the reference parser). */
  names: string[] | undefined;
  kind: MetricKind;
}
/** The shapes seen last (train logs, eval logs, …), newest first. */
const shapes: Shape[] = [];
const MAX_SHAPES = 4;

function sameKeys(shape: Shape, buf: Buffer, count: number): boolean {
  const bytes = shape.bytes;
  if (bytes.length !== count) return false;
  for (let n = 0; n < count; n++) {
    const b = bytes[n];
    const a = keyStart[n];
    const len = keyEnd[n] - a;
    if (b.length !== len) return false;
    for (let j = 0; j < len; j++) if (b[j] !== buf[a + j]) return false;
  }
  return true;
}

function makeShape(buf: Buffer, count: number): Shape {
  const bytes: Buffer[] = [];
  const keys: string[] = [];
  for (let n = 0; n < count; n++) {
    bytes.push(Buffer.from(buf.subarray(keyStart[n], keyEnd[n])));
    keys.push(buf.toString('latin1', keyStart[n], keyEnd[n]));
  }
  let kind: MetricKind = 'train';
  if (keys.some((k) => k.startsWith('eval_'))) kind = 'eval';
  else if (keys.includes('train_runtime') || keys.includes('train_loss')) kind = 'summary';
  // Simple keys only: distinct, not array indices (objects order those first), nothing Object.prototype has.
  const simple =
    new Set(keys).size === keys.length &&
    keys.every((k) => !(k.charCodeAt(0) >= 48 && k.charCodeAt(0) <= 57) && !(k in Object.prototype)) &&
    looksLikeTrainingLog(keys);
  return { bytes, keys, names: simple ? keys.map(metricName) : undefined, kind };
}

/**
 * parseDictLine (trainerLine.ts) of a segment buf[start, end) that starts with `{'`, for the
 * common shape; undefined when the caller must decode it and run parseDictLine.
 */
export function parseDictMetricsBytes(buf: Buffer, start: number, end: number): ParsedMetrics | undefined {
  const count = scanDict(buf, start, end);
  if (count <= 0) return undefined;
  let shape: Shape | undefined;
  for (let n = 0; n < shapes.length; n++) {
    if (sameKeys(shapes[n], buf, count)) {
      shape = shapes[n];
      break;
    }
  }
  if (!shape) {
    shape = makeShape(buf, count);
    if (shapes.length >= MAX_SHAPES) shapes.pop();
    shapes.unshift(shape);
  }
  const names = shape.names;
  if (!names) return undefined;
  // The MetricPoint itself, its step filled in by the pipeline (see ParsedMetrics.asPoint).
  const values: Record<string, number> = { step: 0 };
  let step: number | undefined;
  for (let n = 0; n < count; n++) {
    const name = names[n];
    if (name === 'step') step = vals[n];
    else values[name] = vals[n];
  }
  return { kind: shape.kind, values, step, asPoint: true };
}

/** parseMetricDict on the bytes (for tests and the rare caller that wants the raw dict). */
export function parseDictBytes(buf: Buffer, start: number, end: number): Record<string, number> | undefined {
  const count = scanDict(buf, start, end);
  if (count <= 0) return undefined;
  const keys: string[] = [];
  const out: Record<string, number> = {};
  for (let n = 0; n < count; n++) {
    const key = buf.toString('latin1', keyStart[n], keyEnd[n]);
    keys.push(key);
    out[key] = vals[n];
  }
  return looksLikeTrainingLog(keys) ? out : undefined;
}

/** The keys and values into keyStart/keyEnd/vals; their count, or -1 when not the common shape. */
function scanDict(buf: Buffer, start: number, end: number): number {
  let close = end - 1;
  while (close > start && (buf[close] === SPACE || buf[close] === TAB)) close--;
  if (buf[close] !== CLOSE_BRACE) return -1;
  let count = 0;
  let i = start + 1;
  while (i < close) {
    let c = buf[i];
    while (i < close && (c === SPACE || c === COMMA)) c = buf[++i];
    if (i >= close) break;
    if (c !== QUOTE) return -1;
    const k0 = i + 1;
    let k = k0;
    for (; k < close; k++) {
      const kc = buf[k];
      if (kc === QUOTE) break;
      if (kc <= SPACE || kc >= 0x7f || kc === 92 /* \ */ || kc === 34 /* " */) return -1;
    }
    if (k >= close) return -1;
    i = k + 1;
    while (i < close && buf[i] === SPACE) i++;
    if (buf[i] !== COLON) return -1;
    i++;
    while (i < close && buf[i] === SPACE) i++;
    // A number literal: [+-] digits [. digits] [e [+-] digits], maybe in quotes (transformers 5 prints '10.43').
    c = buf[i];
    const quoted = c === QUOTE;
    if (quoted) c = buf[++i];
    const v0 = i;
    let neg = false;
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
    if (digits === 0) return -1;
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
      if (ed === 0) return -1;
      if (ed > 4) exp = 9999; // out of the fast path's range: Number() below
      if (eneg) exp = -exp;
    }
    const v1 = i;
    if (quoted) {
      if (c !== QUOTE) return -1;
      i++;
    }
    while (i < close && buf[i] === SPACE) i++;
    if (i < close && buf[i] !== COMMA) return -1;
    let value: number;
    const e10 = exp - frac;
    if (mant < MAX_EXACT && e10 >= -22 && e10 <= 22) {
      value = e10 < 0 ? mant / POW10[-e10] : mant * POW10[e10];
      if (neg) value = -value;
    } else value = Number(buf.toString('latin1', v0, v1));
    keyStart[count] = k0;
    keyEnd[count] = k;
    vals[count] = value;
    count++;
  }
  return count;
}
