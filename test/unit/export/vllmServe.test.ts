// The `vllm serve` line for "Start a vLLM server" in the Try-it view: a LoRA adapter on its base with a rank
// vLLM accepts, the training chat template, loopback and the given port; a full model → no server, the why and
// the two commands; a server that died at start → one sentence saying what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainVllmExit, planVllmServe, vllmLoraRank, VllmServeError, VllmServeInput } from '../../../src/core/export/vllmServe';

const TEMPLATE = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
const adapter = (r: unknown, base: unknown = 'Qwen/Qwen2.5-0.5B-Instruct') => JSON.stringify({ base_model_name_or_path: base, r, lora_alpha: 16, peft_type: 'LORA' });
const input = (over: Partial<VllmServeInput> = {}): VllmServeInput => ({
  modelDir: '/ws/sft/outputs/run1', model: 'sft/outputs/run1', trainedName: 'qwen2.5-0.5b-instruct-run1', port: 41234, templateFile: '/ws/ml-intern/try/vllm-server/chat_template.jinja',
  seen: { adapterConfig: adapter(16), chatTemplateJinja: TEMPLATE }, ...over,
});

test('an adapter is served on its base with --enable-lora, its module, a rank vLLM takes, its own chat template, on loopback', () => {
  const plan = planVllmServe(input({ program: '/venv/bin/vllm' }));
  assert.equal(plan.kind, 'lora');
  if (plan.kind !== 'lora') return;
  assert.deepEqual(plan.argv, [
    '/venv/bin/vllm', 'serve', 'Qwen/Qwen2.5-0.5B-Instruct', '--enable-lora', '--lora-modules', 'qwen2.5-0.5b-instruct-run1=/ws/sft/outputs/run1', '--max-lora-rank', '16',
    '--chat-template', '/ws/sft/outputs/run1/chat_template.jinja', '--host', '127.0.0.1', '--port', '41234',
  ]);
  assert.equal(plan.endpoint, 'http://127.0.0.1:41234/v1');
  assert.equal(plan.baseName, 'Qwen/Qwen2.5-0.5B-Instruct');
  assert.equal(plan.trainedName, 'qwen2.5-0.5b-instruct-run1');
  assert.equal(plan.writeTemplate, undefined, 'the folder\'s own chat_template.jinja is passed as is');
});

test('the rank flag is the smallest rank vLLM accepts that holds r: 8→8, 16→16, 64→64, 100→128; above 512 is refused', () => {
  const rank = (r: number) => {
    const plan = planVllmServe(input({ seen: { adapterConfig: adapter(r), chatTemplateJinja: TEMPLATE } }));
    return plan.kind === 'lora' ? plan.argv[plan.argv.indexOf('--max-lora-rank') + 1] : undefined;
  };
  assert.deepEqual([8, 16, 64, 100].map(rank), ['8', '16', '64', '128']);
  assert.deepEqual([1, 2, 300, 320, 500].map(vllmLoraRank), [1, 8, 320, 320, 512]);
  assert.throws(() => planVllmServe(input({ seen: { adapterConfig: adapter(1024) } })), (e: Error) => e instanceof VllmServeError && /rank 1024.*up to 512/.test(e.message));
  assert.throws(() => planVllmServe(input({ seen: { adapterConfig: adapter(undefined) } })), /no LoRA rank \(r\)/);
  assert.throws(() => planVllmServe(input({ seen: { adapterConfig: adapter(8, '') } })), /names no base model/);
});

test('a template only in tokenizer_config.json is written out for --chat-template; no template → no flag and a note', () => {
  const plan = planVllmServe(input({ seen: { adapterConfig: adapter(8), tokenizerConfig: JSON.stringify({ chat_template: TEMPLATE, eos_token: '<|im_end|>' }) } }));
  assert.ok(plan.kind === 'lora');
  if (plan.kind !== 'lora') return;
  assert.equal(plan.argv[plan.argv.indexOf('--chat-template') + 1], '/ws/ml-intern/try/vllm-server/chat_template.jinja');
  assert.deepEqual(plan.writeTemplate, { path: '/ws/ml-intern/try/vllm-server/chat_template.jinja', content: TEMPLATE });
  const bare = planVllmServe(input({ seen: { adapterConfig: adapter(8) } }));
  assert.ok(bare.kind === 'lora');
  if (bare.kind !== 'lora') return;
  assert.ok(!bare.argv.includes('--chat-template'));
  assert.match(bare.notes.join('\n'), /no chat template: the server uses Qwen\/Qwen2\.5-0\.5B-Instruct's own/);
});

test('an adapter path vLLM would split (=, ,) goes as JSON', () => {
  const plan = planVllmServe(input({ modelDir: '/ws/runs/lr=2e-4,bs=8' }));
  assert.ok(plan.kind === 'lora');
  if (plan.kind !== 'lora') return;
  assert.deepEqual(JSON.parse(plan.argv[plan.argv.indexOf('--lora-modules') + 1]), { name: 'qwen2.5-0.5b-instruct-run1', path: '/ws/runs/lr=2e-4,bs=8' });
});

test('a full model gets no server: the message says why and gives the two commands', () => {
  const plan = planVllmServe(input({ modelDir: '/ws/merged', model: 'merged', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', seen: { chatTemplateJinja: TEMPLATE } }));
  assert.equal(plan.kind, 'full');
  if (plan.kind !== 'full') return;
  assert.match(plan.message, /merged is a full model, not a LoRA adapter: one vLLM server cannot answer as both/);
  assert.match(plan.message, /transformers backend/);
  assert.deepEqual(plan.commands[0].slice(0, 5), ['vllm', 'serve', '/ws/merged', '--served-model-name', 'qwen2.5-0.5b-instruct-run1']);
  assert.deepEqual(plan.commands[1].slice(0, 3), ['vllm', 'serve', 'Qwen/Qwen2.5-0.5B-Instruct']);
  assert.ok(plan.commands[1].includes('41235'), 'the base on another port');
});

test('a server that died at start is explained without its stack trace', () => {
  const oom = 'Traceback (most recent call last):\n  File "/x/vllm/worker.py", line 3, in f\ntorch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.\n';
  assert.match(explainVllmExit(oom, 1, '/venv/bin/python'), /--gpu-memory-utilization.*--max-model-len/);
  assert.doesNotMatch(explainVllmExit(oom, 1, '/venv/bin/python'), /Traceback|File "/);
  const kv = "(EngineCore pid=110) ERROR [core.py:1346] ValueError: To serve at least one request with the model's max seq len (40960), (4.38 GiB KV cache is needed, which is larger than the available KV cache memory (1.0 GiB). Based on the available memory, the estimated maximum model length is 9344. Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.\n";
  assert.match(explainVllmExit(kv, 1, 'python3'), /--max-model-len \(at most 9344, vLLM says\)/);
  assert.match(explainVllmExit("ML Intern: could not start 'vllm': No such file or directory\n", 127, '/venv/bin/python'), /vLLM is not installed in the environment of \/venv\/bin\/python.*\/venv\/bin\/python -m pip install vllm/);
  assert.match(explainVllmExit("ModuleNotFoundError: No module named 'vllm'\n", 1, 'python3'), /not installed/);
  assert.match(explainVllmExit("vllm serve: error: argument --max-lora-rank: invalid choice: 100 (choose from 1, 8, 16)\n", 2, 'python3'), /refused the LoRA rank.*--max-lora-rank must be one of 1, 8, 16, 32, 64, 128, 256, 320, 512/);
  assert.match(explainVllmExit('Traceback (most recent call last):\n  File "a.py"\nValueError: Model architectures [\'Foo\'] are not supported\n', 1, 'python3'), /exited with code 1 before it was ready: ValueError: Model architectures/);
});
