/**
 * Evaluation with LightEval: MMLU and GSM8K (or the spec's tasks) on the base model and on the
 * trained one, then a base-vs-trained table. An adapter is merged into its base first
 * (merge_adapter.py) so both runs use the same plain-model code path in every LightEval release.
 */
import { versionAtLeast } from '../libraryVersions';
import { ResolvedSpec } from '../spec';
import { COMPARE_RESULTS_SCRIPT } from './compareResults';
import { pyStr } from './pyutil';

export interface EvalRecipe {
  files: { path: string; content: string; description: string }[];
  commands: { argv: string[]; description: string; heavy?: boolean }[];
  notes: string[];
}

/**
 * Benchmarks LightEval 0.8–0.11 hold in the "leaderboard" suite with the Open LLM Leaderboard
 * scoring (MMLU as log-likelihood accuracy, as published MMLU figures are); from 0.12 the built-in
 * tasks live only in the "lighteval" suite (MMLU there is generated exact match).
 */
const LEADERBOARD_TASKS = new Set(['mmlu', 'gsm8k', 'hellaswag', 'arc:challenge', 'truthfulqa:mc', 'winogrande']);

/**
 * Task strings as the installed LightEval parses them (registry.py at each tag):
 * < 0.11 "suite|task|fewshot|truncate", 0.11–0.12 "suite|task|fewshot", ≥ 0.13 "task|fewshot".
 * Unknown version: "lighteval|task|fewshot", which 0.12 runs and 0.13+ runs ignoring the suite
 * (what `pip install lighteval` gives today).
 */
export function lightevalTasks(tasks: string[], lightevalVersion: string | undefined): string {
  const fewshot: Record<string, number> = { mmlu: 5, gsm8k: 5 };
  return tasks
    .map((task) => {
      if (task.includes('|')) return task;
      const n = fewshot[task] ?? 0;
      if (!lightevalVersion) return `lighteval|${task}|${n}`;
      if (versionAtLeast(lightevalVersion, '0.13.0')) return `${task}|${n}`;
      if (versionAtLeast(lightevalVersion, '0.12.0')) return `lighteval|${task}|${n}`;
      const suite = LEADERBOARD_TASKS.has(task) ? 'leaderboard' : 'lighteval';
      return versionAtLeast(lightevalVersion, '0.11.0') ? `${suite}|${task}|${n}` : `${suite}|${task}|${n}|0`;
    })
    .join(',');
}

/**
 * The model argument that fixes the chat-template choice for both runs. From 0.11 LightEval turns
 * the chat template on when the tokenizer has one (models/utils.py uses_chat_template), so a base
 * model without a template and a fine-tune with one would be prompted differently; before 0.11 it
 * is off unless --use-chat-template is passed, which these commands never do.
 */
export function chatTemplateArg(lightevalVersion: string | undefined): string {
  return !lightevalVersion || versionAtLeast(lightevalVersion, '0.11.0') ? ',override_chat_template=False' : '';
}

export function renderEval(spec: ResolvedSpec): EvalRecipe {
  const notes: string[] = [];
  const lv = spec.env?.packages?.lighteval ?? undefined;
  const modelArg = lv && !versionAtLeast(lv, '0.10.0') ? 'pretrained' : 'model_name';
  const dtype = spec.bf16 ? 'bfloat16' : 'float16';
  const tasks = lightevalTasks(spec.evalTasks, lv);
  const chat = chatTemplateArg(lv);
  const trained = spec.modelPath ?? spec.outputDir;
  const isAdapter = spec.adapter !== 'full';
  const evaluated = isAdapter ? `${trained.replace(/\/+$/, '')}-merged` : trained;
  if (!lv) notes.push('LightEval was not reported installed: pip install lighteval (the commands use the task syntax "lighteval|task|fewshot" that 0.12 and later accept).');
  if (spec.evalTasks.includes('mmlu') && (!lv || versionAtLeast(lv, '0.12.0'))) {
    notes.push('LightEval 0.12 and later score MMLU by generated exact match (metric em), not the log-likelihood accuracy published MMLU figures use; the table names the metric. For the published form, evaluate with lighteval 0.11 (its leaderboard suite).');
  }
  notes.push('Base and trained model are evaluated the same way: same tasks, few-shot counts and dtype, no chat template for either; compare_results.py marks a row "not comparable" when the two result files say otherwise.');

  const mergeScript = `#!/usr/bin/env python3
"""Merge the LoRA adapter into its base model so LightEval can load it as a plain model."""
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

# --- CONFIG (edit freely; one NAME = value per line) ---
BASE_MODEL_ID = ${pyStr(spec.baseModel ?? '')}
ADAPTER_DIR = ${pyStr(trained)}
MERGED_DIR = ${pyStr(evaluated)}
# --- END CONFIG ---

# Merging needs the base in half precision (not 4-bit): a QLoRA adapter merges into the bf16/fp16 base.
base = AutoModelForCausalLM.from_pretrained(BASE_MODEL_ID, ${'dtype'}=torch.${dtype}, device_map="auto")
model = PeftModel.from_pretrained(base, ADAPTER_DIR)
model = model.merge_and_unload()
model.save_pretrained(MERGED_DIR)
AutoTokenizer.from_pretrained(ADAPTER_DIR).save_pretrained(MERGED_DIR)
print("Merged model written to", MERGED_DIR)
`;

  const compare = COMPARE_RESULTS_SCRIPT;

  const files = [{ path: 'compare_results.py', content: compare, description: 'Prints base vs trained scores and writes results/comparison.json' }];
  if (isAdapter) files.unshift({ path: 'merge_adapter.py', content: mergeScript, description: 'Merges the LoRA adapter into the base model for evaluation' });
  const commands: { argv: string[]; description: string; heavy?: boolean }[] = [];
  if (isAdapter) commands.push({ argv: ['python', 'merge_adapter.py'], description: `Merge the adapter in ${trained} into ${spec.baseModel}`, heavy: true });
  commands.push(
    { argv: ['lighteval', 'accelerate', `${modelArg}=${spec.baseModel},dtype=${dtype}${chat}`, tasks, '--output-dir', 'results/base'], description: `Evaluate the base model on ${spec.evalTasks.join(', ')}`, heavy: true },
    { argv: ['lighteval', 'accelerate', `${modelArg}=${evaluated},dtype=${dtype}${chat}`, tasks, '--output-dir', 'results/trained'], description: `Evaluate the trained model on ${spec.evalTasks.join(', ')}`, heavy: true },
    { argv: ['python', 'compare_results.py'], description: 'Print the base-vs-trained table and write results/comparison.json' },
  );
  notes.push('MMLU (57 subjects, 5-shot) takes about an hour for an 8B model on one GPU; GSM8K (1,319 problems, generative) about as long.');
  return { files, commands, notes };
}
