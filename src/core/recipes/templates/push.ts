/** push_to_hub.py: upload an adapter or a full/merged model with a generated model card. */
import { ResolvedSpec } from '../spec';
import { EvalRecipe } from './evaluate';
import { pyStr } from './pyutil';
import { mdCode, mdText, pyDocText, urlPath, yamlScalar } from './escape';

export function modelCard(spec: ResolvedSpec): string {
  const adapter = spec.adapter !== 'full' && spec.method !== 'merge';
  const method = spec.method === 'push' ? (spec.models ? 'merge' : 'sft') : spec.method;
  const tags = ['ml-intern', 'trl', method, ...(adapter ? ['lora', ...(spec.adapter === 'qlora' ? ['qlora'] : [])] : [])];
  // The script sees a workspace file from its own folder ("../data/train.jsonl"); a reader of the card wants "data/train.jsonl".
  spec = { ...spec, ...(spec.dataset ? { dataset: spec.dataset.replace(/^(?:\.\.\/)+/, '') } : {}) };
  const front = ['---'];
  if (spec.baseModel) front.push(`base_model: ${yamlScalar(spec.baseModel)}`);
  if (adapter) front.push('library_name: peft');
  else front.push('library_name: transformers');
  if (spec.dataset && !/^[./~]/.test(spec.dataset) && spec.dataset.split('/').length === 2 && !/\.\w+$/.test(spec.dataset)) front.push('datasets:', `- ${yamlScalar(spec.dataset)}`);
  front.push('tags:', ...tags.map((t) => `- ${yamlScalar(t)}`), '---');
  const hp: [string, string | number | boolean][] = [
    ['method', method.toUpperCase()],
    ['adapter', spec.adapter],
    ['learning rate', spec.learningRate],
    ['epochs', spec.epochs],
    ['per-device batch size', spec.perDeviceTrainBatchSize],
    ['gradient accumulation', spec.gradientAccumulationSteps],
    ['max length', spec.maxLength],
  ];
  if (adapter) hp.push(['LoRA r / alpha / dropout', `${spec.loraR} / ${spec.loraAlpha} / ${spec.loraDropout}`], ['target modules', String(spec.targetModules)]);
  if (['dpo', 'orpo', 'kto'].includes(method)) hp.push(['beta', spec.beta]);
  const evals = spec.evalResults?.length
    ? ['## Evaluation', '', '| task | base | trained |', '|---|---|---|', ...spec.evalResults.map((r) => `| ${mdText(r.task)} | ${mdText(String(r.base ?? '-'))} | ${mdText(String(r.trained ?? '-'))} |`), '']
    : [];
  const name = spec.hubRepo ?? 'model';
  const usage = adapter
    ? ['```python', 'from peft import AutoPeftModelForCausalLM', 'from transformers import AutoTokenizer', '', `model = AutoPeftModelForCausalLM.from_pretrained(${pyStr(name)})`, `tokenizer = AutoTokenizer.from_pretrained(${pyStr(name)})`, '```']
    : ['```python', 'from transformers import AutoModelForCausalLM, AutoTokenizer', '', `model = AutoModelForCausalLM.from_pretrained(${pyStr(name)})`, `tokenizer = AutoTokenizer.from_pretrained(${pyStr(name)})`, '```'];
  return [
    ...front,
    '',
    `# ${mdText(name.split('/').pop() ?? name)}`,
    '',
    adapter
      ? `A ${spec.adapter === 'qlora' ? 'QLoRA' : 'LoRA'} adapter for [${mdText(spec.baseModel ?? '')}](https://huggingface.co/${urlPath(spec.baseModel ?? '')}), trained with ${method.toUpperCase()}${spec.dataset ? ` on ${mdCode(spec.dataset)}` : ''}.`
      : `${spec.models ? `A ${spec.mergeMethod} merge of ${spec.models.map((m) => mdCode(m.model)).join(', ')}` : `A fine-tune of ${mdCode(spec.baseModel ?? '')} (${method.toUpperCase()})`}${spec.dataset ? ` on ${mdCode(spec.dataset)}` : ''}.`,
    '',
    '## Training',
    '',
    '| setting | value |',
    '|---|---|',
    ...hp.map(([k, v]) => `| ${k} | ${mdText(String(v))} |`),
    '',
    ...evals,
    '## Usage',
    '',
    ...usage,
    '',
    'Written with [ML Intern](https://github.com/) (trl, peft, transformers).',
    '',
  ].join('\n');
}

export function renderPush(spec: ResolvedSpec): EvalRecipe {
  const folder = spec.modelPath ?? spec.outputDir;
  const script = `#!/usr/bin/env python3
"""
Upload ${spec.adapter !== 'full' ? 'the adapter' : 'the model'} in ${pyDocText(folder)} to the Hugging Face Hub as ${pyDocText(spec.hubRepo ?? '')}, with README.md as model card.
The token comes from the environment (HF_TOKEN or huggingface-cli login), never from this file.
"""
import os
import shutil

from huggingface_hub import HfApi

# --- CONFIG (edit freely; one NAME = value per line) ---
MODEL_DIR = ${pyStr(folder)}
HUB_MODEL_ID = ${pyStr(spec.hubRepo ?? '')}
HUB_PRIVATE = ${spec.hubPrivate ? 'True' : 'False'}
MODEL_CARD = "README.md"
# --- END CONFIG ---


def main():
    if not os.path.isdir(MODEL_DIR):
        raise SystemExit(f"{MODEL_DIR} does not exist: train (or merge) first, or fix MODEL_DIR.")
    if os.path.exists(MODEL_CARD):
        # The card travels with the weights so the Hub page explains what this is.
        shutil.copyfile(MODEL_CARD, os.path.join(MODEL_DIR, "README.md"))
    api = HfApi()  # reads HF_TOKEN / the cached login
    repo = api.create_repo(HUB_MODEL_ID, private=HUB_PRIVATE, exist_ok=True)
    api.upload_folder(
        repo_id=repo.repo_id,
        folder_path=MODEL_DIR,
        commit_message="Upload with ML Intern",
        ignore_patterns=["checkpoint-*", "*.pt", "optimizer*", "scheduler*", "rng_state*", "training_args.bin"],
    )
    print(f"Pushed to https://huggingface.co/{repo.repo_id}")


if __name__ == "__main__":
    main()
`;
  return {
    files: [
      { path: 'push_to_hub.py', content: script, description: `Uploads ${folder} to ${spec.hubRepo}` },
      { path: 'README.md', content: modelCard(spec), description: 'Model card (YAML front matter + training summary)' },
    ],
    commands: [{ argv: ['python', 'push_to_hub.py'], description: `Upload ${folder} to https://huggingface.co/${spec.hubRepo} (needs HF_TOKEN)` }],
    notes: ['Checkpoints, optimizer states and training_args.bin are not uploaded.'],
  };
}
