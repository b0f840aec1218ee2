// The left side of a review (src/ui/review/currentFile.ts), on real files: the text as it is on
// disk, nothing for a new file, and a refusal with its reason for what a review cannot show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { readCurrent, Refusal } from '../../../src/ui/review/currentFile';
import { MAX_REVIEW_BYTES } from '../../../src/core/review/guards';

function workspace(t: { after(fn: () => void): void }): { root: string; store: NodeFileStore } {
  const root = mkdtempSync(join(tmpdir(), 'current-file-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return { root, store: new NodeFileStore(root) };
}

test('a text file reads as it is on disk (CRLF kept); a file that does not exist yet is null', async (t) => {
  const { root, store } = workspace(t);
  writeFileSync(join(root, 'train.py'), 'lr = 1e-4\r\nsteps = 10');
  assert.equal(await readCurrent(store, 'train.py'), 'lr = 1e-4\r\nsteps = 10');
  assert.equal(await readCurrent(store, 'recipe/new.py'), null);
});

test('a folder, a binary file and an oversized file are refused, each with its reason', async (t) => {
  const { root, store } = workspace(t);
  mkdirSync(join(root, 'recipe'));
  writeFileSync(join(root, 'model.bin'), Buffer.from([1, 0, 2]));
  writeFileSync(join(root, 'big.jsonl'), 'x'.repeat(MAX_REVIEW_BYTES + 1));
  await assert.rejects(readCurrent(store, 'recipe'), (e: unknown) => e instanceof Refusal && /'recipe' is a folder/.test(e.message));
  await assert.rejects(readCurrent(store, 'model.bin'), (e: unknown) => e instanceof Refusal && /binary/.test(e.message));
  await assert.rejects(readCurrent(store, 'big.jsonl'), (e: unknown) => e instanceof Refusal && /review limit/.test(e.message));
});

test('a named pipe is refused at once instead of blocking the review', async (t) => {
  const { root, store } = workspace(t);
  execFileSync('mkfifo', [join(root, 'pipe')]);
  await assert.rejects(readCurrent(store, 'pipe'), (e: unknown) => e instanceof Refusal && /pipe/i.test(e.message));
});

test('a path outside the workspace, directly or through a symlink, is never read', async (t) => {
  const { root, store } = workspace(t);
  const outside = mkdtempSync(join(tmpdir(), 'current-file-outside-'));
  t.after(() => rmSync(outside, { recursive: true, force: true }));
  writeFileSync(join(outside, 'secret.txt'), 'not yours');
  symlinkSync(outside, join(root, 'link'));
  await assert.rejects(readCurrent(store, join(outside, 'secret.txt')), /outside/i);
  await assert.rejects(readCurrent(store, 'link/secret.txt'), /outside/i);
});
