// The unit runner itself: a failing test must fail the suite, a skip must be counted and its
// reason printed, never folded into the passes (a runner that says green wrongly hides everything).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
// @ts-expect-error plain ESM script without types
import { runUnitFiles, parseTap, expectedSeconds } from '../../unitScheduler.mjs';

function fixtureFiles(): { dir: string; files: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'unit-scheduler-'));
  const files: Record<string, string> = {
    'pass.test.mjs': "import { test } from 'node:test';\ntest('adds', () => {});\ntest('needs data', { skip: '../shared/data is absent' }, () => {});\n",
    'fail.test.mjs': "import { test } from 'node:test';\nimport assert from 'node:assert';\ntest('breaks', () => assert.equal(1, 2));\ntest('fine', () => {});\n",
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, files };
}

test('a failing test fails the run, a skip is counted apart with its reason, the passing file passes', async () => {
  const { dir } = fixtureFiles();
  try {
    const lines: string[] = [];
    const rel = (n: string) => relative(process.cwd(), join(dir, n));
    const status = await runUnitFiles([rel('pass.test.mjs'), rel('fail.test.mjs')], { concurrency: 2, log: (m: string) => lines.push(m) });
    const out = lines.join('\n');
    assert.equal(status, 1);
    assert.match(out, /✔ .*pass\.test\.mjs — 1\/2 passed, 1 skipped/);
    assert.match(out, /skipped: needs data — \.\.\/shared\/data is absent/);
    assert.match(out, /✖ .*fail\.test\.mjs — 1\/2 passed/);
    assert.match(out, /4 tests in 2 files — 2 passed, 1 failed, 0 cancelled, 1 skipped/);
    // The summary at the very end names the failing test and its error: the tail of a long CI log
    // is often all there is to read.
    assert.match(out, /FAILED files:\n.*fail\.test\.mjs\n    ✖ breaks\n      .*1 == 2/);
    // The failing file's own report is printed whole: the assertion is there to read.
    assert.match(out, /breaks/);
    assert.match(out, /AssertionError.*1 == 2/);

    const passOnly = await runUnitFiles([rel('pass.test.mjs')], { concurrency: 1, log: () => undefined });
    assert.equal(passOnly, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TAP counts are read from the summary, and a file that boots a Slurm cluster is started first on a clean clone', () => {
  const tap = 'TAP version 13\nok 1 - a\nok 2 - b # SKIP no data\nnot ok 3 - c\n1..3\n# tests 3\n# pass 1\n# fail 1\n# cancelled 0\n# skipped 1\n# todo 0\n';
  assert.deepEqual(parseTap(tap), { reported: true, tests: 3, pass: 1, fail: 1, cancelled: 0, skipped: 1, todo: 0, skips: [{ name: 'b', reason: 'no data' }] });
  assert.equal(parseTap('TAP version 13\nok 1 - a\n').reported, false, 'a report cut off before its summary is not a pass');
  assert.ok(expectedSeconds('a', {}, 'useTestCluster()') > expectedSeconds('b', {}, 'plain'));
  assert.equal(expectedSeconds('a', { a: 7.5 }, 'useTestCluster()'), 7.5);
});
