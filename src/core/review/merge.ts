/**
 * Three-way merge by lines, for a file that changed on disk while its
 * proposal was under review: the disk change and the proposal merge only when
 * they touch different lines, with at least one unchanged line between them
 * (like git, adjacent edits count as a conflict). Anything else is left to
 * the user: the caller re-proposes against the new content.
 */
import { Hunk, computeHunks, splitLines } from './hunks';

/** `base` with the changes of both `ours` and `theirs`, or null when they conflict. */
export function merge3(base: string, ours: string, theirs: string): string | null {
  if (ours === theirs) return ours;
  if (ours === base) return theirs;
  if (theirs === base) return ours;
  const a = computeHunks(base, ours);
  const b = computeHunks(base, theirs);
  const all: Hunk[] = [...a];
  for (const hb of b) {
    let duplicate = false;
    for (const ha of a) {
      if (sameHunk(ha, hb)) {
        duplicate = true;
        break;
      }
      if (touches(ha, hb)) return null;
    }
    if (!duplicate) all.push(hb);
  }
  all.sort((x, y) => x.oldStart - y.oldStart);
  const lines = splitLines(base);
  const out: string[] = [];
  let pos = 0;
  for (const h of all) {
    out.push(...lines.slice(pos, h.oldStart), ...h.newLines);
    pos = h.oldStart + h.oldLines.length;
  }
  out.push(...lines.slice(pos));
  return out.join('');
}

function sameHunk(x: Hunk, y: Hunk): boolean {
  return (
    x.oldStart === y.oldStart &&
    x.oldLines.length === y.oldLines.length &&
    x.newLines.length === y.newLines.length &&
    x.newLines.every((l, i) => l === y.newLines[i])
  );
}

/** Overlapping or adjacent ranges in the base (an insertion at either edge of a change counts). */
function touches(x: Hunk, y: Hunk): boolean {
  const xEnd = x.oldStart + x.oldLines.length;
  const yEnd = y.oldStart + y.oldLines.length;
  return x.oldStart <= yEnd && y.oldStart <= xEnd;
}
