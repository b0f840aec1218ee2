/**
 * `ml-intern preflight` on recipes written by `ml-intern recipe`, with the stub tokenizers of
 * test/fixtures/stubs/tokenizer_fake (real Python, real helper, real generated train.py).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';
import { PreflightReport } from '../../../src/core/preflight';

const ROOT = resolve(__dirname, '..', '..', '..');
const STUBS = join(ROOT, 'test', 'fixtures', 'stubs');
const WITH_STUBS = [join(STUBS, 'tokenizer_fake'), join(STUBS, 'trl_new')].join(':');
const work = mkdtempSync(join(tmpdir(), 'ml-intern-preflight-'));
after(() => rmSync(work, { recursive: true, force: true }));

const QA = [{ question: 'Capital of France?', answer: 'Paris.' }, { question: 'Two plus two?', answer: 'Four.' }];
const CHAT = [{ messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello.' }] }];

function io(cwd: string, env: NodeJS.ProcessEnv = {}): CliIo & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    cwd,
    env: { ML_INTERN_PYTHON: process.env.ML_INTERN_PYTHON || 'python3', PYTHONPATH: WITH_STUBS, NO_COLOR: '1', ...env },
    out: (t: string) => void (o.stdout += t),
    err: (t: string) => void (o.stderr += t),
  };
  return o;
}

let count = 0;
/** A workspace with data.jsonl and spec.json; the recipe written into recipe/ by `ml-intern recipe`. */
async function workspace(model: string, rows: object[], mapping: Record<string, string>): Promise<string> {
  const dir = join(work, `ws-${count++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'data.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  // The script runs from recipe/, so its DATASET is ../data.jsonl.
  const spec = { method: 'sft', baseModel: model, evalSplit: 0, columnMapping: mapping, env: { packages: { trl: '0.24.0', transformers: '4.56.0', peft: '0.13.2' } } };
  writeFileSync(join(dir, 'spec.json'), JSON.stringify({ ...spec, dataset: 'data.jsonl' }));
  writeFileSync(join(dir, 'recipe-spec.json'), JSON.stringify({ ...spec, dataset: '../data.jsonl' }));
  const o = io(dir);
  assert.equal(await runCli(['recipe', 'recipe-spec.json', '--out', 'recipe'], o), 0, o.stderr);
  return dir;
}

test('preflight marks the trained answer of a single-turn recipe and prints checks and the histogram', async () => {
  const dir = await workspace('stub/chatml', QA, { user: 'question', assistant: 'answer' });
  const o = io(dir);
  assert.equal(await runCli(['preflight', 'recipe', '--rows', '1'], o), 0, o.stderr);
  assert.match(o.stdout, /Row 1: 18 tokens, 4 trained/);
  // The prompt is masked, the answer and its end-of-turn are trained.
  assert.ok(o.stdout.includes('    <|im_start|>assistant↵\n    ⟦Paris.<|im_end|>↵⟧'), o.stdout);
  assert.ok(!o.stdout.includes('⟦Capital'), 'the question is not trained');
  assert.doesNotMatch(o.stdout, /Row 2/);
  assert.match(o.stdout, /✓ Each assistant turn ends with EOS/);
  assert.match(o.stdout, /0–205 │█+ 2/);
  assert.match(o.stdout, /truncated at MAX_LENGTH: 0 · dropped by trl: 0/);
  assert.match(o.stdout, /No check failed\./);
});

test('--json prints the helper report; colours on request mark trained bold green and masked dim', async () => {
  const dir = await workspace('stub/chatml', QA, { user: 'question', assistant: 'answer' });
  const j = io(dir);
  assert.equal(await runCli(['preflight', 'recipe', '--rows', '2', '--json'], j), 0, j.stderr);
  const r = JSON.parse(j.stdout) as PreflightReport;
  assert.equal(r.rows.length, 2);
  assert.deepEqual(r.rows[1].sequences[0].tokens.filter((t) => t.trained).map((t) => t.text), ['Four', '.', '<|im_end|>', '\n']);
  assert.equal(r.lengths.rows, 2);
  const c = io(dir, { FORCE_COLOR: '1', NO_COLOR: undefined });
  assert.equal(await runCli(['preflight', 'recipe', '--rows', '1'], c), 0, c.stderr);
  assert.ok(c.stdout.includes('\x1b[1;32mParis.<|im_end|>↵\x1b[0m\n'), JSON.stringify(c.stdout.slice(0, 600)));
  assert.ok(c.stdout.includes('\x1b[2m<|im_start|>user↵'), 'the prompt is dim');
  assert.ok(!c.stdout.includes('⟦'), 'no plain markers with colours');
});

test('a failed template check exits 1 and names the fix', async () => {
  const dir = await workspace('stub/drops-system', CHAT, { messages: 'messages' });
  const o = io(dir);
  assert.equal(await runCli(['preflight', 'recipe'], o), 1);
  assert.match(o.stdout, /✗ The system prompt survives the template: row 1's system prompt is missing/);
  assert.match(o.stdout, /fix: fold the system text into the first user turn/);
  assert.match(o.stdout, /1 check failed: fix it before spending GPU time\./);
});

test('a spec is previewed from memory: no train.py is written', async () => {
  const dir = await workspace('stub/chatml', CHAT, { messages: 'messages' });
  const before = readdirSync(dir).sort();
  const o = io(dir);
  assert.equal(await runCli(['preflight', 'spec.json', '--json'], o), 0, o.stderr);
  const r = JSON.parse(o.stdout) as PreflightReport;
  // Only the assistant turn trains (the template marks it): fewer tokens than the conversation, but some.
  assert.ok(r.rows[0].sequences[0].trained > 0 && r.rows[0].sequences[0].trained < r.rows[0].sequences[0].count);
  assert.ok(r.rows[0].sequences[0].tokens.some((t) => t.text === 'terse'));
  assert.deepEqual(readdirSync(dir).sort(), before);
  assert.ok(!existsSync(join(dir, 'train.py')));
});

test('without transformers the message says what to install; bad input is named', async () => {
  const dir = await workspace('stub/chatml', CHAT, { messages: 'messages' });
  const o = io(dir, { PYTHONPATH: join(STUBS, 'trl_new') });
  assert.equal(await runCli(['preflight', 'recipe'], o), 1);
  assert.match(o.stderr, /needs the 'transformers' package.*pip install transformers/);
  const missing = io(dir);
  assert.equal(await runCli(['preflight', 'nowhere'], missing), 1);
  assert.match(missing.stderr, /No training script at 'nowhere'/);
  const usage = io(dir);
  assert.equal(await runCli(['preflight', 'recipe', '--rows', '0'], usage), 2);
  assert.match(usage.stderr, /--rows must be a whole number of at least 1/);
});
