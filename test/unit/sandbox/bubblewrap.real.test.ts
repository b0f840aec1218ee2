// The sandbox against real bubblewrap: what a command inside can and cannot reach.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { makeBox, namespacesForbidden, plan, REPO, runIn } from './helpers';

const skip = namespacesForbidden();

test('a command writes in the workspace but nowhere outside it (the rest is read-only)', { skip }, async () => {
  const box = makeBox();
  try {
    const r = await runIn(plan(box), box, ['sh', '-c', `echo ok > inside.txt; echo bad > ${box.outside}/written.txt; echo bad > ${box.home}/planted.txt; echo $?`]);
    assert.equal(readFileSync(path.join(box.workspace, 'inside.txt'), 'utf8'), 'ok\n');
    assert.equal(existsSync(path.join(box.outside, 'written.txt')), false, r.output);
    assert.equal(existsSync(path.join(box.home, 'planted.txt')), false, r.output);
    assert.match(r.output, /Read-only file system/);
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});

test("~/.ssh and the Hugging Face token are unreadable, while the Hugging Face cache stays writable", { skip }, async () => {
  const box = makeBox();
  try {
    const r = await runIn(plan(box), box, ['sh', '-c', 'cat ~/.ssh/id_ed25519; cat ~/.cache/huggingface/token; echo cached > ~/.cache/huggingface/hub-file && echo cache-writable']);
    assert.doesNotMatch(r.output, new RegExp(box.canary));
    assert.match(r.output, /cache-writable/);
    assert.equal(readFileSync(path.join(box.home, '.cache', 'huggingface', 'hub-file'), 'utf8'), 'cached\n');
    // The token file itself is untouched outside.
    assert.equal(readFileSync(path.join(box.home, '.cache', 'huggingface', 'token'), 'utf8'), `${box.canary}-hf\n`);
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});

test("the GPU libraries' caches under the read-only home (Triton, CUDA) go to the private /tmp instead of failing", { skip }, async () => {
  const box = makeBox();
  try {
    const r = await runIn(plan(box), box, ['sh', '-c', 'mkdir -p "$TRITON_CACHE_DIR" "$CUDA_CACHE_PATH" && echo kernel > "$TRITON_CACHE_DIR/k" && echo cached; echo x > ~/.triton-probe']);
    assert.match(r.output, /cached/);
    assert.equal(existsSync(path.join(box.home, '.triton-probe')), false, 'the home itself stays read-only');
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});

test('a symlink in the workspace pointing outside opens no way out', { skip }, async () => {
  const box = makeBox();
  try {
    symlinkSync(box.outside, path.join(box.workspace, 'escape'));
    symlinkSync(path.join(box.home, '.ssh'), path.join(box.workspace, 'keys'));
    const r = await runIn(plan(box), box, ['sh', '-c', 'cat escape/notes.txt; echo bad > escape/written.txt; cat keys/id_ed25519; ls keys']);
    assert.match(r.output, /outside/, 'reading through the link is allowed (the rest of the disk is readable)');
    assert.equal(existsSync(path.join(box.outside, 'written.txt')), false, r.output);
    assert.doesNotMatch(r.output, new RegExp(box.canary));
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});

test('with the network off a server on the loopback is unreachable; with it on, it answers', { skip }, async () => {
  const box = makeBox();
  const server = http.createServer((_req, res) => res.end('hello-from-host'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const fetchIt = ['python3', '-c', `import urllib.request\nprint(urllib.request.urlopen("http://127.0.0.1:${port}/", timeout=5).read().decode())`];
  try {
    const off = await runIn(plan(box, 'off'), box, fetchIt);
    assert.notEqual(off.code, 0);
    assert.doesNotMatch(off.output, /hello-from-host/);
    assert.match(off.output, /Connection refused|unreachable/i);
    const on = await runIn(plan(box, 'on'), box, fetchIt);
    assert.equal(on.code, 0, on.output);
    assert.match(on.output, /hello-from-host/);
  } finally {
    server.close();
    rmSync(box.root, { recursive: true, force: true });
  }
});

test('the fixture trainer writes its checkpoints and logs inside the workspace', { skip }, async () => {
  const box = makeBox();
  try {
    writeFileSync(path.join(box.workspace, 'train.py'), 'OUTPUT_DIR = "out"\nSAVE_STEPS = 5\nPER_DEVICE_TRAIN_BATCH_SIZE = 1\n');
    mkdirSync(path.join(box.workspace, 'logs'));
    box.env.FAKE_STEPS = '10';
    box.env.FAKE_DELAY_MS = '1';
    // The fixture trainer is copied into the workspace: the sandbox's /tmp is private, so a program
    // outside the workspace under the host's /tmp (a clone in /tmp, as on some CI machines) is not
    // visible inside — by design, and said in docs/SECURITY.md.
    const fixture = path.join(box.workspace, '.fixture-trainer');
    cpSync(path.join(REPO, 'test', 'fixtures', 'trainer'), fixture, { recursive: true, filter: (f) => !f.includes('__pycache__') });
    const trainer = path.join(fixture, 'fake-python');
    const r = await runIn(plan(box), box, ['sh', '-c', `"${trainer}" train.py > logs/train.log 2>&1`]);
    assert.equal(r.code, 0, `${r.output}\n${readFileSync(path.join(box.workspace, 'logs', 'train.log'), 'utf8').slice(-800)}`);
    assert.ok(existsSync(path.join(box.workspace, 'out', 'checkpoint-5')), 'checkpoint-5 saved');
    assert.ok(existsSync(path.join(box.workspace, 'out', 'checkpoint-10')), 'checkpoint-10 saved');
    assert.match(readFileSync(path.join(box.workspace, 'logs', 'train.log'), 'utf8'), /'loss'/);
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});

test('a memory hog is stopped by the memory limit, and the output says so', { skip }, async () => {
  const box = makeBox();
  try {
    const p = plan(box, 'off', { maxMemoryBytes: 256 * 1024 * 1024 });
    const r = await runIn(p, box, ['python3', '-c', 'x = bytearray(1024 * 1024 * 1024)\nprint("allocated")']);
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.output, /allocated/);
    assert.match(r.output, /\[ml-intern sandbox\] stopped: the command used more than the sandbox's memory limit \(256 MiB\)/);
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});

test('a fork bomb is stopped by the process limit, and the output says so', { skip }, async () => {
  const box = makeBox();
  try {
    const p = plan(box, 'off', { maxProcesses: 64, maxMemoryBytes: 512 * 1024 * 1024 });
    const started = Date.now();
    const r = await runIn(p, box, ['python3', '-c', 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass'], 60_000);
    assert.notEqual(r.code, 0);
    assert.match(r.output, /\[ml-intern sandbox\] stopped: the command tried to run more than 64 processes at once/);
    assert.ok(Date.now() - started < 30_000, 'stopped within seconds');
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});
