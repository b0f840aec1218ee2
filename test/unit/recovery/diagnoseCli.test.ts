import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';

function io(): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', cwd: join(__dirname, '../../..'), env: {} as NodeJS.ProcessEnv, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}

test('ml-intern diagnose --json prints exactly category, summary, evidence, fix{kind, description}, training', async () => {
  const o = io();
  const code = await runCli(['diagnose', 'test/fixtures/failures/cuda_oom/torchrun_rank1_oom_childfailed.log', '--json'], o);
  assert.equal(code, 0, o.stderr);
  const j = JSON.parse(o.stdout);
  assert.deepEqual(Object.keys(j), ['category', 'summary', 'evidence', 'fix', 'training']);
  assert.deepEqual(Object.keys(j.fix), ['kind', 'description']);
  assert.equal(j.category, 'cuda_oom');
  assert.ok(j.evidence.length >= 1);
});

test('ml-intern diagnose prints a human report; a missing file is one clear line, exit 1', async () => {
  const o = io();
  assert.equal(await runCli(['diagnose', 'test/fixtures/failures/module_not_found/sklearn_metrics.log'], o), 0);
  assert.match(o.stdout, /^module_not_found: .*scikit-learn/);
  const e = io();
  assert.equal(await runCli(['diagnose', 'no/such.log'], e), 1);
  assert.match(e.stderr, /cannot read 'no\/such.log'/);
  assert.equal(await runCli(['diagnose'], io()), 2);
});

test('ml-intern diagnose on a healthy log says what it shows of the training, not only that nothing matched', async () => {
  const o = io();
  assert.equal(await runCli(['diagnose', 'test/fixtures/real-gpu/transformers-5.17-trainer.log'], o), 0);
  assert.match(o.stdout, /^no failure: The log shows training: \d+ logged training steps up to step 80 of 80; .*the training ran to its end\.\n$/);
  // An error after the closing summary (saving, pushing) is not a healthy log.
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-diagnose-'));
  writeFileSync(join(dir, 'after.log'), `${readFileSync('test/fixtures/real-gpu/transformers-5.17-trainer.log', 'utf8')}Traceback (most recent call last):\n  File "train.py", line 9, in <module>\nWeirdError: saving failed\n`);
  const after = io();
  await runCli(['diagnose', join(dir, 'after.log')], after);
  assert.match(after.stdout, /^unknown: No known failure pattern matched; the last error was: WeirdError: saving failed/);
  rmSync(dir, { recursive: true, force: true });
  const j = io();
  await runCli(['diagnose', 'test/fixtures/real-gpu/transformers-5.17-trainer.log', '--json'], j);
  assert.deepEqual([JSON.parse(j.stdout).training.finished, JSON.parse(j.stdout).training.lastStep], [true, 80]);
});
