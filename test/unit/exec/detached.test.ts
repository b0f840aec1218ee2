// Detached runs survive the executor side going away: found again from the run folder alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, truncateSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { attachDetached, DetachedRun, startDetached } from '../../../src/core/exec/detached';
import { followFile } from '../../../src/core/exec/fileFollower';
import { startToken } from '../../../src/core/exec/procInfo';
import { FAKE_TRAINER, isAlive, tempDir, waitFor } from './helpers';

const opts = { pollMs: 50, stop: { interruptGraceMs: 500, terminateGraceMs: 500 } };

function isRun(x: unknown): x is DetachedRun {
  return typeof x === 'object' && x !== null && 'pid' in x && 'follow' in x;
}

test('a run started detached is found again from its folder alone, followed to its end, its exit code reported', async () => {
  const { dir, cleanup } = tempDir('mli-det-');
  try {
    const runDir = path.join(dir, 'run1');
    const first = await startDetached({ argv: ['python3', FAKE_TRAINER, '--steps', '60', '--delay-ms', '40', '--logging-steps', '10'], cwd: dir, runDir, name: 'sft run' }, opts);
    let seen = '';
    first.follow((c) => (seen += c));
    await waitFor(() => seen.includes('/60 ['), 'progress in the log');
    assert.ok(seen.includes('\r'), "tqdm's \\r is kept in train.log");
    const pid = first.pid;
    // The executor side goes away entirely (a window reload).
    first.dispose();
    assert.ok(isAlive(pid), 'the run goes on');
    assert.equal(readFileSync(path.join(runDir, 'logs', 'pid'), 'utf8').trim(), String(pid));

    const again = await attachDetached(runDir, opts);
    assert.ok(isRun(again), "the run is found");
    assert.equal(again.pid, pid);
    assert.equal(again.name, 'sft run');
    let rest = '';
    again.follow((c) => (rest += c), { from: 'end' });
    let all = '';
    again.follow((c) => (all += c));
    const exit = await again.exit;
    assert.deepEqual(exit, { code: 0 });
    assert.ok(rest.includes("'train_runtime'"), 'followed to the end');
    assert.ok(!rest.includes('Running training'), 'from where it was');
    assert.equal(all, readFileSync(again.logFile, 'utf8'), 'every byte of the log');
    assert.deepEqual(await attachDetached(runDir, opts), { ended: { code: 0 } });
  } finally {
    cleanup();
  }
});

test('a run that ended while nobody watched is reported with its exit code', async () => {
  const { dir, cleanup } = tempDir('mli-det-');
  try {
    const runDir = path.join(dir, 'run2');
    const run = await startDetached({ argv: ['python3', FAKE_TRAINER, '--steps', '20', '--fail', 'oom', '--fail-at', '5'], cwd: dir, runDir, name: 'r' }, opts);
    run.dispose();
    await waitFor(() => existsSync(path.join(runDir, 'logs', 'exit_code')), 'the launcher to record the exit');
    assert.deepEqual(await attachDetached(runDir, opts), { ended: { code: 1 } });
    assert.match(readFileSync(path.join(runDir, 'logs', 'train.log'), 'utf8'), /torch\.OutOfMemoryError/);
    // A new run in the same folder starts clean.
    const next = await startDetached({ argv: ['python3', '-c', 'print("second")'], cwd: dir, runDir, name: 'r' }, opts);
    assert.deepEqual(await next.exit, { code: 0 });
    assert.equal(readFileSync(next.logFile, 'utf8'), 'second\n');
  } finally {
    cleanup();
  }
});

test('stop: SIGINT to the run group, noted in the log; a SIGKILLed run is recorded as 137', async () => {
  const { dir, cleanup } = tempDir('mli-det-');
  try {
    const runDir = path.join(dir, 'run3');
    const run = await startDetached({ argv: ['python3', FAKE_TRAINER, '--steps', '100000', '--delay-ms', '50'], cwd: dir, runDir, name: 'r' }, opts);
    let seen = '';
    run.follow((c) => (seen += c));
    await waitFor(() => seen.includes('/100000 ['), 'progress');
    const exit = await run.stop('user');
    assert.deepEqual(exit, { code: 130, signal: 'SIGINT' });
    assert.match(readFileSync(run.logFile, 'utf8'), /ML Intern: sent SIGINT to process group \d+ \(user\)/);

    const run2 = await startDetached({ argv: ['python3', FAKE_TRAINER, '--steps', '100000', '--delay-ms', '50', '--ignore-signals'], cwd: dir, runDir: path.join(dir, 'run4'), name: 'r' }, opts);
    await waitFor(() => readFileSync(run2.logFile, 'utf8').includes('/100000 ['), 'progress');
    assert.deepEqual(await run2.stop(), { code: 137, signal: 'SIGKILL' });
    assert.match(readFileSync(run2.logFile, 'utf8'), /sent SIGINT[\s\S]*sent SIGTERM[\s\S]*sent SIGKILL/);
  } finally {
    cleanup();
  }
});

test('a killed launcher leaves no lie: the run is reported lost, never with a made-up exit code', async () => {
  const { dir, cleanup } = tempDir('mli-det-');
  try {
    const runDir = path.join(dir, 'run5');
    const run = await startDetached({ argv: ['python3', FAKE_TRAINER, '--steps', '100000', '--delay-ms', '50'], cwd: dir, runDir, name: 'r' }, opts);
    const watched = await attachDetached(runDir, opts);
    assert.ok(isRun(watched));
    const info = JSON.parse(readFileSync(path.join(runDir, 'logs', 'launcher.json'), 'utf8')) as { launcherPid: number };
    process.kill(info.launcherPid, 'SIGKILL');
    await waitFor(() => !isAlive(info.launcherPid), 'the launcher to die');
    // The launcher carried the run's output (to redact it): the run's next write has nowhere to go.
    await waitFor(() => !isAlive(run.pid), 'the run to end without its launcher');
    const exit = await watched.exit;
    assert.equal(exit.code, -1);
    assert.match(exit.lost ?? '', /launcher was killed/);
    assert.ok(!existsSync(path.join(runDir, 'logs', 'exit_code')));
    const later = await attachDetached(runDir, opts);
    assert.ok(later && 'lost' in later);
    run.dispose();
  } finally {
    cleanup();
  }
});

test('a recycled pid is not mistaken for the run', async () => {
  const { dir, cleanup } = tempDir('mli-det-');
  try {
    const logs = path.join(dir, 'logs');
    mkdirSync(logs, { recursive: true });
    // Our own (alive) pid, with the start token of another process.
    writeFileSync(path.join(logs, 'launcher.json'), JSON.stringify({ launcherPid: process.pid, launcherToken: 'linux:1', pid: process.pid, pidToken: 'linux:1', argv: ['x'] }));
    writeFileSync(path.join(logs, 'pid'), `${process.pid}\n`);
    assert.notEqual(startToken(process.pid), 'linux:1');
    const r = await attachDetached(dir, opts);
    assert.ok(r && 'lost' in r, JSON.stringify(r));
    assert.match(r.lost, /now belongs to another process/);
    assert.equal(await attachDetached(path.join(dir, 'nothing-here'), opts), undefined);
  } finally {
    cleanup();
  }
});

test('a missing program fails to start with a clear message', async () => {
  const { dir, cleanup } = tempDir('mli-det-');
  try {
    await assert.rejects(startDetached({ argv: ['/no/such/prog'], cwd: dir, runDir: path.join(dir, 'r'), name: 'r' }, opts), /could not start '\/no\/such\/prog'/);
  } finally {
    cleanup();
  }
});

test('the follower handles appends, UTF-8 split across reads, and truncation', async () => {
  const { dir, cleanup } = tempDir('mli-follow-');
  try {
    const f = path.join(dir, 'x.log');
    writeFileSync(f, 'a');
    let got = '';
    const fl = followFile(f, (c) => (got += c), { pollMs: 20 });
    fl.poll();
    assert.equal(got, 'a');
    const euro = Buffer.from('€');
    appendFileSync(f, euro.subarray(0, 1));
    fl.poll();
    appendFileSync(f, Buffer.concat([euro.subarray(1), Buffer.from('b\n')]));
    fl.poll();
    assert.equal(got, 'a€b\n');
    truncateSync(f, 0);
    appendFileSync(f, 'new');
    await waitFor(() => got.endsWith('new'), 'the content after truncation');
    fl.stop();
  } finally {
    cleanup();
  }
});

test('a launcher that does not report in time is stopped, and nothing it would start runs unseen', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = tempDir('mli-det-slow-');
  try {
    // An interpreter that takes 2 s to start (a loaded box, a slow network home): the wait gives up first.
    const slow = path.join(dir, 'slow-python');
    writeFileSync(slow, '#!/bin/sh\necho $$ > "$(dirname "$0")/slow.pid"\nsleep 2\nexec python3 "$@"\n', { mode: 0o755 });
    const marker = path.join(dir, 'trained');
    const runDir = path.join(dir, 'run');
    await assert.rejects(
      startDetached({ argv: ['python3', '-c', `open(${JSON.stringify(marker)}, 'w').write('ran')`], cwd: dir, runDir, name: 'slow', python: slow }, { ...opts, startTimeoutMs: 500 }),
      /did not report the run's pid within 0\.5 s, so ML Intern stopped it/,
    );
    const launcherPid = Number(readFileSync(path.join(dir, 'slow.pid'), 'utf8'));
    await waitFor(() => !isAlive(launcherPid), 'the launcher to be gone');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(existsSync(marker), false, 'the command never ran');
  } finally {
    cleanup();
  }
});

test('a run that leaves a process behind still holding its output: the exit is recorded all the same, the run\'s own code', { timeout: 40_000 }, async () => {
  const { dir, cleanup } = tempDir('mli-det-');
  let leftover = 0;
  try {
    const runDir = path.join(dir, 'run-bg');
    // The script starts a chatty child in its own group (it outlives the run's group) and exits 4.
    const script = 'import subprocess, sys\np = subprocess.Popen([sys.executable, "-c", "import time\\nwhile True:\\n    print(\\"server tick\\", flush=True)\\n    time.sleep(0.2)"], start_new_session=True)\nprint("child", p.pid, flush=True)\nsys.exit(4)\n';
    const run = await startDetached({ argv: ['python3', '-c', script], cwd: dir, runDir, name: 'bg' }, opts);
    const exit = await run.exit;
    assert.deepEqual(exit, { code: 4 });
    const log = readFileSync(run.logFile, 'utf8');
    leftover = Number(/child (\d+)/.exec(log)?.[1]);
    assert.match(log, /server tick/, "the leftover's output was carried for a while");
    run.dispose();
  } finally {
    if (leftover) process.kill(leftover, 'SIGKILL');
    cleanup();
  }
});
