import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { inspectData, envReport, validateScript, runPythonHelper, pythonHelpersDir, PythonHelperError, defaultPython } from '../../../src/core/python';

const ROOT = resolve(__dirname, '..', '..', '..');
const PY = process.env.ML_INTERN_PYTHON || 'python3';
const DATA = join(ROOT, 'test', 'fixtures', 'datasets');

test('python/ is found from the sources, from dist/ and not from elsewhere', () => {
  assert.equal(pythonHelpersDir(), join(ROOT, 'python'));
  assert.equal(pythonHelpersDir(join(ROOT, 'dist')), join(ROOT, 'python'));
  assert.equal(pythonHelpersDir(join(ROOT, 'src', 'core', 'python')), join(ROOT, 'python'));
  assert.throws(() => pythonHelpersDir(tmpdir()), PythonHelperError);
});

test('defaultPython: explicit, then ML_INTERN_PYTHON, then python3', () => {
  assert.equal(defaultPython({}, '/opt/py'), '/opt/py');
  assert.equal(defaultPython({ ML_INTERN_PYTHON: '/venv/bin/python' }), '/venv/bin/python');
  assert.equal(defaultPython({}), 'python3');
});

test('inspectData returns a typed inspection', async () => {
  const r = await inspectData(PY, join(DATA, 'medical_dialogue.jsonl'), { maxLength: 512, sample: 1 });
  assert.equal(r.format, 'custom_qa');
  assert.equal(r.task, 'sft');
  assert.deepEqual(r.mapping, { user: 'patient_query', assistant: 'doctor_response' });
  assert.equal(r.trainable, true);
  assert.equal(r.samples.length, 1);
  assert.deepEqual(r.columns[2], { name: 'patient_query', type: 'string', nonNull: 2 });
});

test('a relative path is read from cwd', async () => {
  const r = await inspectData(PY, 'gsm8k.jsonl', { cwd: DATA });
  assert.equal(r.path, 'gsm8k.jsonl');
  assert.equal(r.rows, 2);
});

test('an {error} object becomes a helper-error failure', async () => {
  await assert.rejects(inspectData(PY, join(DATA, 'missing.jsonl')), (e: unknown) => {
    assert.ok(e instanceof PythonHelperError);
    assert.equal(e.kind, 'helper-error');
    assert.match(e.message, /File not found/);
    return true;
  });
});

test('a missing interpreter says how to fix it', async () => {
  await assert.rejects(runPythonHelper('/no/such/python3', 'env_report.py', []), (e: unknown) => {
    assert.ok(e instanceof PythonHelperError);
    assert.equal(e.kind, 'python-missing');
    assert.equal(e.message, "Python not found at '/no/such/python3'. Set mlIntern.pythonPath or select an interpreter.");
    return true;
  });
});

test('output that is not JSON is a clear bad-output failure', async () => {
  // node is not Python: it fails on the script and prints no JSON.
  await assert.rejects(runPythonHelper(process.execPath, 'env_report.py', []), (e: unknown) => {
    assert.ok(e instanceof PythonHelperError);
    assert.equal(e.kind, 'bad-output');
    assert.match(e.message, /env_report\.py did not print JSON/);
    return true;
  });
});

test('abort and timeout stop the helper', async () => {
  const ac = new AbortController();
  const p = envReport(PY, { signal: ac.signal });
  ac.abort();
  await assert.rejects(p, (e: unknown) => e instanceof PythonHelperError && e.kind === 'aborted');
  await assert.rejects(envReport(PY, { timeoutMs: 1 }), (e: unknown) => e instanceof PythonHelperError && e.kind === 'timeout');
});

test('envReport with a fake nvidia-smi on PATH', async () => {
  const env = { ...process.env, PATH: join(ROOT, 'test', 'fixtures', 'fake-nvidia-smi') + ':' + process.env.PATH };
  const r = await envReport(PY, { env, outputDir: tmpdir() });
  assert.deepEqual(r.gpus.map((g) => [g.name, g.bf16]), [['Tesla T4', false], ['Tesla T4', false], ['NVIDIA A100-SXM4-80GB', true]]);
  assert.equal(r.cudaVersion, '12.2');
  assert.equal(typeof r.disk.freeMiB, 'number');
  assert.equal(typeof r.hfToken, 'boolean');
});

test('validateScript with the new-trl stubs', async () => {
  const stubs = join(ROOT, 'test', 'fixtures', 'stubs');
  const env = { ...process.env, PYTHONPATH: [join(stubs, 'trl_new'), join(stubs, 'common')].join(':') };
  const r = await validateScript(PY, join(ROOT, 'test', 'fixtures', 'scripts', 'train_sft.py'), { env });
  const maxSeq = r.findings.find((f) => f.message.includes("'max_seq_length'"));
  assert.deepEqual(maxSeq && { line: maxSeq.line, column: maxSeq.column, endColumn: maxSeq.endColumn, code: maxSeq.code, suggestion: maxSeq.suggestion },
    { line: 15, column: 36, endColumn: 50, code: 'unknown-keyword', suggestion: "use 'max_length' instead" });
  assert.equal(r.libraries.trl, '0.24.0');
});
