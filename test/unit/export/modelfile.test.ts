import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveModelfile, ModelfileResult } from '../../../src/core/export/modelfile';
import { jinjaRenderer, ChatMessage } from '../../../src/core/export/chatTemplate';
import { compileGoTemplate, ollamaValues } from '../../../src/core/export/goTemplate';
import { CHATML_LATE_TURNS_DIFFER, CHATML_QWEN, GEMMA2, GEMMA3, LLAMA3, MISTRAL_INST, MISTRAL_SYSTEM_LAST, NUMBERED_TURNS, PHI3 } from './templates';

type Ok = Extract<ModelfileResult, { ok: true }>;

function derive(source: string, eosToken: string, extra: { system?: string } = {}): ModelfileResult {
  return deriveModelfile({ template: { source, eosToken }, from: './model-q4_k_m.gguf', sampling: { temperature: 0.7, topP: 0.9 }, contextLength: 2048, ...extra });
}

function ok(r: ModelfileResult): Ok {
  assert.ok(r.ok, `expected a Modelfile, got: ${r.ok ? '' : r.message}`);
  return r as Ok;
}

/** The TEMPLATE out of the Modelfile text, as Ollama reads it between the triple quotes. */
function templateOf(modelfile: string): string {
  const m = /TEMPLATE """([\s\S]*?)"""/.exec(modelfile);
  assert.ok(m, 'the Modelfile has a TEMPLATE');
  return m[1];
}

/** A conversation none of the derivation's own checks uses: both renders must still agree. */
const FRESH: ChatMessage[] = [
  { role: 'user', content: 'Is 39.2 °C a fever?\nI measured it twice.' },
  { role: 'assistant', content: 'Yes. Above 38 °C counts as a fever.' },
  { role: 'user', content: 'What should I do {{ now }}?' },
];

function assertSameRender(source: string, eos: string, modelfile: string, messages: ChatMessage[]): void {
  const training = jinjaRenderer({ source, eosToken: eos }).render(messages, true);
  const ollama = compileGoTemplate(templateOf(modelfile))(ollamaValues(messages));
  assert.equal(ollama, training);
}

test('ChatML (Qwen2.5 shape): the TEMPLATE renders like the training template, default system block included; stops at <|im_end|>', () => {
  const r = ok(derive(CHATML_QWEN, '<|im_end|>'));
  assert.deepEqual(r.stops, ['<|im_end|>', '<|im_start|>']);
  assert.match(r.modelfile, /^FROM \.\/model-q4_k_m\.gguf$/m);
  assert.match(r.modelfile, /^PARAMETER stop "<\|im_end\|>"$/m);
  assert.match(r.modelfile, /^PARAMETER temperature 0\.7$/m);
  assert.match(r.modelfile, /^PARAMETER num_ctx 2048$/m);
  assert.equal(r.checked.length, 4);
  assertSameRender(CHATML_QWEN, '<|im_end|>', r.modelfile, FRESH);
  assertSameRender(CHATML_QWEN, '<|im_end|>', r.modelfile, [{ role: 'system', content: 'Be terse.' }, ...FRESH]);
  // Without a system message the default one is written, as in training.
  const noSystem = compileGoTemplate(r.goTemplate)(ollamaValues(FRESH.slice(0, 1)));
  assert.ok(noSystem.startsWith('<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n'));
});

test('Llama 3 shape: date header and stripped contents kept, BOS left to the GGUF tokenizer, stops at <|eot_id|>', () => {
  const r = ok(derive(LLAMA3, '<|eot_id|>'));
  assert.equal(r.family, 'Llama 3');
  assert.equal(r.stops[0], '<|eot_id|>');
  assert.ok(!r.goTemplate.includes('<|begin_of_text|>'));
  assert.ok(r.notes.some((n) => /strips spaces/.test(n)), 'the stripping is named');
  assert.ok(r.notes.some((n) => /bos_token/.test(n)), 'BOS is named');
  assertSameRender(LLAMA3, '<|eot_id|>', r.modelfile, FRESH);
  assertSameRender(LLAMA3, '<|eot_id|>', r.modelfile, [{ role: 'system', content: 'You answer in French.' }, ...FRESH]);
});

test('Mistral [INST] shape: EOS after each answer written literally, a system prompt refused by training is left out (no SYSTEM line)', () => {
  const r = ok(derive(MISTRAL_INST, '</s>', { system: 'Be kind.' }));
  assert.deepEqual(r.stops, ['</s>', '[INST]']);
  assert.ok(r.notes.some((n) => /refuses a system message/.test(n)));
  assert.doesNotMatch(r.modelfile, /^SYSTEM/m);
  assert.ok(r.goTemplate.includes('[INST] {{ .Content }} [/INST]'));
  assertSameRender(MISTRAL_INST, '</s>', r.modelfile, FRESH);
});

test('Mistral shape with the system prompt in the last user turn: the TEMPLATE puts it there too', () => {
  const r = ok(derive(MISTRAL_SYSTEM_LAST, '</s>', { system: 'Answer in one sentence.' }));
  assert.match(r.modelfile, /^SYSTEM """Answer in one sentence\."""$/m);
  const messages: ChatMessage[] = [{ role: 'system', content: 'Answer in one sentence.' }, ...FRESH];
  assertSameRender(MISTRAL_SYSTEM_LAST, '</s>', r.modelfile, messages);
  const rendered = compileGoTemplate(r.goTemplate)(ollamaValues(messages));
  assert.ok(rendered.lastIndexOf('Answer in one sentence.') > rendered.indexOf('Yes. Above'), 'the system text is in the last user turn');
});

test('Gemma 3 shape: "model" turns, the system prompt inside the first user turn; Gemma 2 shape: system refused', () => {
  const r = ok(derive(GEMMA3, '<eos>'));
  assert.deepEqual(r.stops, ['<end_of_turn>', '<eos>', '<start_of_turn>']);
  assertSameRender(GEMMA3, '<eos>', r.modelfile, [{ role: 'system', content: 'Reply in haiku.' }, ...FRESH]);
  const g2 = ok(derive(GEMMA2, '<eos>'));
  assert.ok(g2.notes.some((n) => /System role not supported/.test(n)));
  assertSameRender(GEMMA2, '<eos>', g2.modelfile, FRESH);
});

test('Phi-3 shape: the EOS the template writes when not prompting does not leak into the turns', () => {
  const r = ok(derive(PHI3, '<|endoftext|>'));
  assert.deepEqual(r.stops, ['<|end|>', '<|endoftext|>', '<|user|>']);
  assertSameRender(PHI3, '<|endoftext|>', r.modelfile, [{ role: 'system', content: 'You are Phi.' }, ...FRESH]);
});

test('a template whose later turns differ is caught by the check: reported with where, nothing exported', () => {
  const r = derive(CHATML_LATE_TURNS_DIFFER, '<|im_end|>');
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.mismatch?.conversation, 'three user turns');
  assert.ok(r.mismatch?.training.includes('(cont.)'));
  assert.ok(!r.mismatch?.ollama.includes('(cont.)'));
  assert.match(r.message, /renders "three user turns" differently .* at character \d+.*Nothing was exported/);
});

test('a template without a per-turn shape gets a clear refusal, never a guessed TEMPLATE', () => {
  const r = derive(NUMBERED_TURNS, '</s>');
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.match(r.message, /an unrecognised family chat template .* no Ollama TEMPLATE is derived/);
  assert.match(r.message, /vLLM/);
});

test('a template that does not parse is named as such', () => {
  const r = derive('{% for m in messages %}{{ m.content }', '</s>');
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.message, /does not parse/);
});
