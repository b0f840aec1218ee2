// A workspace the user cannot write to: `fine-tune` says so, naming the folder (not "EACCES …
// mkdir .ml-intern"), and `env --output-dir` into it fails instead of reporting its free space.
// Permissions do not bind root, so as root the CLI runs as the unprivileged user 65534 (setpriv).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../../..');
const CLI_MAIN = path.join(REPO, 'src', 'cli', 'main.ts');
const FAKE_PYTHON = path.join(REPO, 'test/fixtures/trainer/fake-python');
const isRoot = process.getuid?.() === 0;
const setpriv = spawnSync('setpriv', ['--version']).status === 0;
const skip = process.platform === 'win32' ? 'POSIX permissions only' : isRoot && !setpriv ? 'running as root without setpriv: no way to run the CLI as a user the permissions bind' : false;

/** The CLI as a user the folder's permissions apply to; resolves with its exit code and output. */
function cliAsUser(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // tsx keeps a cache under TMPDIR: one the unprivileged user can write.
  const tmp = mkdtempSync(path.join(tmpdir(), 'mli-ro-tmp-'));
  chmodSync(tmp, 0o777);
  const env = { ...process.env, CI: '1', TMPDIR: tmp };
  const node = [process.execPath, '--import', 'tsx', CLI_MAIN, ...args];
  const [cmd, ...argv] = isRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
  const child = spawn(cmd, argv, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

/** A copy of the example workspace, readable by everyone and writable by no one but root. */
function readOnlyWorkspace(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'mli-ro-ws-'));
  cpSync(path.join(REPO, 'examples/medical-qa'), root, { recursive: true });
  chmodSync(path.join(root, 'data'), 0o555);
  chmodSync(path.join(root, 'data', 'medical_qa.jsonl'), 0o444);
  chmodSync(root, 0o555);
  return root;
}

test('fine-tune in a read-only workspace says the workspace is not writable, naming it; nothing is written', { skip, timeout: 120_000 }, async () => {
  const root = readOnlyWorkspace();
  const r = await cliAsUser(['fine-tune', '--model', 'Qwen/Qwen2.5-0.5B-Instruct', '--data', 'data/medical_qa.jsonl', '--workspace', root, '--approve=all', '--python', FAKE_PYTHON]);
  assert.equal(r.code, 1, r.stderr + r.stdout);
  assert.match(r.stderr, new RegExp(`^ml-intern fine-tune: The workspace ${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not writable \\(permission denied\\): .*Open a folder you can write to`, 'm'));
  assert.doesNotMatch(r.stderr, /EACCES|ENOENT|mkdir/);
  assert.equal(existsSync(path.join(root, '.ml-intern')), false);
});

test('env --output-dir into a read-only folder fails saying so; a writable one still reports its free space', { skip, timeout: 120_000 }, async () => {
  const root = readOnlyWorkspace();
  const out = path.join(root, 'outputs');
  const r = await cliAsUser(['env', '--output-dir', out]);
  assert.equal(r.code, 1, r.stderr + r.stdout);
  assert.match(r.stderr, new RegExp(`^ml-intern env: --output-dir ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not writable \\(permission denied in ${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)\\. Choose a folder you can write to\\.`, 'm'));
  assert.match(r.stdout, /Problems:[\s\S]*--output-dir .* is not writable/);

  const writable = mkdtempSync(path.join(tmpdir(), 'mli-rw-'));
  chmodSync(writable, 0o777);
  const ok = await cliAsUser(['env', '--output-dir', writable, '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  const report = JSON.parse(ok.stdout) as { disk: { path: string }; problems: string[] };
  assert.equal(report.disk.path, writable);
  assert.ok(!report.problems.some((p) => p.includes('not writable')));
});
