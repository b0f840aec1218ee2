// followFile with `raw`: the bytes as written, split anywhere (also inside a UTF-8 character),
// and the same text as the decoding follower once joined.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { followFile } from '../../../src/core/exec/fileFollower';

test('the raw follower delivers the bytes as written; the text follower the same text', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'mli-follow-')), 'train.log');
  const all = Buffer.from(' 10%|█         | 1/10 [00:01<00:09]\r日本 ✓\n', 'utf8');
  writeFileSync(file, all.subarray(0, 7)); // ends inside "█"
  const bytes: Buffer[] = [];
  let text = '';
  const raw = followFile(file, (b: Buffer) => bytes.push(Buffer.from(b)), { raw: true, pollMs: 60_000 });
  const dec = followFile(file, (t: string) => (text += t), { pollMs: 60_000 });
  raw.poll();
  dec.poll();
  appendFileSync(file, all.subarray(7));
  raw.poll();
  dec.poll();
  raw.stop();
  dec.stop();
  assert.deepEqual(Buffer.concat(bytes), all);
  assert.equal(text, all.toString('utf8'));
  assert.ok(bytes.length >= 2);
});
