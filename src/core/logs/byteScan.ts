/**
 * Byte-level helpers for LogPipeline.pushBytes: the next \n / \r, ESC, `{'` and `<` of
 * one chunk, each found with Buffer.indexOf (memchr) and remembered, so a chunk of
 * thousands of tqdm redraws costs a few native searches per redraw and no decoding.
 * Every byte looked for is ASCII, and UTF-8 never uses ASCII bytes inside a multi-byte
 * character, so a byte match is a character match.
 */
const LF = 10;
const CR = 13;
const ESC = 0x1b;
const LT = 60;
const SPACE = 32;
const CLOSE_BRACKET = 93;
const DICT_OPEN = Buffer.from("{'", 'latin1');

/** Forward searches over one buffer; `from` must not decrease between calls of one kind. */
export class ByteScan {
  private lf = -2;
  private cr = -2;
  private esc = -2;
  private dict = -2;
  private lt = -2;

  constructor(private readonly buf: Buffer) {}

  /** The first \n or \r at or after `from`, or -1. */
  nextTerminator(from: number): number {
    if (this.lf !== -1 && this.lf < from) this.lf = this.buf.indexOf(LF, from);
    if (this.cr !== -1 && this.cr < from) this.cr = this.buf.indexOf(CR, from);
    const lf = this.lf;
    const cr = this.cr;
    if (lf === -1) return cr;
    if (cr === -1) return lf;
    return lf < cr ? lf : cr;
  }

  nextEsc(from: number): number {
    if (this.esc !== -1 && this.esc < from) this.esc = this.buf.indexOf(ESC, from);
    return this.esc;
  }

  nextDict(from: number): number {
    if (this.dict !== -1 && this.dict < from) this.dict = this.buf.indexOf(DICT_OPEN, from);
    return this.dict;
  }

  nextLt(from: number): number {
    if (this.lt !== -1 && this.lt < from) this.lt = this.buf.indexOf(LT, from);
    return this.lt;
  }
}

function within(p: number, end: number): boolean {
  return p !== -1 && p < end;
}

/**
 * isPureBar (pipeline.ts) on the bytes buf[start, end): last non-space byte "]", a "<"
 * in it, no `{'`; and no ESC, so stripping ANSI would not change it. False sends the
 * segment down the decoding path, which gives the exact answer.
 */
export function isPureBarBytes(buf: Buffer, start: number, end: number, scan: ByteScan): boolean {
  let i = end - 1;
  while (i >= start && buf[i] === SPACE) i--;
  if (i < start || buf[i] !== CLOSE_BRACKET) return false;
  // tqdm's "<" is a few bytes before the "]" ("[1:02:03<2:03:04, 2.41s/it]"): look there first.
  let lt = false;
  for (let j = i - 1, stop = Math.max(start, i - 64); j >= stop; j--) {
    if (buf[j] === LT) {
      lt = true;
      break;
    }
  }
  if (!lt && !within(scan.nextLt(start), end)) return false;
  if (within(scan.nextEsc(start), end)) return false;
  return !within(scan.nextDict(start), end);
}
