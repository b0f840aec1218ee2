/**
 * The state of one change under review, hunk by hunk. Pure: every operation
 * returns a new state.
 *
 *   original  what is on disk ('' for a new file)
 *   base      original + the hunks accepted so far (the left side of the diff)
 *   shown     the editable proposed side: base + the pending hunks + the user's edits
 *   hunks     the pending hunks, always computeHunks(base, shown)
 *
 * Accepting a hunk copies it into `base`; rejecting it copies the base lines
 * back into `shown`; either way it disappears from the pending hunks and the
 * others keep their ids, with positions shifted. When no hunk is pending,
 * base === shown and that is the text to write.
 */
import { Hunk, computeHunks, normalizeProposal, spliceLines, splitLines } from './hunks';
import { merge3 } from './merge';

export interface ReviewState {
  /** Content on disk the review compares against; '' for a new file. */
  readonly original: string;
  readonly isNew: boolean;
  /** The model's proposal, in the original's line endings (what `userPatch` compares against). */
  readonly proposal: string;
  readonly base: string;
  readonly shown: string;
  readonly hunks: readonly Hunk[];
  readonly acceptedHunks: number;
  readonly rejectedHunks: number;
  readonly nextId: number;
}

export function createReview(original: string | null, proposed: string): ReviewState {
  const orig = original ?? '';
  const proposal = normalizeProposal(original, proposed);
  let next = 1;
  const hunks = computeHunks(orig, proposal, () => `h${next++}`);
  return {
    original: orig,
    isNew: original === null,
    proposal,
    base: orig,
    shown: proposal,
    hunks,
    acceptedHunks: 0,
    rejectedHunks: 0,
    nextId: next,
  };
}

export type HunkVerdict = 'accept' | 'reject';

/** Decide one pending hunk; an unknown id (already decided, or gone after an edit) leaves the state as it is. */
export function decideHunk(state: ReviewState, hunkId: string, verdict: HunkVerdict): ReviewState {
  const index = state.hunks.findIndex((h) => h.id === hunkId);
  if (index < 0) return state;
  const h = state.hunks[index];
  const rest: Hunk[] = [];
  if (verdict === 'accept') {
    const delta = h.newLines.length - h.oldLines.length;
    const base = spliceLines(splitLines(state.base), h.oldStart, h.oldLines.length, h.newLines).join('');
    state.hunks.forEach((o, i) => {
      if (i !== index) rest.push(i > index ? { ...o, oldStart: o.oldStart + delta } : o);
    });
    return { ...state, base, hunks: rest, acceptedHunks: state.acceptedHunks + 1 };
  }
  const delta = h.oldLines.length - h.newLines.length;
  const shown = spliceLines(splitLines(state.shown), h.newStart, h.newLines.length, h.oldLines).join('');
  state.hunks.forEach((o, i) => {
    if (i !== index) rest.push(i > index ? { ...o, newStart: o.newStart + delta } : o);
  });
  return { ...state, shown, hunks: rest, rejectedHunks: state.rejectedHunks + 1 };
}

/** The user edited the proposed side: recompute the pending hunks, keeping the ids of those unchanged. */
export function editShown(state: ReviewState, shown: string): ReviewState {
  if (shown === state.shown) return state;
  return rehunk({ ...state, shown });
}

/** Recompute hunks = diff(base, shown); a new hunk identical to an old one inherits its id. */
function rehunk(state: ReviewState): ReviewState {
  let next = state.nextId;
  const fresh = computeHunks(state.base, state.shown, () => `#${next++}`);
  const unused = [...state.hunks];
  next = state.nextId;
  const hunks = fresh.map((h) => {
    const i = unused.findIndex((o) => sameLines(o.oldLines, h.oldLines) && sameLines(o.newLines, h.newLines));
    if (i >= 0) {
      const id = unused[i].id;
      unused.splice(i, 1);
      return { ...h, id };
    }
    return { ...h, id: `h${next++}` };
  });
  return { ...state, hunks, nextId: next };
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((l, i) => l === b[i]);
}

/** Accept everything pending: the text written is what the user sees. */
export function acceptAll(state: ReviewState): ReviewState {
  return { ...state, base: state.shown, hunks: [], acceptedHunks: state.acceptedHunks + state.hunks.length };
}

/** Reject the whole change: nothing is written, not even hunks accepted earlier. */
export function rejectAll(state: ReviewState): ReviewState {
  return { ...state, base: state.original, shown: state.original, hunks: [], rejectedHunks: state.rejectedHunks + state.hunks.length };
}

export function isSettled(state: ReviewState): boolean {
  return state.hunks.length === 0;
}

/**
 * What a settled review means: accepted with the text to write when it
 * differs from the disk (or creates a file), else rejected.
 */
export function outcome(state: ReviewState): { kind: 'accepted'; text: string } | { kind: 'rejected' } {
  if (state.base === state.original && !(state.isNew && state.acceptedHunks > 0)) return { kind: 'rejected' };
  return { kind: 'accepted', text: state.base };
}

export interface RebaseResult {
  state: ReviewState;
  /** True when the disk change merged cleanly with the proposal and the decisions made so far. */
  merged: boolean;
}

/**
 * The file changed on disk during the review (`current` is its new content,
 * null when it was deleted). Merge the disk change into both sides when it
 * does not touch the proposal; otherwise start over against the new content,
 * proposing what the user currently sees (decisions made so far become
 * pending again, so nothing lands unseen).
 */
export function rebase(state: ReviewState, current: string | null): RebaseResult {
  const now = current ?? '';
  if (now === state.original && (current === null) === state.isNew) return { state, merged: true };
  if (current !== null) {
    const base = merge3(state.original, now, state.base);
    const shown = merge3(state.original, now, state.shown);
    if (base !== null && shown !== null) {
      const proposal = merge3(state.original, now, state.proposal) ?? state.proposal;
      return { state: rehunk({ ...state, original: now, isNew: false, base, shown, proposal }), merged: true };
    }
  }
  const fresh = rehunk({ ...state, original: now, isNew: current === null, base: now });
  return { state: { ...fresh, acceptedHunks: 0, rejectedHunks: 0 }, merged: false };
}
