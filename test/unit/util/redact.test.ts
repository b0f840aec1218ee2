import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redactor } from '../../../src/core/util/redact';

test('known key shapes and registered values are redacted', () => {
  const r = new Redactor();
  r.addSecret('my-own-secret-value');
  const text = [
    'OPENAI sk-proj-abcdefghijklmnopqrstuvwxyz012345',
    'ANTHROPIC sk-ant-' + 'api03-abcdefghijklmnop_qrstuv',
    'HF hf_abcdefghijklmnopqrstuvwxyz12',
    'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig',
    'api_key = "A1b2C3d4E5f6G7h8I9j0"',
    'value my-own-secret-value',
  ].join('\n');
  const out = r.redact(text);
  for (const leaked of ['sk-proj-abc', 'sk-ant-api03', 'hf_abcdef', 'eyJhbGci', 'A1b2C3d4E5', 'my-own-secret-value']) {
    assert.ok(!out.includes(leaked), `${leaked} leaked: ${out}`);
  }
});

test('training code that merely mentions tokens is left intact', () => {
  const r = new Redactor();
  const code = [
    'tokenizer.pad_token = tokenizer.eos_token',
    'model.config.pad_token_id = tokenizer.pad_token_id',
    'token = os.environ.get("HF_TOKEN")',
    'max_new_tokens = 256',
  ].join('\n');
  assert.equal(r.redact(code), code);
});
