// Real processes through node-pty (and the child_process fallback): bytes, exit codes, stop, parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createLocalExecutor } from '../../../src/core/exec/localExecutor';
import { loadNodePty, PtyExecutor, ProgramNotFoundError } from '../../../src/core/exec/ptyExecutor';
import { ChildProcessExecutor } from '../../../src/core/exec/childProcessExecutor';
import { LogPipeline } from '../../../src/core/logs/pipeline';
import { MetricPoint, ProgressInfo } from '../../../src/core/events';
import { Executor, RunningProcess } from '../../../src/core/ports';
import { FAKE_TRAINER, isAlive, tempDir, waitFor } from './helpers';

const pty = loadNodePty();
test('node-pty loads here (it is installed and compiled)', () => {
  assert.ok(pty.module, pty.error);
});

const fast = { stop: { interruptGraceMs: 400, terminateGraceMs: 400 } };
const ptyExec = () => new PtyExecutor(pty.module!, fast);

function capture(p: RunningProcess): { text: () => string } {
  let out = '';
  p.onData((c) => (out += c));
  return { text: () => out };
}

async function runFake(ex: Executor, args: string[], dir: string, logFile?: string) {
  const p = await ex.start({ argv: ['python3', FAKE_TRAINER, ...args], cwd: dir, name: 'fake', logFile });
  const c = capture(p);
  const exit = await p.exit;
  return { exit, out: c.text(), p };
}

test('pty: every byte of the trainer output is captured and teed to the log file; exit 0', async () => {
  const { dir, cleanup } = tempDir('mli-pty-');
  try {
    const written = path.join(dir, 'written.txt');
    const log = path.join(dir, 'logs', 'train.log');
    const { exit, out } = await runFake(ptyExec(), ['--steps', '60', '--eval-steps', '20', '--output-file', written], dir, log);
    assert.deepEqual(exit, { code: 0 });
    const file = readFileSync(written, 'utf8');
    // The terminal turns "\n" into "\r\n" (onlcr); everything else is byte for byte.
    assert.equal(out.replace(/\r\n/g, '\n'), file.replace(/\r\n/g, '\n'));
    assert.equal(readFileSync(log, 'utf8'), out);
    assert.ok(out.includes('\x1b[33m'), 'colours kept');
  } finally {
    cleanup();
  }
});

test('pty: exit codes 1 (traceback) and 137 (SIGKILL)', async () => {
  const { dir, cleanup } = tempDir('mli-pty-');
  try {
    const oom = await runFake(ptyExec(), ['--steps', '10', '--fail', 'oom', '--fail-at', '3'], dir);
    assert.equal(oom.exit.code, 1);
    assert.match(oom.out, /torch\.OutOfMemoryError: CUDA out of memory/);
    const killed = await runFake(ptyExec(), ['--steps', '10', '--fail', 'exit137', '--fail-at', '3'], dir);
    assert.deepEqual(killed.exit, { code: 137, signal: 'SIGKILL' });
  } finally {
    cleanup();
  }
});

test('pty: stop sends SIGINT first, and the run ends on it', async () => {
  const { dir, cleanup } = tempDir('mli-pty-');
  try {
    const p = await ptyExec().start({ argv: ['python3', FAKE_TRAINER, '--steps', '100000', '--delay-ms', '50'], cwd: dir, name: 'x' });
    const c = capture(p);
    await waitFor(() => c.text().includes('/100000 ['), 'the bar');
    const exit = await p.stop('user asked');
    assert.equal(exit.code, 130, c.text().slice(-500)); // Python re-raises SIGINT: 128 + 2
    assert.match(c.text(), /ML Intern: sent SIGINT to process group \d+ \(user asked\); waiting 400 ms before SIGTERM\./);
    assert.doesNotMatch(c.text(), /SIGTERM to process group/);
    assert.match(c.text(), /KeyboardInterrupt/);
  } finally {
    cleanup();
  }
});

test('pty: a child that ignores SIGINT and SIGTERM gets SIGKILL; messages at each step; the whole group dies', async () => {
  const { dir, cleanup } = tempDir('mli-pty-');
  try {
    const log = path.join(dir, 'run.log');
    const script = `import subprocess, signal, time, sys
signal.signal(signal.SIGINT, signal.SIG_IGN); signal.signal(signal.SIGTERM, signal.SIG_IGN)
w = subprocess.Popen([sys.executable, '-c', 'import signal,time; signal.signal(signal.SIGINT, signal.SIG_IGN); signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)'])
print('worker', w.pid, flush=True)
time.sleep(600)`;
    const p = await ptyExec().start({ argv: ['python3', '-c', script], cwd: dir, name: 'stubborn', logFile: log });
    const c = capture(p);
    await waitFor(() => /worker \d+/.test(c.text()), 'the worker pid');
    const worker = Number(/worker (\d+)/.exec(c.text())![1]);
    assert.ok(isAlive(worker));
    const exit = await p.stop();
    assert.deepEqual(exit, { code: 137, signal: 'SIGKILL' });
    const t = c.text();
    const i = t.indexOf('sent SIGINT');
    const j = t.indexOf('sent SIGTERM');
    const k = t.indexOf('sent SIGKILL');
    assert.ok(i >= 0 && j > i && k > j, t);
    assert.ok(readFileSync(log, 'utf8').includes('sent SIGKILL'), 'the notes are in the log file too');
    await waitFor(() => !isAlive(worker), 'the worker in the same group to die');
  } finally {
    cleanup();
  }
});

test('pty: typed input reaches the process; Ctrl+C interrupts it through the terminal', async () => {
  const { dir, cleanup } = tempDir('mli-pty-');
  try {
    const p = await ptyExec().start({ argv: ['python3', '-c', 'import time\nprint("got", input(), flush=True)\ntime.sleep(600)'], cwd: dir, name: 'in' });
    const c = capture(p);
    await new Promise((r) => setTimeout(r, 50));
    p.write('hello\r');
    await waitFor(() => c.text().includes('got hello'), 'the echo');
    p.write('\x03');
    assert.equal((await p.exit).code, 130);
  } finally {
    cleanup();
  }
});

test('pty: a missing program is a clear error', async () => {
  await assert.rejects(ptyExec().start({ argv: ['/no/such/python'], cwd: '/', name: 'x' }), ProgramNotFoundError);
});

test('progress and metrics are parsed from a live run', async () => {
  const { dir, cleanup } = tempDir('mli-pty-');
  try {
    const points: MetricPoint[] = [];
    const progress: ProgressInfo[] = [];
    const pipe = new LogPipeline({ onMetric: (m) => points.push(m), onProgress: (p) => progress.push(p) });
    const p = await ptyExec().start({ argv: ['python3', FAKE_TRAINER, '--steps', '40', '--delay-ms', '10', '--eval-steps', '20'], cwd: dir, name: 'live' });
    let seenMidRun = false;
    p.onData((d) => {
      pipe.push(d);
      if (points.length > 0 && progress.length > 0) seenMidRun = true;
    });
    assert.equal((await p.exit).code, 0);
    pipe.end();
    assert.ok(seenMidRun, 'points arrive while the run is going');
    assert.deepEqual(points.filter((x) => x.loss !== undefined && x.train_runtime === undefined).map((x) => x.step), [5, 10, 15, 20, 25, 30, 35, 40]);
    assert.deepEqual(points.filter((x) => x.evalLoss !== undefined).map((x) => x.step), [20, 40]);
    assert.ok(points.some((x) => x.train_runtime !== undefined));
    const train = progress.filter((x) => x.phase === 'train');
    assert.equal(train[train.length - 1].current, 40);
    assert.equal(train[train.length - 1].total, 40);
    assert.ok(new Set(train.map((x) => x.current)).size >= 20, 'many progress updates');
  } finally {
    cleanup();
  }
});

test('fallback: without node-pty, child_process runs it with a warning; output, exit codes and stop work', async () => {
  const { dir, cleanup } = tempDir('mli-cp-');
  try {
    const warnings: string[] = [];
    const ex = createLocalExecutor({ loadPty: () => ({ error: 'simulated: no native build' }), onWarning: (m) => warnings.push(m), ...fast });
    assert.equal(ex.kind, 'child_process');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /node-pty: simulated: no native build/);
    const written = path.join(dir, 'written.txt');
    const ok = await runFake(ex, ['--steps', '30', '--output-file', written], dir);
    assert.deepEqual(ok.exit, { code: 0 });
    // stdout and stderr are two pipes: the same bytes, in an order that may differ between them.
    const file = readFileSync(written, 'utf8');
    assert.equal(ok.out.length, file.length);
    assert.deepEqual(ok.out.split(/[\r\n]/).sort(), file.split(/[\r\n]/).sort());
    assert.equal((await runFake(ex, ['--fail', 'oom', '--fail-at', '2'], dir)).exit.code, 1);
    assert.deepEqual((await runFake(ex, ['--fail', 'exit137', '--fail-at', '2'], dir)).exit, { code: 137, signal: 'SIGKILL' });
    // Ctrl+C typed into a pipe-run becomes SIGINT to the group.
    const p = await ex.start({ argv: ['python3', FAKE_TRAINER, '--steps', '100000', '--delay-ms', '50'], cwd: dir, name: 'x' });
    const c = capture(p);
    await waitFor(() => c.text().includes('/100000 ['), 'the bar');
    p.write('\x03');
    assert.equal((await p.exit).code, 130);
    // stop() escalates on a child that ignores signals.
    const s = await ex.start({ argv: ['python3', FAKE_TRAINER, '--steps', '100000', '--delay-ms', '50', '--ignore-signals'], cwd: dir, name: 'y' });
    const sc = capture(s);
    await waitFor(() => sc.text().includes('/100000 ['), 'the bar');
    assert.deepEqual(await s.stop(), { code: 137, signal: 'SIGKILL' });
    assert.match(sc.text(), /sent SIGINT[\s\S]*sent SIGTERM[\s\S]*sent SIGKILL/);
    // A missing program: exit 127 and a message.
    const missing = await new ChildProcessExecutor().start({ argv: ['/no/such/python'], cwd: dir, name: 'z' });
    const mc = capture(missing);
    assert.equal((await missing.exit).code, 127);
    assert.match(mc.text(), /could not start '\/no\/such\/python'/);
  } finally {
    cleanup();
  }
});

test('createLocalExecutor picks node-pty when it loads', () => {
  const warnings: string[] = [];
  assert.equal(createLocalExecutor({ onWarning: (m) => warnings.push(m) }).kind, 'pty');
  assert.deepEqual(warnings, []);
});
