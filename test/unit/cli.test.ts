import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../src/cli/main';
import { CliIo } from '../../src/cli/command';

function io(): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', cwd: process.cwd(), env: {} as NodeJS.ProcessEnv, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}

test('--help prints usage and exits 0', async () => {
  const o = io();
  assert.equal(await runCli(['--help'], o), 0);
  assert.match(o.stdout, /Usage: ml-intern <command>/);
  assert.match(o.stdout, /version/);
});

test('no command is a usage error (exit 2)', async () => {
  const o = io();
  assert.equal(await runCli([], o), 2);
});

test('an unknown command says so and exits 2', async () => {
  const o = io();
  assert.equal(await runCli(['frobnicate'], o), 2);
  assert.match(o.stderr, /unknown command 'frobnicate'/);
});

test('a failing command prints one redacted line, no stack trace, exit 1', async () => {
  const o = io();
  const code = await runCli(['boom'], o, [
    { name: 'boom', summary: '', usage: '', run: async () => { throw new Error('bad key ' + 'sk-' + 'abcdefghijklmnopqrstuvwxyz123456'); } },
  ]);
  assert.equal(code, 1);
  assert.doesNotMatch(o.stderr, /sk-abcdef/);
  assert.doesNotMatch(o.stderr, /at .*\.ts/);
  assert.match(o.stderr, /\[REDACTED\]/);
});
