import { test } from 'node:test';
import assert from 'node:assert/strict';
import { merge3 } from '../../../src/core/review/merge';

const BASE = 'a\nb\nc\nd\ne\n';

test('changes on lines apart from each other merge', () => {
  assert.equal(merge3(BASE, 'A\nb\nc\nd\ne\n', 'a\nb\nc\nd\nE\n'), 'A\nb\nc\nd\nE\n');
  assert.equal(merge3(BASE, 'x\na\nb\nc\nd\ne\n', 'a\nb\nc\ne\n'), 'x\na\nb\nc\ne\n');
});

test('overlapping changes conflict', () => {
  assert.equal(merge3(BASE, 'a\nB\nc\nd\ne\n', 'a\nb!\nc\nd\ne\n'), null);
  assert.equal(merge3(BASE, 'a\nb\nc\nd\ne\n+\n', 'a\nb\nc\nd\ne\n-\n'), null);
});

test('adjacent changes (no unchanged line between) conflict, like git', () => {
  assert.equal(merge3(BASE, 'a\nB\nc\nd\ne\n', 'a\nb\nC\nd\ne\n'), null);
});

test('the same change on both sides merges once', () => {
  assert.equal(merge3(BASE, 'a\nB\nc\nd\ne\n', 'a\nB\nc\nd\nE\n'), 'a\nB\nc\nd\nE\n');
});

test('one side unchanged: the other side wins', () => {
  assert.equal(merge3(BASE, BASE, 'z\n'), 'z\n');
  assert.equal(merge3(BASE, 'z\n', BASE), 'z\n');
});

test('CRLF and a missing final newline survive a merge', () => {
  assert.equal(merge3('a\r\nb\r\nc\r\nd', 'A\r\nb\r\nc\r\nd', 'a\r\nb\r\nc\r\nD'), 'A\r\nb\r\nc\r\nD');
});
