/**
 * ANSI escape sequences (colours, cursor moves, OSC titles) removed from one
 * already-assembled line. Sequences never contain \r or \n, so stripping after
 * the line splitter makes the result independent of where chunks were split.
 */
// CSI (ESC [ … final), OSC (ESC ] … BEL or ST), and two-byte escapes.
const ANSI_RE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;

export function stripAnsi(text: string): string {
  // The cheap check keeps the regex off the hot path for plain lines.
  return text.indexOf('\x1b') === -1 ? text : text.replace(ANSI_RE, '');
}
