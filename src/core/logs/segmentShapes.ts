/**
 * Cheap shape tests on one segment of trainer output — as a string or as a byte range of the
 * chunk — that let the pipeline take its fast paths (a tqdm redraw, a blank redraw, a metric
 * dict) without decoding or running a regex. Each one answers exactly what the slow path would.
 */
import { parseBarBytes } from './barBytes';
import { ByteScan } from './byteScan';
import { ParsedBar } from './progress';

/** parseBarBytes on a pure bar buf[start, end) (its last non-space byte is "]"). */
export function barAt(buf: Buffer, start: number, end: number): ParsedBar | undefined {
  let close = end - 1;
  while (buf[close] === 32) close--;
  return parseBarBytes(buf, start, end, close);
}

/** buf[start, end) (not empty) is spaces and tabs only: isBlank, and stripAnsi changes nothing. */
export function isSpaces(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 32 && buf[i] !== 9) return false;
  return true;
}

/** An ESC or "<" in buf[start, end). */
export function hasByte(scan: ByteScan, start: number, end: number): boolean {
  const esc = scan.nextEsc(start);
  if (esc !== -1 && esc < end) return true;
  const lt = scan.nextLt(start);
  return lt !== -1 && lt < end;
}

/** The first \n or \r at or after `from` (-1 if none). */
export function firstTerminator(buf: Buffer, from: number): number {
  const lf = buf.indexOf(10, from);
  const cr = buf.indexOf(13, from);
  if (lf === -1) return cr;
  if (cr === -1) return lf;
  return lf < cr ? lf : cr;
}

/** A bar's label: its text before the first digit, without leading and trailing spaces ("" for the Trainer's bar). */
export function labelOf(seg: string): string {
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
export function labelOfBytes(buf: Buffer, start: number, end: number): string {
  let i = start;
  while (i < end && !(buf[i] >= 48 && buf[i] <= 57)) i++;
  let a = start;
  while (a < i && buf[a] === 32) a++;
  while (i > a && buf[i - 1] === 32) i--;
  return a === i ? '' : buf.toString('utf8', a, i);
}

export function isBlank(seg: string): boolean {
  const c = seg.charCodeAt(0);
  if (c !== 32 && c !== 9) return false;
  return seg.trim().length === 0;
}

/** A tqdm bar and nothing after it: last non-space character "]", a "<" in it, no dict. */
export function isPureBar(seg: string): boolean {
  let i = seg.length - 1;
  while (i >= 0 && seg.charCodeAt(i) === 32) i--;
  if (i < 0 || seg.charCodeAt(i) !== 93 /* ] */) return false;
  return seg.indexOf('<') !== -1 && seg.indexOf("{'") === -1;
}
