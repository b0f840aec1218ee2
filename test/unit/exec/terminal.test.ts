// The run terminal's behaviour (VS Code-free core) with real processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as path from 'node:path';
import { NewlineTranslator } from '../../../src/ui/terminal/newlines';
import { RunTerminalCore } from '../../../src/ui/terminal/runTerminalCore';
import { loadNodePty, PtyExecutor } from '../../../src/core/exec/ptyExecutor';
import { startDetached } from '../../../src/core/exec/detached';
import { FAKE_TRAINER, isAlive, tempDir, waitFor } from './helpers';

test('lone \\n becomes \\r\\n whatever the chunking; \\r\\n and \\r stay', () => {
  const whole = (s: string) => new NewlineTranslator().push(s);
  assert.equal(whole('a\nb\r\nc\rd\n'), 'a\r\nb\r\nc\rd\r\n');
  fc.assert(
    fc.property(fc.array(fc.constantFrom('a', '\n', '\r', 'é', '\x1b[0m')), fc.array(fc.nat()), (parts, cuts) => {
      const s = parts.join('');
      const t = new NewlineTranslator();
      let out = '';
      let prev = 0;
      for (const c of [...cuts.map((x) => x % (s.length + 1))].sort((a, b) => a - b)) {
        out += t.push(s.slice(prev, c));
        prev = c;
      }
      out += t.push(s.slice(prev));
      assert.equal(out, whole(s));
    }),
  );
});

function hooks() {
  const h = { text: '', notes: [] as string[], write: (t: string) => void (h.text += t), notify: (m: string) => void h.notes.push(m) };
  return h;
}

test('a pty process: output from before the terminal opened is kept, input reaches it, the last line has the exit code', async () => {
  const { dir, cleanup } = tempDir('mli-term-');
  try {
    const ex = new PtyExecutor(loadNodePty().module!);
    const p = await ex.start({ argv: ['python3', '-c', 'print("early", flush=True)\nprint("typed:", input(), flush=True)'], cwd: dir, name: 'py' });
    const h = hooks();
    const term = new RunTerminalCore(p, 'py', h);
    term.open(100, 30);
    term.input('hi\r');
    await p.exit;
    await waitFor(() => h.text.includes('exited with code 0'), 'the final line');
    assert.match(h.text, /early\r\n/);
    assert.match(h.text, /typed: hi/);
    assert.match(h.text, /ML Intern: py exited with code 0/);
  } finally {
    cleanup();
  }
});

test('closing the terminal of an attached process stops it', async () => {
  const { dir, cleanup } = tempDir('mli-term-');
  try {
    const ex = new PtyExecutor(loadNodePty().module!, { stop: { interruptGraceMs: 300, terminateGraceMs: 300 } });
    const p = await ex.start({ argv: ['python3', '-c', 'import time; print("up", flush=True); time.sleep(600)'], cwd: dir, name: 'sleepy' });
    const h = hooks();
    const term = new RunTerminalCore(p, 'sleepy', h);
    term.open();
    await waitFor(() => h.text.includes('up'), 'output');
    term.close();
    assert.equal((await p.exit).code, 130);
    assert.match(h.notes[0], /stopping "sleepy"/);
  } finally {
    cleanup();
  }
});

test('a detached run: its log shown with \\r\\n, Ctrl+C interrupts it, closing does not stop it', async () => {
  const { dir, cleanup } = tempDir('mli-term-');
  try {
    const opts = { pollMs: 50 };
    const run = await startDetached({ argv: ['python3', FAKE_TRAINER, '--steps', '100000', '--delay-ms', '30'], cwd: dir, runDir: path.join(dir, 'r1'), name: 'long sft' }, opts);
    const h = hooks();
    const term = new RunTerminalCore(run, 'long sft', h);
    term.open(120, 30);
    await waitFor(() => h.text.includes('/100000 ['), 'progress in the terminal');
    assert.ok(!/[^\r]\n/.test(h.text), 'no lone \\n reaches the terminal');
    assert.ok(h.text.includes('\r '), 'tqdm redraws kept');
    term.input('x');
    assert.match(h.text, /typed input is not sent to it/);
    term.input('\x03');
    const exit = await run.exit;
    assert.equal(exit.code, 130);
    await waitFor(() => h.text.includes('exited with code 130 (SIGINT)'), 'the final line');

    // Closing the terminal of a detached run that is still going: it goes on.
    const run2 = await startDetached({ argv: ['python3', FAKE_TRAINER, '--steps', '100000', '--delay-ms', '30'], cwd: dir, runDir: path.join(dir, 'r2'), name: 'bg' }, opts);
    const h2 = hooks();
    const term2 = new RunTerminalCore(run2, 'bg', h2);
    term2.open();
    await waitFor(() => h2.text.includes('/100000 ['), 'progress');
    term2.close();
    assert.match(h2.notes[0], /"bg" keeps running in the background/);
    assert.ok(isAlive(run2.pid));
    process.kill(-run2.pid, 'SIGKILL');
    await waitFor(() => !isAlive(run2.pid), 'cleanup');
  } finally {
    cleanup();
  }
});
