/** push_to_hub.py: upload an adapter or a full/merged model with a generated model card. */
import { hubCli } from '../libraryVersions';
import { ResolvedSpec } from '../spec';
import { EvalRecipe } from './evaluate';
import { pyStr } from './pyutil';
import { mdCode, mdText, pyDocText, urlPath, yamlScalar } from './escape';
import { CARD_FILL_PY, CARD_TRAINING_PLACEHOLDER, UPLOAD_IGNORE } from './cardPy';
import { howToRunSection } from './cardUsage';

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
  // The Training table is not written here: these values are the recipe's (or, for a push, defaults that
  // never trained anything). The uploading script fills it from what train.py recorded (cardPy.ts).
  const training = spec.models
    ? `Merged with mergekit (${mdText(spec.mergeMethod ?? '')}); the merge configuration is \`mergekit_config.yml\` beside the weights.`
    : CARD_TRAINING_PLACEHOLDER;
  const evals = spec.evalResults?.length
    ? ['## Evaluation', '', '| task | base | trained |', '|---|---|---|', ...spec.evalResults.map((r) => `| ${mdText(r.task)} | ${mdText(String(r.base ?? '-'))} | ${mdText(String(r.trained ?? '-'))} |`), '']
    : [];
  const name = spec.hubRepo ?? 'model';
  const usage = howToRunSection({ repo: name, adapter, ...(spec.baseModel ? { baseModel: spec.baseModel } : {}), ...(spec.modelFolder ?? spec.modelPath ? { modelFolder: spec.modelFolder ?? spec.modelPath } : {}) });
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
    training,
    '',
    ...evals,
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
The token comes from the environment (HF_TOKEN or ${hubCli(spec.env?.packages?.huggingface_hub).login}), never from this file.
"""
import json
import os

from huggingface_hub import HfApi

# --- CONFIG (edit freely; one NAME = value per line) ---
MODEL_DIR = ${pyStr(folder)}
HUB_MODEL_ID = ${pyStr(spec.hubRepo ?? '')}
HUB_PRIVATE = ${spec.hubPrivate ? 'True' : 'False'}
MODEL_CARD = "README.md"
# --- END CONFIG ---


${CARD_FILL_PY}


def main():
    if int(os.environ.get("RANK", "0")) != 0:
        # Started under accelerate launch / torchrun: only the main process uploads.
        return
    if not os.path.isdir(MODEL_DIR):
        raise SystemExit(f"{MODEL_DIR} does not exist: train (or merge) first, or fix MODEL_DIR.")
    if os.path.exists(MODEL_CARD):
        # The card travels with the weights; its Training table comes from what trained them.
        with open(MODEL_CARD, encoding="utf-8") as f:
            card = card_with_training(f.read(), read_training_summary(MODEL_DIR))
        with open(os.path.join(MODEL_DIR, "README.md"), "w", encoding="utf-8") as f:
            f.write(card)
    api = HfApi()  # reads HF_TOKEN / the cached login
    repo = api.create_repo(HUB_MODEL_ID, private=HUB_PRIVATE, exist_ok=True)
    api.upload_folder(
        repo_id=repo.repo_id,
        folder_path=MODEL_DIR,
        commit_message="Upload with ML Intern",
        ignore_patterns=${JSON.stringify(UPLOAD_IGNORE)},
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
