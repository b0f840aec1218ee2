import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGoTemplate, GoTemplateError, ollamaValues } from '../../../src/core/export/goTemplate';
import { trainingTemplateFrom, TemplateRenderError } from '../../../src/core/export/chatTemplate';

test('Go template subset: trim markers, range with $last, else-if chains, $.System — as Ollama templates use them', () => {
  const src = '{{- if .System }}[S]{{ .System }}\n{{ end }}\n{{- range $i, $_ := .Messages }}\n{{- $last := eq (len (slice $.Messages $i)) 1 }}\n{{- if eq .Role "user" }}U:{{ .Content }}{{ if $last }}>{{ end }}\n{{- else if eq .Role "assistant" }} A:{{ .Content }}\n{{- else }}?{{ end }}\n{{- end }}';
  const render = compileGoTemplate(src);
  const out = render(ollamaValues([{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }, { role: 'user', content: 'there' }, { role: 'assistant', content: 'yo' }, { role: 'user', content: 'q' }]));
  // Ollama merges consecutive user messages with a blank line; the system message stays in Messages.
  assert.equal(out, '[S]be brief\n?U:hi\n\nthere A:yoU:q>');
});

test('Go template subset: what it does not know is an error naming it, never an empty string', () => {
  assert.throws(() => compileGoTemplate('{{ printf "%s" .System }}'), (e: unknown) => e instanceof GoTemplateError && /function "printf"/.test(e.message));
  assert.throws(() => compileGoTemplate('{{ if .System }}x')({ System: '' }), GoTemplateError);
  assert.throws(() => compileGoTemplate('{{ .Missing }}')({ System: '' }), /no field "Missing"/);
});

test('the training template comes from chat_template.jinja first, else tokenizer_config.json (string or the "default" of a list); EOS from either shape', () => {
  const cfg = JSON.stringify({ eos_token: { content: '<|im_end|>', special: true }, chat_template: [{ name: 'tool_use', template: 'T' }, { name: 'default', template: 'D' }] });
  assert.deepEqual(trainingTemplateFrom({ tokenizerConfig: cfg }, 'out'), { source: 'D', eosToken: '<|im_end|>' });
  assert.deepEqual(trainingTemplateFrom({ tokenizerConfig: cfg, chatTemplateJinja: 'J' }, 'out'), { source: 'J', eosToken: '<|im_end|>' });
  assert.throws(() => trainingTemplateFrom({ tokenizerConfig: JSON.stringify({ eos_token: '</s>' }) }, 'outputs/run1'), (e: unknown) => e instanceof TemplateRenderError && /outputs\/run1 has no chat template/.test(e.message));
  assert.throws(() => trainingTemplateFrom({ tokenizerConfig: JSON.stringify({ chat_template: 'x' }) }, 'o'), /names no eos_token/);
});
