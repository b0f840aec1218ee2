/** The "Preview Training Tokens" page, built from a real helper report (stub tokenizer) and read back with happy-dom. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Window } from 'happy-dom';
import { renderRecipe } from '../../../src/core/recipes';
import { preflightRecipe } from '../../../src/core/preflight';
import { preflightCsp, preflightHtml } from '../../../src/ui/preflight/preflightHtml';

const STUBS = join(resolve(__dirname, '..', '..', '..'), 'test', 'fixtures', 'stubs');
const root = mkdtempSync(join(tmpdir(), 'mli-preflight-html-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function report(model: string) {
  const dir = join(root, model.replace('/', '-'));
  mkdirSync(dir);
  const spec = {
    method: 'sft' as const, baseModel: model, dataset: 'data.jsonl', evalSplit: 0, columnMapping: { messages: 'messages' },
    env: { packages: { trl: '0.24.0', transformers: '4.56.0', peft: '0.13.2' } },
  };
  writeFileSync(join(dir, 'train.py'), renderRecipe(spec).files.find((f) => f.path === 'train.py')!.content);
  const row = { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: '<script>alert(1)</script>' }, { role: 'assistant', content: 'No.' }] };
  writeFileSync(join(dir, 'data.jsonl'), JSON.stringify(row) + '\n');
  const env = { ...process.env, PYTHONPATH: [join(STUBS, 'tokenizer_fake'), join(STUBS, 'trl_new')].join(':') };
  return preflightRecipe(process.env.ML_INTERN_PYTHON || 'python3', dir, { env });
}

function page(html: string): Document {
  const window = new Window();
  window.document.write(html);
  return window.document as unknown as Document;
}

test('the page runs no script, escapes the data and highlights the trained tokens', async () => {
  const html = preflightHtml(await report('stub/chatml'), 'abc123');
  assert.equal(preflightCsp('abc123'), "default-src 'none'; style-src 'nonce-abc123'");
  const doc = page(html);
  assert.equal(doc.querySelector('meta[http-equiv="Content-Security-Policy"]')!.getAttribute('content'), "default-src 'none'; style-src 'nonce-abc123'");
  assert.equal(doc.querySelectorAll('script').length, 0, 'the row text stays text');
  const tokens = doc.querySelector('pre.tokens')!;
  assert.ok(tokens.textContent!.includes('<script>alert(1)</script>'));
  // The template marks the answers, so only the assistant turn trains (issue 18, finding 7): the system and user
  // tokens are shown masked, the answer not; special tokens are outlined.
  assert.ok(tokens.querySelectorAll('span.m').length > 0);
  assert.deepEqual([...tokens.querySelectorAll('span.t')].map((s) => s.textContent).join(''), 'No.<|im_end|>');
  assert.deepEqual([...tokens.querySelectorAll('span.s')].map((s) => s.textContent).slice(0, 2), ['<|im_start|>', '<|im_end|>']);
  assert.deepEqual([...tokens.querySelectorAll('span.m.s')].map((s) => s.textContent).slice(0, 2), ['<|im_start|>', '<|im_end|>']);
  assert.match(doc.querySelector('h3')!.textContent!, /Row 1: \d+ tokens, \d+ trained/);
  assert.equal(doc.querySelectorAll('.hist .bar.w100').length, 1);
  assert.equal(doc.querySelectorAll('.checks li.fail').length, 0);
});

test('a failed check shows its fix on the page', async () => {
  const doc = page(preflightHtml(await report('stub/drops-system'), 'n0nce'));
  const failed = [...doc.querySelectorAll('.checks li.fail')];
  assert.equal(failed.length, 1);
  assert.match(failed[0].textContent!, /system prompt is missing/);
  assert.match(failed[0].querySelector('.fix')!.textContent!, /^Fix: fold the system text into the first user turn/);
  assert.match(doc.querySelector('h2:nth-of-type(2)')!.textContent!, /Checks: 1 failed/);
});
