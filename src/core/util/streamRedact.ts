/**
 * Redaction of a stream that arrives in pieces (a process's output): a secret printed in two
 * writes, or cut by a read at any offset, must be hidden as if the text had come in one piece.
 *
 * Each push redacts and hands back the longest prefix of what is pending that no secret can
 * straddle; the rest (usually nothing) waits for the next piece or the end. What waits:
 *  - a tail that is the start of a stored secret (at most its length - 1 characters);
 *  - a tail run of key characters (`hf_…`, `sk-…`, a Bearer or `api_key=` value: the shapes have
 *    no maximum length, so the whole run waits until a character that cannot continue it), with
 *    the label before it (`Bearer `, `token: "`) since the label decides whether it is redacted;
 *  - any match that would cross the cut.
 * A finished line therefore goes out at once: it ends with \n or \r, which neither continues a
 * key shape nor starts a stored value (values never contain a line break), so the overlap never
 * delays normal lines, tqdm redraws included. Only a line whose last characters could be the
 * start of a secret waits for its next characters. The held text is bounded (HOLD_MAX): a run of
 * key characters longer than that is cut there, after moving the cut to the start of any match it
 * would split (up to SPAN_BACK back, which covers every real key).
 *
 * python/… has no copy of this: the launcher and the Slurm pump (src/core/exec/launcherScript.ts)
 * do the same in Python, and a test holds the two to the same answers.
 */
import { ASSIGNED_SECRET, Redactor, SECRET_SHAPES, redactor as defaultRedactor } from './redact';

/** The characters any key shape's value is made of (the union of their alphabets). */
const KEY_CHAR = /[A-Za-z0-9._~+/=-]/;
/** A label that decides whether the value after it is redacted, at the end of the text. */
const LABEL_AT_END = /(?:bearer|api[_-]?key|token|authorization|x-api-key)["']?\s*[:=]?\s*["']?$/i;
/** How far back a label is looked for before the held run. */
const LABEL_WINDOW = 256;
export const HOLD_MAX = 65_536;
export const SPAN_BACK = 4_096;

/** Where `text` may be cut: everything before the index can be redacted and written now. */
export function safeCut(text: string, secrets: readonly string[]): number {
  const len = text.length;
  let cut = len;
  // A run of key characters at the end may go on in the next piece.
  let run = len;
  while (run > 0 && KEY_CHAR.test(text[run - 1])) run--;
  const label = LABEL_AT_END.exec(text.slice(Math.max(0, run - LABEL_WINDOW), run));
  cut = label ? run - label[0].length : run;
  // The end of the text may be the start of a stored secret.
  for (const secret of secrets) {
    for (let k = Math.min(secret.length - 1, len); k > len - cut; k--) {
      if (text.endsWith(secret.slice(0, k))) {
        cut = len - k;
        break;
      }
    }
  }
  if (len - cut > HOLD_MAX) cut = len - HOLD_MAX;
  return moveBeforeStraddlingMatch(text, cut, secrets);
}

function moveBeforeStraddlingMatch(text: string, start: number, secrets: readonly string[]): number {
  if (start === 0 || start === text.length) return start;
  const spans: Array<[number, number]> = [];
  for (const secret of secrets) {
    for (let at = text.indexOf(secret); at >= 0; at = text.indexOf(secret, at + 1)) spans.push([at, at + secret.length]);
  }
  for (const re of [...SECRET_SHAPES, ASSIGNED_SECRET]) {
    for (const m of text.matchAll(re)) spans.push([m.index, m.index + m[0].length]);
  }
  let cut = start;
  for (let moved = true; moved; ) {
    moved = false;
    for (const [from, to] of spans) {
      if (from < cut && cut < to && cut - from <= SPAN_BACK) {
        cut = from;
        moved = true;
      }
    }
  }
  return cut;
}

/** One stream's redaction: push pieces as they come, end() when the stream ends. */
export class StreamRedactor {
  private held = '';

  constructor(private readonly redactor: Redactor = defaultRedactor) {}

  /** The redacted text that is safe to write now (may be empty). */
  push(piece: string): string {
    this.held += piece;
    const cut = safeCut(this.held, this.redactor.knownSecrets());
    if (cut === 0) return '';
    const out = this.redactor.redact(this.held.slice(0, cut));
    this.held = this.held.slice(cut);
    return out;
  }

  /** Everything still held, redacted: the stream ended, nothing can continue it. */
  end(): string {
    const out = this.redactor.redact(this.held);
    this.held = '';
    return out;
  }
}
