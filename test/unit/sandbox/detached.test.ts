// In VS Code the agent's `run` commands start detached (they outlive a window reload): the same
// sandbox there, the launcher's redaction of train.log, the exit code, and a stop that reaches the
// command with SIGINT first (a training may save on Ctrl+C) rather than killing it outright.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startDetached } from '../../../src/core/exec/detached';
import { launchArgv } from '../../../src/core/sandbox/command';
import { makeBox, namespacesForbidden, plan } from './helpers';

const skip = namespacesForbidden();
const HF = 'hf_' + 'ZyXwVuTsRqPoNmLkJiHg98';

test('a detached sandboxed command: train.log redacted, writes outside refused, exit code kept', { skip }, async () => {
  const box = makeBox();
  try {
    const script = path.join(box.workspace, 'leak.py');
    writeFileSync(script, `import os, sys\nprint("token", os.environ["HF_TOKEN"], flush=True)\ntry:\n    open(${JSON.stringify(path.join(box.outside, 'x.txt'))}, "w")\nexcept OSError as e:\n    print("refused:", e.strerror, flush=True)\nsys.exit(4)\n`);
    const argv = launchArgv({ argv: ['python3', script], sandbox: plan(box) }, box.workspace, { HF_TOKEN: HF });
    const run = await startDetached({ argv, cwd: box.workspace, runDir: path.join(box.workspace, 'run'), name: 'leak', env: { HOME: box.home, HF_TOKEN: HF }, secrets: [HF] }, { pollMs: 50 });
    assert.equal((await run.exit).code, 4);
    const log = readFileSync(run.logFile, 'utf8');
    assert.ok(!log.includes(HF), log);
    assert.match(log, /token \[REDACTED\]/);
    assert.match(log, /refused: Read-only file system/);
    assert.equal(existsSync(path.join(box.outside, 'x.txt')), false);
    run.dispose();
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});

test('stopping a detached sandboxed command sends SIGINT to the command itself first', { skip }, async () => {
  const box = makeBox();
  try {
    const script = path.join(box.workspace, 'graceful.py');
    writeFileSync(script, 'import signal, sys, time\ndef stop(s, f):\n    print("saving before exit", flush=True)\n    sys.exit(5)\nsignal.signal(signal.SIGINT, stop)\nprint("ready", flush=True)\ntime.sleep(60)\n');
    const argv = launchArgv({ argv: ['python3', script], sandbox: plan(box) }, box.workspace);
    const run = await startDetached({ argv, cwd: box.workspace, runDir: path.join(box.workspace, 'run'), name: 'graceful', env: { HOME: box.home } }, { pollMs: 50 });
    for (let i = 0; i < 100 && !readFileSync(run.logFile, 'utf8').includes('ready'); i++) await new Promise((r) => setTimeout(r, 50));
    const exit = await run.stop('test');
    assert.equal(exit.code, 5, readFileSync(run.logFile, 'utf8'));
    assert.match(readFileSync(run.logFile, 'utf8'), /saving before exit/);
    run.dispose();
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});
