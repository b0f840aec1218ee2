/**
 * Evaluation with LightEval: MMLU and GSM8K (or the spec's tasks) on the base model and on the
 * trained one, then a base-vs-trained table. An adapter is merged into its base first
 * (merge_adapter.py) so both runs use the same plain-model code path in every LightEval release.
 */
import { versionAtLeast } from '../libraryVersions';
import { ResolvedSpec } from '../spec';
import { pyStr } from './pyutil';

export interface EvalRecipe {
  files: { path: string; content: string; description: string }[];
  commands: { argv: string[]; description: string; heavy?: boolean }[];
  notes: string[];
}

/** LightEval task strings changed format: "suite|task|fewshot|truncate" before 0.11, "suite|task|fewshot" since. */
export function lightevalTasks(tasks: string[], lightevalVersion: string | undefined): string {
  const modern = !lightevalVersion || versionAtLeast(lightevalVersion, '0.11.0');
  const fewshot: Record<string, number> = { mmlu: 5, gsm8k: 5 };
  return tasks
    .map((task) => {
      if (task.includes('|')) return task;
      const n = fewshot[task] ?? 0;
      return modern ? `lighteval|${task}|${n}` : `leaderboard|${task}|${n}|0`;
    })
    .join(',');
}

export function renderEval(spec: ResolvedSpec): EvalRecipe {
  const notes: string[] = [];
  const lv = spec.env?.packages?.lighteval ?? undefined;
  const modelArg = lv && !versionAtLeast(lv, '0.10.0') ? 'pretrained' : 'model_name';
  const dtype = spec.bf16 ? 'bfloat16' : 'float16';
  const tasks = lightevalTasks(spec.evalTasks, lv);
  const trained = spec.modelPath ?? spec.outputDir;
  const isAdapter = spec.adapter !== 'full';
  const evaluated = isAdapter ? `${trained.replace(/\/+$/, '')}-merged` : trained;
  if (!lv) notes.push('LightEval was not reported installed: pip install lighteval (the commands use the 0.11+ task syntax "suite|task|fewshot").');

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

  const compare = `#!/usr/bin/env python3
"""
Compare LightEval results of the base and the trained model: prints a table and writes
results/comparison.json as rows {task, base, trained}.
"""
import glob
import json
import os

# --- CONFIG (edit freely; one NAME = value per line) ---
BASE_RESULTS = "results/base"
TRAINED_RESULTS = "results/trained"
COMPARISON_FILE = "results/comparison.json"
# --- END CONFIG ---


def latest_results(folder):
    """LightEval writes results/<model>/results_<timestamp>.json; take the newest one."""
    files = sorted(glob.glob(os.path.join(folder, "**", "results_*.json"), recursive=True), key=os.path.getmtime)
    if not files:
        raise SystemExit(f"No LightEval results under {folder}: run the evaluation first.")
    with open(files[-1], encoding="utf-8") as f:
        return json.load(f)["results"]


def main_metric(metrics):
    """The first numeric metric that is not a standard error."""
    for name, value in metrics.items():
        if isinstance(value, (int, float)) and not name.endswith("_stderr"):
            return float(value)
    return None


def task_scores(results):
    """One score per task; MMLU-style subtasks (mmlu:anatomy, ...) are averaged into their family."""
    scores, families = {}, {}
    for task, metrics in results.items():
        if task == "all":
            continue
        parts = task.split("|")
        name = parts[1] if len(parts) > 1 else task
        value = main_metric(metrics)
        if value is None:
            continue
        family, _, sub = name.partition(":")
        if sub and sub != "_average":
            families.setdefault(family, []).append(value)
        else:
            scores[family] = value
    for family, values in families.items():
        scores.setdefault(family, sum(values) / len(values))
    return scores


def main():
    base = task_scores(latest_results(BASE_RESULTS))
    trained = task_scores(latest_results(TRAINED_RESULTS))
    rows = [{"task": t, "base": base.get(t), "trained": trained.get(t)} for t in sorted(set(base) | set(trained))]
    print(f"{'task':<20} {'base':>8} {'trained':>8} {'delta':>8}")
    for row in rows:
        b, t = row["base"], row["trained"]
        fmt = lambda v: f"{v:8.4f}" if v is not None else f"{'-':>8}"
        delta = fmt(t - b) if b is not None and t is not None else fmt(None)
        print(f"{row['task']:<20} {fmt(b)} {fmt(t)} {delta}")
    os.makedirs(os.path.dirname(COMPARISON_FILE), exist_ok=True)
    with open(COMPARISON_FILE, "w", encoding="utf-8") as f:
        json.dump(rows, f, indent=2)
    print("Written", COMPARISON_FILE)


if __name__ == "__main__":
    main()
`;

  const files = [{ path: 'compare_results.py', content: compare, description: 'Prints base vs trained scores and writes results/comparison.json' }];
  if (isAdapter) files.unshift({ path: 'merge_adapter.py', content: mergeScript, description: 'Merges the LoRA adapter into the base model for evaluation' });
  const commands: { argv: string[]; description: string; heavy?: boolean }[] = [];
  if (isAdapter) commands.push({ argv: ['python', 'merge_adapter.py'], description: `Merge the adapter in ${trained} into ${spec.baseModel}`, heavy: true });
  commands.push(
    { argv: ['lighteval', 'accelerate', `${modelArg}=${spec.baseModel},dtype=${dtype}`, tasks, '--output-dir', 'results/base'], description: `Evaluate the base model on ${spec.evalTasks.join(', ')}`, heavy: true },
    { argv: ['lighteval', 'accelerate', `${modelArg}=${evaluated},dtype=${dtype}`, tasks, '--output-dir', 'results/trained'], description: `Evaluate the trained model on ${spec.evalTasks.join(', ')}`, heavy: true },
    { argv: ['python', 'compare_results.py'], description: 'Print the base-vs-trained table and write results/comparison.json' },
  );
  notes.push('MMLU (57 subjects, 5-shot) takes about an hour for an 8B model on one GPU; GSM8K (1,319 problems, generative) about as long.');
  return { files, commands, notes };
}
