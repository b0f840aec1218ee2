/** Small text helpers the tools share. */

/** Keep the head and the tail of a long text, with a marker saying what was left out. */
export function headTail(text: string, maxChars: number, note = ''): string {
  if (text.length <= maxChars) return text;
  const half = Math.floor(maxChars / 2);
  const omitted = text.length - 2 * half;
  return `${text.slice(0, half)}\n\n[... ${omitted} characters omitted${note ? `; ${note}` : ''} ...]\n\n${text.slice(text.length - half)}`;
}

/** Strip ANSI escape sequences (colours, cursor moves) from terminal output. */
export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\r(?!\n)/g, '');
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
