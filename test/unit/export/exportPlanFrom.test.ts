// What the Ollama Modelfile's FROM names: a GGUF only when a step writes one (llama.cpp given);
// otherwise the bf16 safetensors folder, which `ollama create` imports itself. A FROM naming a file
// no step writes made `ollama create` fail after the merge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planExport, ExportRequest } from '../../../src/core/export/exportPlan';

const CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
const tokenizerConfig = JSON.stringify({ chat_template: CHATML, eos_token: '<|im_end|>' });
const adapterConfig = JSON.stringify({ base_model_name_or_path: 'Qwen/Qwen2.5-0.5B-Instruct', peft_type: 'LORA' });
const request = (over: Partial<ExportRequest> = {}): ExportRequest => ({ model: 'outputs/final', name: 'qwen-medical', quants: ['Q4_K_M'], ollama: true, vllm: false, ...over });
const fromLine = (modelfile: string | undefined) => modelfile?.split('\n').find((l) => l.startsWith('FROM '));

test('with llama.cpp the Modelfile takes the quantised GGUF the plan writes', () => {
  const plan = planExport(request({ llamaCpp: '/opt/llama.cpp' }), { adapterConfig, tokenizerConfig }, '../outputs/final');
  assert.equal(fromLine(plan.files.find((f) => f.path === 'Modelfile')?.content), 'FROM ./model-q4_k_m.gguf');
  assert.ok(plan.commands.some((c) => c.argv.join(' ').includes('llama-quantize model-bf16.gguf model-q4_k_m.gguf Q4_K_M')));
});

test('without llama.cpp an adapter is imported from the merged safetensors, and ollama create says so', () => {
  const plan = planExport(request(), { adapterConfig, tokenizerConfig }, '../outputs/final');
  assert.equal(fromLine(plan.files.find((f) => f.path === 'Modelfile')?.content), 'FROM ./merged');
  const create = plan.commands.find((c) => c.argv[0] === 'ollama');
  assert.match(create?.description ?? '', /safetensors in merged\//);
  assert.ok(!plan.commands.some((c) => c.argv.some((a) => a.endsWith('.gguf'))), 'no step names a GGUF');
  assert.ok(plan.notes.some((n) => /imports the bf16 safetensors in merged\//.test(n)));
});

test('without llama.cpp a full model is imported from its own folder; a path a FROM line cannot hold gives no Modelfile', () => {
  const full = planExport(request({ model: 'outputs/full' }), { tokenizerConfig }, '../outputs/full');
  assert.equal(fromLine(full.files.find((f) => f.path === 'Modelfile')?.content), 'FROM ../outputs/full');

  const hostile = planExport(request({ model: 'outputs/x\nSYSTEM evil' }), { tokenizerConfig }, '../outputs/x\nSYSTEM evil');
  assert.equal(hostile.files.find((f) => f.path === 'Modelfile'), undefined);
  assert.ok(!hostile.commands.some((c) => c.argv[0] === 'ollama'), 'no ollama create without a Modelfile');
  assert.ok(hostile.notes.some((n) => /No Modelfile: the model folder's path/.test(n)));
});
