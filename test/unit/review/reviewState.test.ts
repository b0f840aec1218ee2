import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyHunks, computeHunks } from '../../../src/core/review/hunks';
import {
  acceptAll,
  createReview,
  decideHunk,
  editShown,
  isSettled,
  outcome,
  rebase,
  rejectAll,
} from '../../../src/core/review/reviewState';

const ORIGINAL = 'a\nb\nc\nd\ne\nf\ng\n';
// h1 replaces b with two lines, h2 deletes d, h3 inserts after f.
const PROPOSED = 'a\nB1\nB2\nc\ne\nf\nF\ng\n';

test('a new review lists the hunks with both ranges and shows the whole proposal', () => {
  const s = createReview(ORIGINAL, PROPOSED);
  assert.equal(s.shown, PROPOSED);
  assert.equal(s.base, ORIGINAL);
  assert.deepEqual(
    s.hunks.map((h) => [h.id, h.oldStart, h.oldLines.length, h.newStart, h.newLines.length]),
    [
      ['h1', 1, 1, 1, 2],
      ['h2', 3, 1, 4, 0],
      ['h3', 6, 0, 6, 1],
    ],
  );
});

test('accepting a hunk moves it to the base; the others keep their ids and the base positions shift', () => {
  const s = decideHunk(createReview(ORIGINAL, PROPOSED), 'h1', 'accept');
  assert.equal(s.base, 'a\nB1\nB2\nc\nd\ne\nf\ng\n');
  assert.equal(s.shown, PROPOSED);
  assert.deepEqual(
    s.hunks.map((h) => [h.id, h.oldStart, h.newStart]),
    [
      ['h2', 4, 4],
      ['h3', 7, 6],
    ],
  );
  // The positions are exactly what a fresh diff of the two sides gives.
  assert.deepEqual(
    computeHunks(s.base, s.shown).map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines]),
    s.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines]),
  );
});

test('rejecting a hunk reverts it on the proposed side and shifts the later hunks there', () => {
  const s = decideHunk(createReview(ORIGINAL, PROPOSED), 'h1', 'reject');
  assert.equal(s.shown, 'a\nb\nc\ne\nf\nF\ng\n');
  assert.deepEqual(
    s.hunks.map((h) => [h.id, h.oldStart, h.newStart]),
    [
      ['h2', 3, 3],
      ['h3', 6, 5],
    ],
  );
});

test('accept hunk 1, reject hunk 2, accept hunk 3: exact result', () => {
  let s = createReview(ORIGINAL, PROPOSED);
  s = decideHunk(s, 'h1', 'accept');
  s = decideHunk(s, 'h2', 'reject');
  assert.equal(isSettled(s), false);
  s = decideHunk(s, 'h3', 'accept');
  assert.equal(isSettled(s), true);
  assert.equal(s.base, s.shown);
  assert.deepEqual(outcome(s), { kind: 'accepted', text: 'a\nB1\nB2\nc\nd\ne\nf\nF\ng\n' });
});

test('rejecting every hunk is a rejection and leaves the original', () => {
  let s = createReview(ORIGINAL, PROPOSED);
  for (const id of ['h3', 'h1', 'h2']) s = decideHunk(s, id, 'reject');
  assert.equal(s.shown, ORIGINAL);
  assert.deepEqual(outcome(s), { kind: 'rejected' });
});

test('an unknown or already decided hunk id changes nothing', () => {
  const s = decideHunk(createReview(ORIGINAL, PROPOSED), 'h1', 'accept');
  assert.equal(decideHunk(s, 'h1', 'reject'), s);
  assert.equal(decideHunk(s, 'nope', 'accept'), s);
});

test('acceptAll writes what the user sees; rejectAll writes nothing, even after a hunk was accepted', () => {
  const s = decideHunk(createReview(ORIGINAL, PROPOSED), 'h1', 'accept');
  assert.deepEqual(outcome(acceptAll(s)), { kind: 'accepted', text: PROPOSED });
  assert.deepEqual(outcome(rejectAll(s)), { kind: 'rejected' });
});

test('user edits: untouched hunks keep their ids, an edited hunk gets a new id, a new edit is a new hunk', () => {
  const s0 = createReview(ORIGINAL, PROPOSED);
  const edited = PROPOSED.replace('F\n', 'F!\n').replace('a\n', 'a\n# note\n');
  const s = editShown(s0, edited);
  assert.equal(s.shown, edited);
  assert.deepEqual(
    s.hunks.map((h) => [h.id, h.oldStart, h.newLines]),
    [
      ['h4', 1, ['# note\n', 'B1\n', 'B2\n']],
      ['h2', 3, []],
      ['h5', 6, ['F!\n']],
    ],
  );
  assert.equal(editShown(s, edited), s);
  const done = acceptAll(s);
  assert.deepEqual(outcome(done), { kind: 'accepted', text: edited });
});

test('CRLF original: the review works in CRLF and the result keeps it', () => {
  const original = 'a\r\nb\r\nc\r\n';
  let s = createReview(original, 'a\nB\nc\nD\n');
  assert.equal(s.proposal, 'a\r\nB\r\nc\r\nD\r\n');
  s = decideHunk(s, 'h1', 'reject');
  s = decideHunk(s, 'h2', 'accept');
  assert.deepEqual(outcome(s), { kind: 'accepted', text: 'a\r\nb\r\nc\r\nD\r\n' });
});

test('missing final newline is preserved through decisions', () => {
  let s = createReview('x = 1\ny = 2\nz = 3', 'x = 10\ny = 2\nz = 30\n');
  assert.equal(s.proposal, 'x = 10\ny = 2\nz = 30');
  assert.deepEqual(s.hunks[1].newLines, ['z = 30']);
  s = decideHunk(s, 'h1', 'reject');
  s = decideHunk(s, 'h2', 'accept');
  assert.deepEqual(outcome(s), { kind: 'accepted', text: 'x = 1\ny = 2\nz = 30' });
});

test('new file: one hunk; accepting it creates the file, rejecting it creates nothing', () => {
  const s = createReview(null, 'print(1)\n');
  assert.equal(s.isNew, true);
  assert.equal(s.hunks.length, 1);
  assert.deepEqual(outcome(decideHunk(s, 'h1', 'accept')), { kind: 'accepted', text: 'print(1)\n' });
  assert.deepEqual(outcome(decideHunk(s, 'h1', 'reject')), { kind: 'rejected' });
});

test('empty original file: accept and reject', () => {
  const s = createReview('', 'a\n');
  assert.equal(s.isNew, false);
  assert.deepEqual(outcome(decideHunk(s, 'h1', 'accept')), { kind: 'accepted', text: 'a\n' });
  assert.deepEqual(outcome(decideHunk(s, 'h1', 'reject')), { kind: 'rejected' });
});

test('rebase: a disk change away from the proposal merges into both sides and keeps decisions', () => {
  let s = createReview(ORIGINAL, PROPOSED);
  s = decideHunk(s, 'h1', 'accept');
  const disk = ORIGINAL.replace('g\n', 'g\nh\n');
  const { state, merged } = rebase(s, disk);
  assert.equal(merged, true);
  assert.equal(state.original, disk);
  assert.equal(state.base, 'a\nB1\nB2\nc\nd\ne\nf\ng\nh\n');
  assert.equal(state.shown, 'a\nB1\nB2\nc\ne\nf\nF\ng\nh\n');
  assert.deepEqual(
    state.hunks.map((h) => h.id),
    ['h2', 'h3'],
  );
  assert.equal(state.proposal, 'a\nB1\nB2\nc\ne\nf\nF\ng\nh\n');
  assert.deepEqual(outcome(acceptAll(state)), { kind: 'accepted', text: 'a\nB1\nB2\nc\ne\nf\nF\ng\nh\n' });
});

test('rebase: a disk change overlapping the proposal re-proposes against the new content', () => {
  let s = createReview(ORIGINAL, PROPOSED);
  s = decideHunk(s, 'h3', 'accept');
  const disk = ORIGINAL.replace('b\n', 'b changed on disk\n');
  const { state, merged } = rebase(s, disk);
  assert.equal(merged, false);
  assert.equal(state.original, disk);
  assert.equal(state.base, disk);
  assert.equal(state.shown, PROPOSED);
  // h2 (delete d) is untouched and keeps its id; the hunk over the disk change and the accepted h3 are pending again under new ids.
  const ids = ['h4', 'h2', 'h5'];
  let n = 0;
  assert.deepEqual(state.hunks, computeHunks(disk, PROPOSED, () => ids[n++]));
  assert.equal(state.acceptedHunks, 0);
});

test('rebase: the file deleted on disk becomes a new-file proposal', () => {
  const { state, merged } = rebase(createReview(ORIGINAL, PROPOSED), null);
  assert.equal(merged, false);
  assert.equal(state.isNew, true);
  assert.equal(state.base, '');
  assert.equal(state.hunks.length, 1);
});

test('rebase: unchanged disk is a no-op', () => {
  const s = createReview(ORIGINAL, PROPOSED);
  assert.equal(rebase(s, ORIGINAL).state, s);
});

const line = fc.constantFrom('a', 'b', 'c', 'd', '', 'x = 1');
const text = fc
  .tuple(fc.array(line, { maxLength: 10 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
  .map(([lines, eol, fin]) => (lines.length === 0 ? '' : lines.join(eol) + (fin ? eol : '')));

test('property: any order of hunk decisions gives the same text as applying the accepted subset at once', () => {
  fc.assert(
    fc.property(text, text, fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 20 }), (original, proposed, moves) => {
      let s = createReview(original, proposed);
      const initial = s.hunks;
      const accepted: string[] = [];
      for (const [pick, accept] of moves) {
        if (s.hunks.length === 0) break;
        const h = s.hunks[pick % s.hunks.length];
        if (accept) accepted.push(h.id);
        s = decideHunk(s, h.id, accept ? 'accept' : 'reject');
      }
      for (const h of [...s.hunks]) s = decideHunk(s, h.id, 'reject');
      assert.equal(s.base, s.shown);
      assert.equal(s.base, applyHunks(s.original, initial, accepted));
    }),
    { numRuns: 400 },
  );
});
