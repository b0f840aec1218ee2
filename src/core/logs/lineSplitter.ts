/**
 * Splits a stream of text chunks into segments ended by \n or \r (tqdm redraws
 * with \r). The segments do not depend on where the chunks were split: a run of
 * text with no terminator is cut every `maxChars` characters ('cap'), whatever
 * the chunking, so one runaway "line" never grows the buffer without bound.
 */
export type SegmentEnd = 'lf' | 'cr' | 'cap' | 'eof';

export const DEFAULT_MAX_LINE_CHARS = 64 * 1024;

export class LineSplitter {
  private pending = '';

  constructor(
    private readonly onSegment: (text: string, end: SegmentEnd) => void,
    private readonly maxChars = DEFAULT_MAX_LINE_CHARS,
  ) {}

  push(chunk: string): void {
    let start = 0;
    const n = chunk.length;
    // Next \n and \r positions, each searched once per chunk pass (not once per segment:
    // a line of many \r redraws would make that quadratic).
    let lf = chunk.indexOf('\n');
    let cr = chunk.indexOf('\r');
    while (start < n) {
      if (lf !== -1 && lf < start) lf = chunk.indexOf('\n', start);
      if (cr !== -1 && cr < start) cr = chunk.indexOf('\r', start);
      let end: number;
      if (lf === -1 && cr === -1) end = -1;
      else if (lf === -1) end = cr;
      else if (cr === -1) end = lf;
      else end = lf < cr ? lf : cr;
      if (end === -1) {
        this.append(chunk.slice(start));
        return;
      }
      let text: string;
      if (this.pending.length === 0 && end - start < this.maxChars) text = chunk.slice(start, end);
      else {
        this.append(chunk.slice(start, end));
        text = this.pending;
        this.pending = '';
      }
      this.onSegment(text, chunk.charCodeAt(end) === 10 ? 'lf' : 'cr');
      start = end + 1;
    }
  }

  /** Flush what is left (a last line without a terminator). */
  end(): void {
    if (this.pending.length > 0) {
      const text = this.pending;
      this.pending = '';
      this.onSegment(text, 'eof');
    }
  }

  private append(text: string): void {
    if (text.length === 0) return;
    this.pending = this.pending.length === 0 ? text : this.pending + text;
    while (this.pending.length >= this.maxChars) {
      const head = this.pending.slice(0, this.maxChars);
      this.pending = this.pending.slice(this.maxChars);
      this.onSegment(head, 'cap');
    }
  }
}
