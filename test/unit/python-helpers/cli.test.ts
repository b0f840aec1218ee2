import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';

const ROOT = resolve(__dirname, '..', '..', '..');
const STUBS = join(ROOT, 'test', 'fixtures', 'stubs');

function io(env: NodeJS.ProcessEnv = {}): CliIo & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    cwd: ROOT,
    env: { ML_INTERN_PYTHON: process.env.ML_INTERN_PYTHON || 'python3', ...env },
    out: (t: string) => void (o.stdout += t),
    err: (t: string) => void (o.stderr += t),
  };
  return o;
}

test('inspect-data prints a summary and exits 0 for trainable data', async () => {
  const o = io();
  assert.equal(await runCli(['inspect-data', 'test/fixtures/datasets/alpaca.json'], o), 0);
  assert.match(o.stdout, /3 rows, format alpaca → trl sft/);
  assert.match(o.stdout, /mapping: user ← instruction, assistant ← output, input ← input/);
  assert.match(o.stdout, /trainable: yes/);
});

test('inspect-data --json prints the inspection; untrainable data exits 1', async () => {
  const o = io();
  assert.equal(await runCli(['inspect-data', 'test/fixtures/datasets/nested_fields.jsonl', '--json'], o), 1);
  const r = JSON.parse(o.stdout);
  assert.equal(r.format, 'unknown');
  assert.equal(r.trainable, false);
  assert.match(r.problems[0], /the fields are nested inside/);
});

test('inspect-data --max-length reaches the helper', async () => {
  const o = io();
  await runCli(['inspect-data', 'test/fixtures/datasets/long_rows.jsonl', '--max-length', '20'], o);
  assert.match(o.stdout, /longer than --max-length 20 tokens/);
});

test('inspect-data usage errors exit 2; helper errors exit 1 with one line', async () => {
  let o = io();
  assert.equal(await runCli(['inspect-data'], o), 2);
  assert.match(o.stderr, /missing <path-or-hub-id>/);
  o = io();
  assert.equal(await runCli(['inspect-data', 'x.jsonl', '--max-length', 'lots'], o), 2);
  o = io();
  assert.equal(await runCli(['inspect-data', 'nope.jsonl'], o), 1);
  assert.equal(o.stderr, "ml-intern inspect-data: File not found: 'nope.jsonl'. Check the path (relative paths start from the workspace folder).\n");
});

test('--python pointing nowhere is a clear failure', async () => {
  const o = io();
  assert.equal(await runCli(['env', '--python', '/no/python'], o), 1);
  assert.match(o.stderr, /Python not found at '\/no\/python'\. Set mlIntern\.pythonPath/);
});

test('env prints GPUs from nvidia-smi and --json gives the report', async () => {
  const fake = { PATH: join(ROOT, 'test', 'fixtures', 'fake-nvidia-smi') + ':' + process.env.PATH };
  let o = io(fake);
  assert.equal(await runCli(['env'], o), 0);
  assert.match(o.stdout, /GPU 2: NVIDIA A100-SXM4-80GB, 81050 MiB free of 81920 MiB, compute 8\.0, bf16 yes, flash-attention yes/);
  assert.match(o.stdout, /GPU 0: Tesla T4, .* bf16 no/);
  assert.match(o.stdout, /CUDA 12\.2, driver 535\.104\.05/);
  o = io();
  assert.equal(await runCli(['env', '--json'], o), 0);
  const r = JSON.parse(o.stdout);
  assert.ok(Array.isArray(r.gpus));
  assert.ok('trl' in r.libraries);
});

test('validate prints file:line:col findings and exits 1 on errors', async () => {
  const o = io({ PYTHONPATH: [join(STUBS, 'trl_new'), join(STUBS, 'common')].join(':') });
  assert.equal(await runCli(['validate', 'test/fixtures/scripts/train_sft.py'], o), 1);
  assert.match(o.stdout, /^test\/fixtures\/scripts\/train_sft\.py:15:36 error SFTConfig\(\) got an unexpected keyword 'max_seq_length' \(trl 0\.24\.0\) \(use 'max_length' instead\)$/m);
  assert.match(o.stdout, /train_sft\.py:8:17 error cannot import 'DataCollatorForCompletionOnlyLM'/);
  assert.match(o.stdout, /6 errors, 1 warning; 8 calls checked/);
});

test('validate with nothing installed only warns (exit 0); --json works', async () => {
  const o = io();
  assert.equal(await runCli(['validate', 'test/fixtures/scripts/train_sft.py', '--json'], o), 0);
  const r = JSON.parse(o.stdout);
  assert.deepEqual(r.findings.map((f: { code: string }) => f.code), ['missing-package', 'missing-package', 'missing-package', 'missing-package']);
  assert.equal((await runCli(['validate'], io())), 2);
});

test('the commands are listed in --help', async () => {
  const o = io();
  await runCli(['--help'], o);
  for (const name of ['inspect-data', 'env', 'validate']) assert.match(o.stdout, new RegExp(`\\n  ${name} `));
});
