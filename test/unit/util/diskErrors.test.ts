import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MemoryFileStore } from '../../../src/core/testing/memoryPorts';
import { DiskFullError, diskFullMessage, isDiskFull, namingDiskFull } from '../../../src/core/util/diskErrors';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { enospc, FullDiskStore } from '../../support/fullDiskStore';

const context = { what: 'the run folder .ml-intern/runs/x', resume: 'Then continue the run.' };

test('diskFullMessage: a full disk or quota says what, that the disk is full, what to do and how to go on; other errors are not its business', () => {
  assert.equal(
    diskFullMessage(enospc(), context),
    'The disk is full (no space left on device): ML Intern could not write the run folder .ml-intern/runs/x. Free some disk space or move the workspace to a disk with room. Then continue the run.',
  );
  const quota = Object.assign(new Error('EDQUOT: disk quota exceeded, write'), { code: 'EDQUOT' });
  assert.match(diskFullMessage(quota, context) ?? '', /^Your disk quota is used up \(disk quota exceeded\): ML Intern could not write the run folder/);
  assert.match(diskFullMessage(new DiskFullError('.ml-intern/runs/x/status.json', enospc()), context) ?? '', /could not write \.ml-intern\/runs\/x\/status\.json\. /);
  assert.equal(diskFullMessage(Object.assign(new Error('EACCES'), { code: 'EACCES' }), context), undefined);
  assert.equal(diskFullMessage('ENOSPC', context), undefined);
  assert.equal(isDiskFull(undefined), false);
});

test('namingDiskFull: a full disk on write or append names the file and keeps the code; other errors and reads pass through', async () => {
  const full = new FullDiskStore(new MemoryFileStore('/ws', { 'a.txt': 'A' }));
  const files = namingDiskFull(full);
  await files.write('b.txt', 'B');
  full.armed = true;
  for (const attempt of [() => files.write('c/d.json', '{}'), () => files.append('e.jsonl', '{}\n')]) {
    await assert.rejects(attempt(), (err: unknown) => {
      assert.ok(err instanceof DiskFullError);
      assert.match(err.path, /^(c\/d\.json|e\.jsonl)$/);
      assert.equal(err.code, 'ENOSPC');
      assert.equal(isDiskFull(err), true);
      return true;
    });
  }
  assert.equal(await files.read('a.txt'), 'A');
  assert.equal(files.root, '/ws');
  class DeniedStore extends MemoryFileStore {
    override async write(): Promise<void> {
      throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    }
  }
  await assert.rejects(namingDiskFull(new DeniedStore()).write('x', 'y'), (err: unknown) => !(err instanceof DiskFullError) && /EACCES/.test(String(err)));
});

test('NodeFileStore: an append cut short by a full disk leaves the file as it was, with no half line', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mli-append-'));
  const files = new NodeFileStore(root);
  await files.append('runs/metrics.jsonl', '{"step":1}\n');
  const real = fs.promises.appendFile;
  fs.promises.appendFile = (async (file: fs.PathLike | fs.promises.FileHandle, data: unknown) => {
    // Part of the line reaches the disk, then the disk is full.
    await real(file, String(data).slice(0, 6));
    throw enospc();
  }) as typeof fs.promises.appendFile;
  try {
    await assert.rejects(files.append('runs/metrics.jsonl', '{"step":2}\n'), /ENOSPC/);
    await assert.rejects(files.append('runs/new.jsonl', '{"step":2}\n'), /ENOSPC/);
  } finally {
    fs.promises.appendFile = real;
  }
  assert.equal(readFileSync(path.join(root, 'runs/metrics.jsonl'), 'utf8'), '{"step":1}\n');
  assert.equal(readFileSync(path.join(root, 'runs/new.jsonl'), 'utf8'), '', 'a new file keeps no half line either');
  await files.append('runs/metrics.jsonl', '{"step":3}\n');
  assert.equal(readFileSync(path.join(root, 'runs/metrics.jsonl'), 'utf8'), '{"step":1}\n{"step":3}\n');
  assert.deepEqual(readdirSync(path.join(root, 'runs')).sort(), ['metrics.jsonl', 'new.jsonl']);
});
