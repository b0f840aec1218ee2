/**
 * Hunk arithmetic for reviewable diffs: split original → proposed into
 * independent hunks, apply any subset, and build the patch of the user's own
 * edits. Pure (no editor, no file system) so the VS Code reviewer and the
 * tests share it.
 *
 * Texts are handled as arrays of lines that KEEP their terminators ("a\r\n",
 * "b\n", and a last "c" without one), so joining lines gives back the exact
 * bytes: CRLF files and a missing final newline survive every operation.
 */
import { createTwoFilesPatch, diffArrays } from 'diff';

/** One contiguous change: `oldLines` at `oldStart` of the old text become `newLines` at `newStart` of the new text. */
export interface Hunk {
  /** Stable within one review: decisions and user edits keep the ids of the hunks they do not touch. */
  id: string;
  /** 0-based index of the first replaced line in the old text (the insertion point when `oldLines` is empty). */
  oldStart: number;
  oldLines: string[];
  /** 0-based index of the first line in the new text (where the lines would be when `newLines` is empty). */
  newStart: number;
  newLines: string[];
}

export type Eol = '\n' | '\r\n';

/** Split into lines, each keeping its terminator ('\n' or '\r\n'); '' has no lines. */
export function splitLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) break;
    out.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/** The line ending most lines of `text` use ('\n' when there are none). */
export function detectEol(text: string): Eol {
  const crlf = text.split('\r\n').length - 1;
  const lf = text.split('\n').length - 1 - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

/**
 * Make a proposal follow the conventions of the file it replaces, so that the
 * diff shows real changes only: the original's line ending (a model writes
 * '\n' even for a CRLF file) and the original's final newline, present or
 * missing. A new or empty file keeps the proposal as written.
 */
export function normalizeProposal(original: string | null, proposed: string): string {
  if (original === null || original === '') return proposed;
  const eol = detectEol(original);
  let text = proposed.replace(/\r?\n/g, eol);
  const originalEndsWithNewline = original.endsWith('\n');
  if (!originalEndsWithNewline && text.endsWith(eol)) text = text.slice(0, -eol.length);
  else if (originalEndsWithNewline && text !== '' && !text.endsWith('\n')) text += eol;
  return text;
}

/**
 * The hunks turning `oldText` into `newText`, with zero context lines: two
 * changes separated by at least one unchanged line are two hunks.
 * `nextId` names them (default h1, h2, … in order).
 */
export function computeHunks(oldText: string, newText: string, nextId?: () => string): Hunk[] {
  let n = 0;
  const id = nextId ?? (() => `h${++n}`);
  const parts = diffArrays(splitLines(oldText), splitLines(newText));
  const hunks: Hunk[] = [];
  let oldPos = 0;
  let newPos = 0;
  let current: Hunk | undefined;
  for (const part of parts) {
    if (!part.added && !part.removed) {
      current = undefined;
      oldPos += part.value.length;
      newPos += part.value.length;
      continue;
    }
    if (!current) {
      current = { id: '', oldStart: oldPos, oldLines: [], newStart: newPos, newLines: [] };
      hunks.push(current);
    }
    if (part.removed) {
      current.oldLines.push(...part.value);
      oldPos += part.value.length;
    } else {
      current.newLines.push(...part.value);
      newPos += part.value.length;
    }
  }
  for (const h of hunks) h.id = id();
  return hunks;
}

/**
 * `oldText` with the hunks whose id is in `acceptedIds` applied and every
 * other hunk left out. The hunks must come from one `computeHunks(oldText, …)`
 * (or at least not overlap in the old text); overlapping ones are refused.
 */
export function applyHunks(oldText: string, hunks: readonly Hunk[], acceptedIds: Iterable<string>): string {
  const accepted = new Set(acceptedIds);
  const chosen = hunks.filter((h) => accepted.has(h.id)).sort((a, b) => a.oldStart - b.oldStart);
  const lines = splitLines(oldText);
  const out: string[] = [];
  let pos = 0;
  for (const h of chosen) {
    if (h.oldStart < pos) throw new Error(`Hunk ${h.id} overlaps an earlier accepted hunk.`);
    if (h.oldStart + h.oldLines.length > lines.length) throw new Error(`Hunk ${h.id} lies beyond the end of the text.`);
    out.push(...lines.slice(pos, h.oldStart), ...h.newLines);
    pos = h.oldStart + h.oldLines.length;
  }
  out.push(...lines.slice(pos));
  return out.join('');
}

/** Lines added and removed by a set of hunks (for a change card: +12 −3). */
export function countLines(hunks: readonly Hunk[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const h of hunks) {
    added += h.newLines.length;
    removed += h.oldLines.length;
  }
  return { added, removed };
}

/**
 * Unified patch from the model's proposal to the text the user accepted
 * (their edits and rejected hunks); '' when they accepted it as proposed.
 */
export function userPatch(proposal: string, accepted: string, path = 'file'): string {
  if (proposal === accepted) return '';
  return createTwoFilesPatch(`a/${path}`, `b/${path}`, proposal, accepted, 'proposed', 'accepted');
}

/** Replace `count` lines at `start` of `lines` with `replacement`; returns a new array. */
export function spliceLines(lines: readonly string[], start: number, count: number, replacement: readonly string[]): string[] {
  return [...lines.slice(0, start), ...replacement, ...lines.slice(start + count)];
}

/** Character offset of the start of line `index` (0-based) in `text`. */
export function lineOffset(text: string, index: number): number {
  let offset = 0;
  for (let i = 0; i < index; i++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  return offset;
}
