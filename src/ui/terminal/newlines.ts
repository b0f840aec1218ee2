/**
 * A terminal needs "\r\n": a lone "\n" (from a log file, or a pipe) only moves
 * down a row. Turns every lone \n into \r\n, also when "\r" and "\n" arrive in
 * different chunks; "\r" alone (tqdm redraws) is left as it is.
 */
export class NewlineTranslator {
  private lastWasCR = false;

  push(chunk: string): string {
    if (chunk.length === 0) return chunk;
    let out = '';
    let start = 0;
    let i = chunk.indexOf('\n');
    while (i !== -1) {
      const prevCR = i === 0 ? this.lastWasCR : chunk.charCodeAt(i - 1) === 13;
      if (!prevCR) {
        out += `${chunk.slice(start, i)}\r\n`;
        start = i + 1;
      }
      i = chunk.indexOf('\n', i + 1);
    }
    out += chunk.slice(start);
    this.lastWasCR = chunk.charCodeAt(chunk.length - 1) === 13;
    return out;
  }
}
