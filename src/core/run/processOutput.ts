/**
 * A training process's console output, forwarded as process_output events every half second.
 * The panel shows a short live tail (the terminal next to it shows everything): only the end of
 * each chunk is decoded, and an event carries the last 4,000 characters. A command line that
 * prints the run (`ml-intern fine-tune`) wants all of it instead; a burst bigger than it could
 * read anyway (a catch-up of a long log after `--attach`) is cut to its end with a line saying
 * how much was left out and where the whole log is.
 */
import { StringDecoder } from 'node:string_decoder';

/** At most this many bytes of a chunk are decoded for the tail. */
const TAIL_BYTES = 16 * 1024;
/** Characters one event carries in tail mode (and after a cut burst in full mode). */
const TAIL_CHARS = 4000;
/** Full mode: output beyond this many characters in one half-second is cut to its end. */
const BURST_CHARS = 64 * 1024;
const FLUSH_MS = 500;

export interface ProcessOutputOptions {
  /** Everything (a CLI printing the run) rather than the panel's tail. */
  full: boolean;
  /** The whole log, named when a burst is cut. */
  logFile: string;
  emit(text: string): void;
}

export class ProcessOutput {
  private pending = '';
  /** Full mode: bytes of the current half-second not shown. */
  private skipped = 0;
  private decoder = new StringDecoder('utf8');
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: ProcessOutputOptions) {}

  bytes(buf: Buffer): void {
    this.add(buf.length, () => this.decoder.write(buf), () => this.tailOf(buf));
  }

  /** Output that came as text (a run view without bytes): the same, with characters for bytes. */
  text(chunk: string): void {
    this.add(Buffer.byteLength(chunk), () => chunk, () => chunk);
  }

  /** Take a chunk of `size` bytes: whole (full mode, within a burst's limit), else by its end. */
  private add(size: number, whole: () => string, end: () => string): void {
    if (this.o.full && this.skipped === 0 && this.pending.length + size <= BURST_CHARS) {
      this.pending += whole();
    } else {
      if (this.o.full) {
        // A burst: what came before it in this half-second is shown whole, the burst by its end.
        if (this.skipped === 0) this.emitPending();
        this.skipped += size;
      }
      this.pending += end();
      if (this.pending.length > 4 * TAIL_CHARS) this.pending = this.pending.slice(-TAIL_CHARS);
    }
    this.schedule();
  }

  /** Send what is pending now (the run ended). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.skipped > 0) {
      const mib = (this.skipped / 1024 / 1024).toFixed(1);
      this.pending = `\n[ML Intern: ${mib} MiB of output not shown here; the whole log is ${this.o.logFile}]\n${this.pending.slice(-TAIL_CHARS)}`;
      this.skipped = 0;
    }
    this.emitPending();
  }

  private emitPending(): void {
    if (!this.pending) return;
    const text = this.o.full ? this.pending : this.pending.slice(-TAIL_CHARS);
    this.pending = '';
    this.o.emit(text);
  }

  /** The end of a chunk, decoded from a character boundary. */
  private tailOf(buf: Buffer): string {
    if (buf.length <= TAIL_BYTES) return this.decoder.write(buf);
    let start = buf.length - TAIL_BYTES;
    while (start < buf.length && (buf[start] & 0xc0) === 0x80) start++; // not inside a UTF-8 character
    this.decoder = new StringDecoder('utf8');
    return this.decoder.write(buf.subarray(start));
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }
}
