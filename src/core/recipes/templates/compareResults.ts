/**
 * compare_results.py: reads the LightEval results of the base and the trained model and writes the
 * base-vs-trained table. LightEval's result keys changed shape across releases, so the reader parses
 * every shape it has written (checked against lighteval's logging/info_loggers.py and
 * evaluation_tracker.py at v0.8.0 … v0.13.0 and main):
 *   0.8 – 0.12  "suite|task|fewshot"   (leaderboard|mmlu:anatomy|5, leaderboard|mmlu:_average|5)
 *   0.13 – main "task|fewshot"         (mmlu:anatomy|5, mmlu:_average|5, gsm8k|5)
 *   every release also writes "all" (the mean of every metric over every task), which is skipped.
 * Files are results/<model name>/results_<date>.json (the model name may be a nested local path) or
 * wherever --results-path-template put them under the output folder: both are found by a recursive glob.
 * A row names the benchmark, the LightEval variant (suite), the few-shot count and the metric, because
 * "MMLU" scored by generated exact match (LightEval ≥ 0.12) is not the log-likelihood accuracy
 * published MMLU figures use. Base and trained rows are marked not comparable when the two runs
 * differed in how they were evaluated (chat template, sample cap, few-shot seeds).
 */
export const COMPARE_RESULTS_SCRIPT = `#!/usr/bin/env python3
"""
Compare LightEval results of the base and the trained model: prints a table and writes
results/comparison.json as rows {task, base, trained, benchmark, variant, fewshot, metric, comparable, note}.
Reads every result-key shape LightEval has written: "suite|task|fewshot" (0.8-0.12) and "task|fewshot" (0.13+).
"""
import glob
import json
import math
import os
import sys

# --- CONFIG (edit freely; one NAME = value per line) ---
BASE_RESULTS = "results/base"
TRAINED_RESULTS = "results/trained"
COMPARISON_FILE = "results/comparison.json"
# --- END CONFIG ---

# The score a row shows: LightEval's headline metric of the task when present, in this order.
PREFERRED_METRICS = ["acc", "extractive_match", "em", "qem", "pem", "acc_norm", "f1", "mc1", "mc2"]
METRIC_MEANING = {
    "acc": "log-likelihood accuracy",
    "acc_norm": "length-normalised log-likelihood accuracy",
    "em": "exact match of the generated answer",
    "qem": "quasi-exact match of the generated answer",
    "pem": "prefix exact match of the generated answer",
    "extractive_match": "match of the answer extracted from the generation",
}
# Settings that change scores: runs that differ in one are not comparable.
RUN_SETTINGS = ["use_chat_template", "override_chat_template", "max_samples", "num_fewshot_seeds"]


def results_file(folder):
    """The newest results_*.json anywhere under folder (LightEval nests it under the model's name)."""
    files = glob.glob(os.path.join(folder, "**", "results_*.json"), recursive=True)
    if not files:
        raise SystemExit(f"No LightEval results under {folder}: run the evaluation first.")
    return max(files, key=lambda p: (os.path.getmtime(p), p))


def load_results(folder):
    path = results_file(folder)
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise SystemExit(f"{path} has no 'results' object: is it a LightEval results file?")
    return path, data


def parse_key(key):
    """(suite, task, fewshot) from a result key of any LightEval release; None for keys that are not a task."""
    parts = key.split("|")
    if len(parts) == 3 and parts[2].isdigit():
        return parts[0], parts[1], int(parts[2])
    if len(parts) == 2 and parts[1].isdigit():
        # 0.13+ dropped the suite from keys; every built-in task there lives in the "lighteval" suite.
        return "lighteval", parts[0], int(parts[1])
    if len(parts) == 4 and parts[2].isdigit():
        # a task string with its truncate flag (suite|task|fewshot|truncate), as 0.8-0.10 took them on the command line
        return parts[0], parts[1], int(parts[2])
    return None


def headline_metric(metrics):
    """(name, value) of the score to show: a preferred metric, else the first number that is not a stderr."""
    numbers = {
        name: float(value)
        for name, value in metrics.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not name.endswith("_stderr")
    }
    for name in PREFERRED_METRICS:
        if name in numbers:
            return name, numbers[name]
    for name, value in numbers.items():
        return name, value
    return None, None


def task_scores(results):
    """{(benchmark, variant, fewshot, metric): score}. Subtasks (mmlu:anatomy …) fold into their benchmark:
    LightEval's own ":_average" row when it wrote one, else the mean of the subtasks (what it averages too)."""
    averaged, subtasks, plain = {}, {}, {}
    for key, metrics in results.items():
        parsed = parse_key(key)
        if parsed is None or not isinstance(metrics, dict):
            continue
        suite, task, fewshot = parsed
        metric, value = headline_metric(metrics)
        if metric is None:
            continue
        benchmark, _, sub = task.partition(":")
        row = (benchmark, suite, fewshot, metric)
        if sub == "_average":
            averaged[row] = value
        elif sub:
            subtasks.setdefault(row, []).append(value)
        else:
            plain[row] = value
    scores = dict(plain)
    for row, values in subtasks.items():
        scores[row] = averaged.get(row, sum(values) / len(values))
    for row, value in averaged.items():
        scores.setdefault(row, value)
    return {row: (None if isinstance(v, float) and math.isnan(v) else v) for row, v in scores.items()}


def run_settings(data):
    """The settings of one run that change scores, from config_general (and its model_config since 0.11)."""
    general = data.get("config_general") or {}
    model_config = general.get("model_config") if isinstance(general.get("model_config"), dict) else {}
    found = {}
    for name in RUN_SETTINGS:
        if name in model_config:
            found[name] = model_config[name]
        elif name in general:
            found[name] = general[name]
    return found


def not_comparable_reasons(base_data, trained_data):
    reasons = []
    base, trained = run_settings(base_data), run_settings(trained_data)
    for name in RUN_SETTINGS:
        if name in base or name in trained:
            if base.get(name) != trained.get(name):
                reasons.append(f"{name} was {base.get(name)!r} for the base and {trained.get(name)!r} for the trained model")
    for label, settings in (("base", base), ("trained", trained)):
        if "override_chat_template" in settings and settings["override_chat_template"] is None:
            reasons.append(f"the {label} run detected the chat template from its tokenizer (override_chat_template unset)")
    return reasons


def label(row):
    benchmark, variant, fewshot, metric = row
    return f"{benchmark} ({variant}, {fewshot}-shot, {metric})"


def compare(base_data, trained_data):
    base = task_scores(base_data["results"])
    trained = task_scores(trained_data["results"])
    reasons = not_comparable_reasons(base_data, trained_data)
    rows = []
    for row in sorted(set(base) | set(trained)):
        benchmark, variant, fewshot, metric = row
        b, t = base.get(row), trained.get(row)
        notes = list(reasons)
        if (b is None) != (t is None):
            notes.append(f"only the {'base' if t is None else 'trained'} model was scored this way")
        rows.append({
            "task": label(row),
            "base": b,
            "trained": t,
            "benchmark": benchmark,
            "variant": variant,
            "fewshot": fewshot,
            "metric": metric,
            "metric_meaning": METRIC_MEANING.get(metric, metric),
            "comparable": not notes,
            "note": "; ".join(notes),
        })
    return rows, reasons


def main():
    base_path, base_data = load_results(BASE_RESULTS)
    trained_path, trained_data = load_results(TRAINED_RESULTS)
    rows, reasons = compare(base_data, trained_data)
    if not rows:
        raise SystemExit(f"No task scores in {base_path} or {trained_path}: the result keys are not ones LightEval writes.")
    width = max(len(r["task"]) for r in rows) + 2
    fmt = lambda v: f"{v:8.4f}" if v is not None else f"{'-':>8}"
    print(f"{'task':<{width}} {'base':>8} {'trained':>8} {'delta':>8}")
    for row in rows:
        b, t = row["base"], row["trained"]
        delta = fmt(t - b) if b is not None and t is not None else fmt(None)
        print(f"{row['task']:<{width}} {fmt(b)} {fmt(t)} {delta}{'' if row['comparable'] else '  (not comparable)'}")
    for row in rows:
        print(f"  {row['task']}: {row['metric_meaning']}")
    if reasons:
        print("NOT COMPARABLE: the two runs were evaluated differently: " + "; ".join(reasons), file=sys.stderr)
    os.makedirs(os.path.dirname(COMPARISON_FILE) or ".", exist_ok=True)
    with open(COMPARISON_FILE, "w", encoding="utf-8") as f:
        json.dump(rows, f, indent=2)
    print("Written", COMPARISON_FILE)


if __name__ == "__main__":
    main()
`;
