import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkInterpreter } from '../../../src/core/python/checkInterpreter';

/** A program that answers the probe like some other Python would. */
function fakePython(dir: string, name: string, version: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\necho ${version}\necho ${path}\n`);
  chmodSync(path, 0o755);
  return path;
}

test('the real python3 is accepted with its version and resolved executable', async () => {
  const checked = await checkInterpreter('python3');
  assert.ok(checked.ok, checked.ok ? '' : checked.message);
  assert.match(checked.version, /^3\.\d+\.\d+/);
  assert.match(checked.executable, /python/);
});

test('a path with no program, a program that fails and one that is not Python are refused with what is wrong', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mli-interp-'));
  const missing = await checkInterpreter(join(dir, 'nope', 'python'));
  assert.equal(missing.ok, false);
  assert.match(missing.ok ? '' : missing.message, /No program at/);
  const failing = await checkInterpreter('false');
  assert.equal(failing.ok, false);
  assert.match(failing.ok ? '' : failing.message, /not a working Python 3 interpreter/);
  const notPython = await checkInterpreter('true');
  assert.equal(notPython.ok, false);
  assert.match(notPython.ok ? '' : notPython.message, /did not answer like Python/);
  const empty = await checkInterpreter('   ');
  assert.equal(empty.ok, false);
});

test('Python 2 and a too old Python 3 are refused, naming the version needed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mli-interp-'));
  const py2 = await checkInterpreter(fakePython(dir, 'python2', '2.7.18'));
  assert.match(py2.ok ? '' : py2.message, /is Python 2\.7\.18; ML Intern needs Python 3\.9 or newer/);
  const py38 = await checkInterpreter(fakePython(dir, 'python3.8', '3.8.10'));
  assert.equal(py38.ok, false);
  const py312 = await checkInterpreter(fakePython(dir, 'python3.12', '3.12.1'));
  assert.ok(py312.ok);
});

test('a relative path (a project .venv) is resolved in the given folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mli-interp-'));
  mkdirSync(join(dir, '.venv', 'bin'), { recursive: true });
  fakePython(join(dir, '.venv', 'bin'), 'python', '3.11.4');
  const checked = await checkInterpreter('./.venv/bin/python', { cwd: dir });
  assert.ok(checked.ok, checked.ok ? '' : checked.message);
  assert.equal(checked.version, '3.11.4');
  const elsewhere = await checkInterpreter('./.venv/bin/python', { cwd: tmpdir() });
  assert.equal(elsewhere.ok, false);
});
