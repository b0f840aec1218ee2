import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyPatch } from 'diff';
import {
  applyHunks,
  computeHunks,
  countLines,
  detectEol,
  lineOffset,
  normalizeProposal,
  splitLines,
  userPatch,
} from '../../../src/core/review/hunks';

const ORIGINAL = ['import torch', 'lr = 1e-4', 'epochs = 3', 'batch = 8', 'model = "gpt2"', 'train()', ''].join('\n');
const PROPOSED = ['import torch', 'lr = 2e-5', 'epochs = 3', 'batch = 8', 'model = "Qwen/Qwen2.5-0.5B"', 'train()', 'save()', ''].join('\n');

test('splitLines keeps every terminator and a last line without one', () => {
  assert.deepEqual(splitLines(''), []);
  assert.deepEqual(splitLines('a'), ['a']);
  assert.deepEqual(splitLines('a\n'), ['a\n']);
  assert.deepEqual(splitLines('a\r\nb\nc'), ['a\r\n', 'b\n', 'c']);
  assert.deepEqual(splitLines('\n\n'), ['\n', '\n']);
});

test('split: zero context, one hunk per run of changed lines, ids in order, ranges on both sides', () => {
  const hunks = computeHunks(ORIGINAL, PROPOSED);
  assert.deepEqual(hunks, [
    { id: 'h1', oldStart: 1, oldLines: ['lr = 1e-4\n'], newStart: 1, newLines: ['lr = 2e-5\n'] },
    { id: 'h2', oldStart: 4, oldLines: ['model = "gpt2"\n'], newStart: 4, newLines: ['model = "Qwen/Qwen2.5-0.5B"\n'] },
    { id: 'h3', oldStart: 6, oldLines: [], newStart: 6, newLines: ['save()\n'] },
  ]);
  assert.deepEqual(countLines(hunks), { added: 3, removed: 2 });
});

test('split is deterministic: the same texts give the same ids and ranges', () => {
  assert.deepEqual(computeHunks(ORIGINAL, PROPOSED), computeHunks(ORIGINAL, PROPOSED));
});

test('accept a subset: exactly the chosen hunks land', () => {
  const hunks = computeHunks(ORIGINAL, PROPOSED);
  assert.equal(applyHunks(ORIGINAL, hunks, ['h1']), ['import torch', 'lr = 2e-5', 'epochs = 3', 'batch = 8', 'model = "gpt2"', 'train()', ''].join('\n'));
  assert.equal(
    applyHunks(ORIGINAL, hunks, ['h2', 'h3']),
    ['import torch', 'lr = 1e-4', 'epochs = 3', 'batch = 8', 'model = "Qwen/Qwen2.5-0.5B"', 'train()', 'save()', ''].join('\n'),
  );
  assert.equal(applyHunks(ORIGINAL, hunks, ['h1', 'h2', 'h3']), PROPOSED);
});

test('reject a subset: the rejected hunks keep the original lines', () => {
  const hunks = computeHunks(ORIGINAL, PROPOSED);
  const rejectH2 = hunks.filter((h) => h.id !== 'h2').map((h) => h.id);
  assert.equal(applyHunks(ORIGINAL, hunks, rejectH2), ['import torch', 'lr = 2e-5', 'epochs = 3', 'batch = 8', 'model = "gpt2"', 'train()', 'save()', ''].join('\n'));
  assert.equal(applyHunks(ORIGINAL, hunks, []), ORIGINAL);
});

test('adjacent changes separated by one unchanged line are two hunks; touching changed lines are one', () => {
  const before = 'a\nb\nc\nd\ne\n';
  const sep = computeHunks(before, 'a\nB\nc\nD\ne\n');
  assert.deepEqual(
    sep.map((h) => [h.id, h.oldStart, h.oldLines, h.newStart, h.newLines]),
    [
      ['h1', 1, ['b\n'], 1, ['B\n']],
      ['h2', 3, ['d\n'], 3, ['D\n']],
    ],
  );
  assert.equal(applyHunks(before, sep, ['h2']), 'a\nb\nc\nD\ne\n');
  assert.equal(applyHunks(before, sep, ['h1']), 'a\nB\nc\nd\ne\n');

  const touching = computeHunks(before, 'a\nB\nC\nd\ne\n');
  assert.equal(touching.length, 1);
  assert.deepEqual(touching[0], { id: 'h1', oldStart: 1, oldLines: ['b\n', 'c\n'], newStart: 1, newLines: ['B\n', 'C\n'] });
});

test('a deletion next to an insertion, and insertions at the very start and end', () => {
  const before = 'one\ntwo\nthree\n';
  const after = 'zero\none\nthree\nfour\n';
  const hunks = computeHunks(before, after);
  assert.deepEqual(
    hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines]),
    [
      [0, [], 0, ['zero\n']],
      [1, ['two\n'], 2, []],
      [3, [], 3, ['four\n']],
    ],
  );
  assert.equal(applyHunks(before, hunks, ['h1']), 'zero\none\ntwo\nthree\n');
  assert.equal(applyHunks(before, hunks, ['h2']), 'one\nthree\n');
  assert.equal(applyHunks(before, hunks, ['h3']), 'one\ntwo\nthree\nfour\n');
  assert.equal(applyHunks(before, hunks, ['h1', 'h3']), 'zero\none\ntwo\nthree\nfour\n');
});

test('overlapping hunks are refused instead of producing garbage', () => {
  const before = 'a\nb\nc\n';
  const x = { id: 'x', oldStart: 0, oldLines: ['a\n', 'b\n'], newStart: 0, newLines: ['A\n'] };
  const y = { id: 'y', oldStart: 1, oldLines: ['b\n'], newStart: 0, newLines: ['B\n'] };
  assert.throws(() => applyHunks(before, [x, y], ['x', 'y']), /overlaps/);
  assert.equal(applyHunks(before, [x, y], ['y']), 'a\nB\nc\n');
});

test('CRLF: the hunks carry CRLF and the result keeps CRLF everywhere', () => {
  const before = 'a\r\nb\r\nc\r\n';
  const proposed = normalizeProposal(before, 'a\nB\nc\nd\n');
  assert.equal(proposed, 'a\r\nB\r\nc\r\nd\r\n');
  const hunks = computeHunks(before, proposed);
  assert.deepEqual(
    hunks.map((h) => [h.oldLines, h.newLines]),
    [
      [['b\r\n'], ['B\r\n']],
      [[], ['d\r\n']],
    ],
  );
  assert.equal(applyHunks(before, hunks, ['h1']), 'a\r\nB\r\nc\r\n');
  assert.equal(applyHunks(before, hunks, ['h2']), 'a\r\nb\r\nc\r\nd\r\n');
  assert.equal(detectEol(before), '\r\n');
  assert.equal(detectEol('x\ny\r\nz\n'), '\n');
  assert.equal(detectEol(''), '\n');
});

test('no final newline: preserved when the last line changes, and when lines are added after it', () => {
  const before = 'a\nb';
  assert.equal(normalizeProposal(before, 'a\nB\n'), 'a\nB');
  const changed = computeHunks(before, normalizeProposal(before, 'a\nB\n'));
  assert.deepEqual(changed, [{ id: 'h1', oldStart: 1, oldLines: ['b'], newStart: 1, newLines: ['B'] }]);
  assert.equal(applyHunks(before, changed, ['h1']), 'a\nB');
  assert.equal(applyHunks(before, changed, []), 'a\nb');

  const appended = normalizeProposal(before, 'a\nb\nc\n');
  assert.equal(appended, 'a\nb\nc');
  const hunks = computeHunks(before, appended);
  assert.deepEqual(hunks, [{ id: 'h1', oldStart: 1, oldLines: ['b'], newStart: 1, newLines: ['b\n', 'c'] }]);
  assert.equal(applyHunks(before, hunks, ['h1']), 'a\nb\nc');
  assert.equal(applyHunks(before, hunks, []), 'a\nb');
});

test('a final newline in the original is kept when the model drops it', () => {
  assert.equal(normalizeProposal('a\n', 'a\nb'), 'a\nb\n');
  assert.equal(normalizeProposal('a\r\n', 'a\r\nb'), 'a\r\nb\r\n');
});

test('empty file: one hunk adds everything; rejecting it leaves the file empty', () => {
  const hunks = computeHunks('', 'x = 1\ny = 2\n');
  assert.deepEqual(hunks, [{ id: 'h1', oldStart: 0, oldLines: [], newStart: 0, newLines: ['x = 1\n', 'y = 2\n'] }]);
  assert.equal(applyHunks('', hunks, ['h1']), 'x = 1\ny = 2\n');
  assert.equal(applyHunks('', hunks, []), '');
  assert.equal(normalizeProposal('', 'x\r\n'), 'x\r\n');
  assert.deepEqual(computeHunks('', ''), []);
});

test('new file (original null): the proposal is kept as written and is one hunk', () => {
  const proposal = normalizeProposal(null, 'print("hi")\r\nprint("bye")');
  assert.equal(proposal, 'print("hi")\r\nprint("bye")');
  const hunks = computeHunks('', proposal);
  assert.equal(hunks.length, 1);
  assert.deepEqual(hunks[0].newLines, ['print("hi")\r\n', 'print("bye")']);
  assert.equal(applyHunks('', hunks, ['h1']), proposal);
});

test('a custom id generator names the hunks', () => {
  let n = 10;
  assert.deepEqual(
    computeHunks('a\nb\nc\n', 'A\nb\nC\n', () => `x${n++}`).map((h) => h.id),
    ['x10', 'x11'],
  );
});

test('userPatch: empty when accepted as proposed; otherwise a unified patch from the proposal to the accepted text', () => {
  assert.equal(userPatch(PROPOSED, PROPOSED, 'train.py'), '');
  const accepted = PROPOSED.replace('lr = 2e-5', 'lr = 3e-5');
  const patch = userPatch(PROPOSED, accepted, 'train.py');
  assert.match(patch, /^--- a\/train\.py\tproposed$/m);
  assert.match(patch, /^\+\+\+ b\/train\.py\taccepted$/m);
  assert.match(patch, /^-lr = 2e-5$/m);
  assert.match(patch, /^\+lr = 3e-5$/m);
  assert.equal(applyPatch(PROPOSED, patch), accepted);
});

test('lineOffset finds the start of a line', () => {
  assert.equal(lineOffset('ab\ncd\r\nef', 0), 0);
  assert.equal(lineOffset('ab\ncd\r\nef', 1), 3);
  assert.equal(lineOffset('ab\ncd\r\nef', 2), 7);
  assert.equal(lineOffset('ab\ncd\r\nef', 5), 9);
});

// Texts made of a few distinct lines, so that diffs have common lines, CRLF, and sometimes no final newline.
const line = fc.constantFrom('a', 'b', 'c', 'lr = 1e-4', '', '    x()');
const text = fc
  .tuple(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
  .map(([lines, eol, finalNewline]) => (lines.length === 0 ? '' : lines.join(eol) + (finalNewline ? eol : '')));

test('property: accepting all hunks yields the proposal, rejecting all yields the original', () => {
  fc.assert(
    fc.property(text, text, (original, proposed) => {
      const hunks = computeHunks(original, proposed);
      assert.equal(applyHunks(original, hunks, hunks.map((h) => h.id)), proposed);
      assert.equal(applyHunks(original, hunks, []), original);
    }),
    { numRuns: 500 },
  );
});
