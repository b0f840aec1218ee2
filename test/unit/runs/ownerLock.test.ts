// The owner lock of a run or a script folder (src/core/runs/ownerLock.ts): one live owner, with
// a refusal naming it; a dead or recycled pid's lock taken over; release leaves others' locks alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { acquireLock, LockBusyError } from '../../../src/core/runs/ownerLock';
import { startToken } from '../../../src/core/exec/procInfo';

const busy = (_o: unknown, who: string) => `busy: ${who}`;

function lockFile(): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'mli-lock-')), 'run');
  mkdirSync(dir);
  return path.join(dir, 'owner.lock');
}

function owner(file: string): { pid: number; start: string; host: string; runId: string } {
  return JSON.parse(readFileSync(file, 'utf8')) as { pid: number; start: string; host: string; runId: string };
}

/** The pid of a process that has ended (and been reaped): nothing runs under it now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('one owner: a second take is refused naming the owner; after release it can be taken again', () => {
  const file = lockFile();
  const first = acquireLock(file, 'run-a', busy);
  assert.deepEqual(owner(file), { ...owner(file), pid: process.pid, host: hostname(), runId: 'run-a', start: startToken(process.pid) });
  assert.throws(
    () => acquireLock(file, 'run-b', busy),
    (err: unknown) => err instanceof LockBusyError && err.owner.pid === process.pid && err.owner.runId === 'run-a' && new RegExp(`^busy: pid ${process.pid} \\(.*node.*\\), since `).test(err.message),
  );
  first.release();
  assert.equal(existsSync(file), false, 'released: the file is gone');
  const second = acquireLock(file, 'run-b', busy);
  assert.equal(owner(file).runId, 'run-b');
  second.release();
});

test('a stale lock is taken over: its pid is dead, or alive but another process (a different start time)', () => {
  const dead = lockFile();
  writeFileSync(dead, JSON.stringify({ pid: deadPid(), start: 'linux:1', host: hostname(), since: '2026-01-01T00:00:00Z', runId: 'gone' }));
  const a = acquireLock(dead, 'run-a', busy);
  assert.equal(owner(dead).pid, process.pid);
  a.release();

  const recycled = lockFile();
  writeFileSync(recycled, JSON.stringify({ pid: process.pid, start: 'linux:1', host: hostname(), since: '2026-01-01T00:00:00Z', runId: 'old' }));
  const b = acquireLock(recycled, 'run-b', busy);
  assert.equal(owner(recycled).runId, 'run-b');
  b.release();

  const corrupt = lockFile();
  writeFileSync(corrupt, '{"pid": 12');
  acquireLock(corrupt, 'run-c', busy).release();
});

test("another host's lock cannot be checked from here: refused, naming the host; a lock being written this instant is busy too", () => {
  const file = lockFile();
  writeFileSync(file, JSON.stringify({ pid: deadPid(), start: 'linux:1', host: 'gpu-node-7', since: '2026-01-01T00:00:00Z', runId: 'there' }));
  assert.throws(() => acquireLock(file, 'run-a', busy), /busy: pid \d+ on host gpu-node-7, since 2026-01-01T00:00:00Z/);

  writeFileSync(file, '');
  assert.throws(() => acquireLock(file, 'run-a', busy), /busy: a process that is taking it right now/);
});

test('release removes only its own lock: one taken over meanwhile stays', () => {
  const file = lockFile();
  const mine = acquireLock(file, 'run-a', busy);
  // Another process judged it stale and took it (what a recycled pid would let happen).
  writeFileSync(file, JSON.stringify({ pid: process.pid, start: startToken(process.pid), host: hostname(), since: 'now', runId: 'run-b' }));
  mine.release();
  assert.equal(owner(file).runId, 'run-b');
});
