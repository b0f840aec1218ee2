/**
 * The model card's "How to run it": transformers, vLLM and Ollama, each prompting with the chat
 * template the model was trained with (the tokenizer saved beside the weights carries it). Serving
 * with another template is the usual reason a fine-tune answers worse once deployed, so vLLM is
 * given the training template explicitly for an adapter (it would take the base's), and Ollama gets
 * the Modelfile `ml-intern export` derives from that template and checks against it.
 */
import { mdCode, shellQuote } from './escape';
import { pyStr } from './pyutil';

export function howToRunSection(o: { repo: string; baseModel?: string; adapter: boolean; modelFolder?: string }): string[] {
  // The name it is served as: safe in a shell word, a JSON string and an Ollama name without quoting.
  const served = (o.repo.split('/').pop() ?? o.repo).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|-+$/g, '').slice(0, 40) || 'model';
  const repo = shellWord(o.repo, 'REPO_ID');
  const transformers = [
    '### transformers',
    '',
    '```python',
    ...(o.adapter
      ? ['from peft import AutoPeftModelForCausalLM', 'from transformers import AutoTokenizer', '', `model = AutoPeftModelForCausalLM.from_pretrained(${pyStr(o.repo)})`]
      : ['from transformers import AutoModelForCausalLM, AutoTokenizer', '', `model = AutoModelForCausalLM.from_pretrained(${pyStr(o.repo)})`]),
    `tokenizer = AutoTokenizer.from_pretrained(${pyStr(o.repo)})  # carries the chat template used in training`,
    'messages = [{"role": "user", "content": "Hello!"}]',
    'inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt").to(model.device)',
    'print(tokenizer.decode(model.generate(inputs, max_new_tokens=256)[0][inputs.shape[-1]:], skip_special_tokens=True))',
    '```',
  ];
  const vllm = [
    '### vLLM',
    '',
    ...(o.adapter ? ['The adapter on its base model, with the chat template it was trained with (vLLM would take the base\'s):', ''] : []),
    '```bash',
    ...(o.adapter
      ? [
          `ADAPTER=$(python -c "import sys; from huggingface_hub import snapshot_download; print(snapshot_download(sys.argv[1]))" ${repo})`,
          'python -c "import sys; from transformers import AutoTokenizer; open(\'chat_template.jinja\', \'w\').write(AutoTokenizer.from_pretrained(sys.argv[1]).chat_template)" "$ADAPTER"',
          `vllm serve ${shellWord(o.baseModel ?? '', 'BASE_MODEL')} --enable-lora --lora-modules ${served}="$ADAPTER" --chat-template chat_template.jinja  # add --max-lora-rank R for a rank over 16`,
        ]
      : [`vllm serve ${repo} --served-model-name ${served}  # the repo's tokenizer carries the training chat template`]),
    `curl http://localhost:8000/v1/chat/completions -H 'Content-Type: application/json' -d '{"model": "${served}", "messages": [{"role": "user", "content": "Hello!"}]}'`,
    '```',
  ];
  const folder = o.modelFolder ? o.modelFolder.replace(/^(?:\.\.\/)+/, '') : 'MODEL_FOLDER';
  const ollama = [
    '### Ollama',
    '',
    `Ollama runs a GGUF with a Modelfile; its TEMPLATE and stop tokens must be the training template's. [ML Intern](https://github.com/) writes both from the trained folder (${mdCode(folder)}) and checks the TEMPLATE by rendering the same conversations through both templates:`,
    '',
    '```bash',
    `ml-intern export ${shellWord(folder, 'MODEL_FOLDER')} --name ${served} --gguf Q4_K_M --llama-cpp ~/llama.cpp --ollama --run`,
    `ollama run ${served}`,
    '```',
  ];
  return ['## How to run it', '', ...transformers, '', ...vllm, '', ...ollama];
}

/** A name as one shell word in a code block; one holding a newline, a control character or a backquote is shown as the placeholder (it could end the block). */
function shellWord(s: string, placeholder: string): string {
  if (!s || /[\u0000-\u001f\u007f\u0085\u2028\u2029`]/.test(s)) return placeholder;
  return shellQuote(s);
}
