/**
 * The tokenizer and chat template of a mergekit merge, chosen on purpose. Without them mergekit
 * copies the tokenizer of its "donor" (the base model, else the first model: merge.py
 * _get_donor_model / _copy_tokenizer on main), so merging instruct fine-tunes onto a base model
 * gives the merge the base's EOS and no chat template: it never stops answering. The config names
 * `tokenizer_source` (a model, "base" or "union": config.py MergeConfiguration) and
 * `chat_template: "auto"` (the template most input models share: merge.py _set_chat_template), and
 * check_merged_tokenizer.py checks the result before anything is uploaded.
 */
import { ResolvedSpec } from '../spec';
import { pyStr } from './pyutil';
import { yamlScalar } from './escape';

/** The model whose tokenizer the merge keeps: the first merged model that is not the base (the fine-tunes speak the chat format). */
export function tokenizerDonor(spec: ResolvedSpec): string {
  const models = spec.models ?? [];
  return (models.find((m) => m.model !== spec.baseModel) ?? models[0])?.model ?? spec.baseModel ?? '';
}

/** The YAML lines that set them, with why. */
export function tokenizerYaml(spec: ResolvedSpec): string[] {
  return [
    '# The tokenizer (and its EOS) of a fine-tuned model, not the base one mergekit would copy otherwise;',
    '# "union" instead merges differing vocabularies. chat_template "auto": the template most inputs share.',
    `tokenizer_source: ${yamlScalar(tokenizerDonor(spec))}`,
    'chat_template: auto',
  ];
}

export function checkMergedTokenizerScript(spec: ResolvedSpec): string {
  return `#!/usr/bin/env python3
"""
Check the merged model's tokenizer before it is used or uploaded: it must have an EOS token, the
EOS of the model whose tokenizer was chosen (TOKENIZER_SOURCE), the model config's eos_token_id
must point at it, and it must carry a chat template when that model has one.
"""
import json
import os
import sys

from transformers import AutoTokenizer

# --- CONFIG (edit freely; one NAME = value per line) ---
MERGED_DIR = ${pyStr(spec.outputDir)}
TOKENIZER_SOURCE = ${pyStr(tokenizerDonor(spec))}
# --- END CONFIG ---


def eos_ids(value):
    return set(value) if isinstance(value, list) else {value} if value is not None else set()


def main():
    merged = AutoTokenizer.from_pretrained(MERGED_DIR)
    source = AutoTokenizer.from_pretrained(TOKENIZER_SOURCE)
    problems = []
    if merged.eos_token is None:
        problems.append("the merged tokenizer has no EOS token: generation would never stop")
    elif merged.eos_token != source.eos_token:
        problems.append(f"EOS is {merged.eos_token!r}, but {TOKENIZER_SOURCE} ends answers with {source.eos_token!r}")
    if source.chat_template and not merged.chat_template:
        problems.append(f"no chat template, though {TOKENIZER_SOURCE} has one: set chat_template in config.yaml")
    config_path = os.path.join(MERGED_DIR, "config.json")
    if merged.eos_token_id is not None and os.path.exists(config_path):
        with open(config_path, encoding="utf-8") as f:
            config_eos = eos_ids(json.load(f).get("eos_token_id"))
        if config_eos and merged.eos_token_id not in config_eos:
            problems.append(f"config.json eos_token_id {sorted(config_eos)} does not include the tokenizer's EOS id {merged.eos_token_id}")
    print(f"Merged tokenizer: EOS {merged.eos_token!r} (id {merged.eos_token_id}), chat template: {'yes' if merged.chat_template else 'none'}")
    if problems:
        print("The merged tokenizer needs attention:", *problems, sep="\\n- ")
        sys.exit(1)
    print("The merged tokenizer matches", TOKENIZER_SOURCE)


if __name__ == "__main__":
    main()
`;
}
