/**
 * A page of lines of a file too big to read whole (a training log of hundreds of MB, one JSON line
 * of 2 GB): read_file reads it in 1 MiB pieces and keeps only the page, so memory stays bounded by
 * the page whatever the file's size or line length (issue 24 item 4: inputs without bounds). The
 * lines are counted to the end, so the page still says "of N" and where the next one starts.
 */
import { open, stat } from 'node:fs/promises';

/** Files from this size on are paged from disk instead of being read whole. */
export const BIG_FILE_BYTES = 32 * 1024 * 1024;
const PIECE = 1024 * 1024;

export interface BigPage {
  /** The page's lines, each cut at `maxLineChars` (saying how long it was). */
  lines: string[];
  /** Number of the page's last line (start - 1 when none). */
  end: number;
  /** Lines in the file, counted as text.split('\n') would. */
  total: number;
}

/** The size of a regular file at `abs` when it is big enough to page from disk, else undefined. */
export async function bigFileSize(abs: string): Promise<number | undefined> {
  const st = await stat(abs).catch(() => undefined);
  return st && st.isFile() && st.size >= BIG_FILE_BYTES ? st.size : undefined;
}

/**
 * Lines `start`.. (1-based) of the file, at most `limit` of them and about `maxPageChars` characters
 * (the first line always), each line cut after `maxLineChars` characters.
 */
export async function bigFilePage(abs: string, start: number, limit: number, maxLineChars: number, maxPageChars: number): Promise<BigPage> {
  const fh = await open(abs, 'r');
  const lines: string[] = [];
  // The line being read, while it is in the page: its first bytes and its full length in bytes.
  let head: Buffer[] = [];
  let headBytes = 0;
  let lineBytes = 0;
  let line = 1;
  let chars = 0;
  let full = false;
  const inPage = () => !full && line >= start && line < start + limit;
  const finishLine = () => {
    if (inPage()) {
      let text = Buffer.concat(head).toString('utf8');
      if (text.length > maxLineChars || lineBytes > headBytes) text = `${text.slice(0, maxLineChars)} [... line cut: ${lineBytes} bytes]`;
      if (chars + text.length + 8 > maxPageChars && lines.length > 0) full = true;
      else {
        lines.push(text);
        chars += text.length + 8;
      }
    }
    head = [];
    headBytes = 0;
    lineBytes = 0;
  };
  try {
    const buf = Buffer.alloc(PIECE);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, PIECE, null);
      if (bytesRead === 0) break;
      let from = 0;
      while (from < bytesRead) {
        const nl = buf.indexOf(0x0a, from);
        const to = nl === -1 || nl >= bytesRead ? bytesRead : nl;
        if (inPage() && headBytes < maxLineChars * 4) {
          // Enough bytes for maxLineChars characters of UTF-8; the rest of a long line is only counted.
          const take = Math.min(to - from, maxLineChars * 4 - headBytes);
          head.push(Buffer.from(buf.subarray(from, from + take)));
          headBytes += take;
        }
        lineBytes += to - from;
        if (to === bytesRead) break;
        finishLine();
        line++;
        from = to + 1;
      }
    }
    finishLine();
  } finally {
    await fh.close();
  }
  return { lines, end: start + lines.length - 1, total: line };
}
