// A secret printed in pieces (two writes with a pause, a read that cuts it at any offset) is hidden
// as if it had come in one piece; finished lines are not held back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Redactor } from '../../../src/core/util/redact';
import { HOLD_MAX, StreamRedactor } from '../../../src/core/util/streamRedact';

// Built, so no key-shaped literal sits in the tree.
const HF = 'hf_' + 'Q7wErTy9UiOpAsDfGh12JkLz';
const OPENAI = 'sk-' + 'proj-' + 'Z9y8X7w6V5u4T3s2R1q0';
const ANTHROPIC = 'sk-' + 'ant-api03-' + 'aB3dE5fG7hI9';
const BEARER_VALUE = 'eyJhbGciOi.JIUzI1NiJ9.e30abc';
const ASSIGNED_VALUE = 'A1b2C3d4E5f6G7h8I9j0';
const STORED = 'my stored value-4242';

function redactorWithStored(): Redactor {
  const r = new Redactor();
  r.addSecret(STORED);
  return r;
}

/** The cases: what is written, and the secret text that must never reach the output. */
const CASES: Array<{ text: string; secret: string }> = [
  { text: `token is ${HF} end\n`, secret: HF },
  { text: `openai ${OPENAI}, anthropic ${ANTHROPIC}\n`, secret: OPENAI },
  { text: `anthropic ${ANTHROPIC}`, secret: ANTHROPIC },
  { text: `Authorization: Bearer ${BEARER_VALUE}\n`, secret: BEARER_VALUE },
  { text: `api_key = "${ASSIGNED_VALUE}"; tokenizer.pad_token = tokenizer.eos_token\n`, secret: ASSIGNED_VALUE },
  { text: `echo (${STORED}) twice ${STORED}!`, secret: STORED },
];

function streamed(pieces: string[], r: Redactor): string {
  const s = new StreamRedactor(r);
  return pieces.map((p) => s.push(p)).join('') + s.end();
}

test('a secret cut in two at every offset is hidden exactly as when it is written whole', () => {
  const r = redactorWithStored();
  for (const { text, secret } of CASES) {
    const whole = r.redact(text);
    assert.ok(!whole.includes(secret), `the one-piece redaction hides ${secret}`);
    for (let at = 0; at <= text.length; at++) {
      const out = streamed([text.slice(0, at), text.slice(at)], r);
      assert.equal(out, whole, `cut at ${at} of ${JSON.stringify(text)}`);
    }
  }
});

test('property: secrets in random surroundings, cut into up to three pieces anywhere, never come out and the output equals the one-piece redaction', () => {
  const r = redactorWithStored();
  const filler = fc.string({ unit: fc.constantFrom('a', 'Z', '7', '_', '-', '.', ' ', '\n', '\r', '"', ':', '=', 'token', 'Bearer ', 'hf_', 'sk-', 'ü'), maxLength: 12 });
  fc.assert(
    fc.property(fc.constantFrom(...CASES), filler, filler, fc.array(fc.nat(), { minLength: 1, maxLength: 2 }), ({ text, secret }, before, after, cuts) => {
      // A separator keeps the filler from gluing onto the secret (which would change what a key shape matches).
      const whole = `${before} ${text} ${after}`;
      const offsets = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
      const pieces = [0, ...offsets].map((from, i) => whole.slice(from, offsets[i] ?? whole.length));
      const out = streamed(pieces, r);
      assert.ok(!out.includes(secret), `${secret} leaked from ${JSON.stringify(pieces)}: ${JSON.stringify(out)}`);
      assert.equal(out, r.redact(whole));
    }),
    { numRuns: 2000 },
  );
});

test('finished lines and tqdm redraws go out at once; only a tail that could start a secret waits', () => {
  const r = redactorWithStored();
  const s = new StreamRedactor(r);
  assert.equal(s.push("{'loss': 1.25, 'epoch': 0.1}\n"), "{'loss': 1.25, 'epoch': 0.1}\n");
  assert.equal(s.push('\r 3/10 [00:03<00:07, 1.00it/s]'), '\r 3/10 [00:03<00:07, 1.00it/s]');
  assert.equal(s.push('Token saved: hf_Q7w'), 'Token saved: ', 'the start of a key waits for the rest');
  assert.equal(s.push('ErTy9UiOpAsDfGh12JkLz\n'), '[REDACTED]\n');
  assert.equal(s.push('value (my stored'), 'value (', 'the start of a stored value waits');
  assert.equal(s.push(' thing)\n'), 'my stored thing)\n', 'and goes out as it was once it is not the value');
  assert.equal(s.end(), '');
});

test('the held tail is bounded: one huge run of key characters is written in pieces, a key inside it is still hidden', () => {
  const r = new Redactor();
  const s = new StreamRedactor(r);
  const run = 'x'.repeat(HOLD_MAX * 2) + HF + 'y'.repeat(100);
  let out = '';
  let maxHeld = 0;
  let fed = 0;
  // Pieces of 1,000 characters, one boundary 10 characters into the key.
  const boundaries = [0];
  for (let at = (HOLD_MAX * 2 + 10) % 1000; at < run.length; at += 1000) boundaries.push(at);
  boundaries.push(run.length);
  for (let i = 1; i < boundaries.length; i++) {
    out += s.push(run.slice(boundaries[i - 1], boundaries[i]));
    fed = boundaries[i];
    maxHeld = Math.max(maxHeld, fed - out.length);
  }
  out += s.end();
  assert.ok(maxHeld <= HOLD_MAX + 4096 + 1000, `held at most about HOLD_MAX characters, held ${maxHeld}`);
  assert.ok(!out.includes(HF) && !out.includes(HF.slice(3)), 'the key in the run is hidden');
});
