#!/usr/bin/env python3
"""
Before GPU time: run every reward of a GRPO recipe's rewards.py on a few dataset rows with sample
completions (the reference itself, a wrong answer, a malformed one) and report the scores as JSON.
A reward that scores the wrong answer as high as the reference cannot tell right from wrong.
Standard library only (datasets is used for a Hub dataset when installed). Usage:
    reward_test.py <recipe dir> [--rows N]
"""
import ast
import csv
import importlib.util
import json
import os
import re
import sys
import traceback

CONFIG_NAMES = ("DATASET", "DATASET_SPLIT", "PROMPT_COLUMN", "ANSWER_COLUMN")


def read_config(train_py):
    """The literal CONFIG assignments of train.py (never executed: it imports torch)."""
    with open(train_py, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=train_py)
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and node.targets[0].id in CONFIG_NAMES:
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return values


def read_rows(dataset, split, recipe_dir, limit):
    """The first rows of a local JSON Lines / JSON / CSV file, or of a Hub dataset through datasets."""
    local = next((p for p in (dataset, os.path.join(recipe_dir, dataset)) if os.path.isfile(p)), None)
    if local:
        if local.endswith(".csv"):
            with open(local, encoding="utf-8", newline="") as f:
                return [row for _, row in zip(range(limit), csv.DictReader(f))]
        with open(local, encoding="utf-8") as f:
            if local.endswith(".jsonl"):
                rows = []
                for line in f:
                    if line.strip():
                        rows.append(json.loads(line))
                    if len(rows) >= limit:
                        break
                return rows
            data = json.load(f)
            if isinstance(data, dict):
                data = next((v for v in data.values() if isinstance(v, list)), [])
            return data[:limit]
    if importlib.util.find_spec("datasets") is None:
        raise SystemExit(f"DATASET {dataset!r} is not a file here and the datasets package is not installed: pip install datasets, or point DATASET at a local file.")
    from datasets import load_dataset

    stream = load_dataset(dataset, split=split or "train", streaming=True)
    return [row for _, row in zip(range(limit), stream)]


def wrong_answer(reference):
    """A plausible wrong answer in the reference's own shape: the final number + 1, the next letter, or other text."""
    text = str(reference)
    numbers = list(re.finditer(r"-?\d[\d,]*(?:\.\d+)?", text))
    if numbers:
        last = numbers[-1]
        value = float(last.group(0).replace(",", "")) + 1
        shown = str(int(value)) if value.is_integer() else str(value)
        return text[: last.start()] + shown + text[last.end():]
    if re.fullmatch(r"\s*\(?[A-Ja-j]\)?\s*", text):
        letter = text.strip().strip("()").upper()
        return "ABCDEFGHIJ"[("ABCDEFGHIJ".index(letter) + 1) % 10]
    return "I do not know."


def looks_like_tests(value):
    """Code tests as the reference: MBPP's list of asserts, or test code (asserts, HumanEval's def check)."""
    if isinstance(value, (list, tuple)):
        return any(isinstance(t, str) and "assert" in t for t in value)
    return isinstance(value, str) and "assert" in value and ("def check(" in value or value.lstrip().startswith("assert"))


def code_solution(row, prompt_column):
    """The row's own solution as a completion, and the column it came from: HumanEval's prompt (the signature)
    followed by canonical_solution (the body), MBPP's code; (None, None) when the data has none."""
    body = row.get("canonical_solution")
    if isinstance(body, str) and body.strip():
        prompt = row.get(prompt_column) if prompt_column else row.get("prompt")
        return (prompt if isinstance(prompt, str) else "") + body, "canonical_solution"
    for name in ("code", "solution"):
        if isinstance(row.get(name), str) and row[name].strip():
            return row[name], name
    return None, None


def wrong_code(solution):
    """The solution's imports and functions, each returning None: the code runs and defines the names, the tests fail."""
    lines = solution.splitlines()
    imports = [line for line in lines if re.match(r"(import|from)\s+\w", line)]
    defs = [line.rstrip() + "\n    return None" for line in lines if re.match(r"def\s+\w+\s*\(.*:\s*(#.*)?$", line)]
    return "\n".join(imports + defs) if defs else "I do not know."


def as_completion(text):
    """train.py gives trl conversational prompts, so trl passes completions as message lists."""
    return [{"role": "assistant", "content": text}]


def main():
    args = sys.argv[1:]
    rows_limit = 3
    if "--rows" in args:
        i = args.index("--rows")
        rows_limit = int(args[i + 1])
        del args[i : i + 2]
    if len(args) != 1:
        raise SystemExit("usage: reward_test.py <recipe dir> [--rows N]")
    recipe_dir = args[0]
    train_py = os.path.join(recipe_dir, "train.py")
    rewards_py = os.path.join(recipe_dir, "rewards.py")
    for path in (train_py, rewards_py):
        if not os.path.isfile(path):
            raise SystemExit(f"{path} not found: reward-test needs a GRPO recipe folder (train.py and rewards.py).")
    config = read_config(train_py)
    answer_column = config.get("ANSWER_COLUMN")
    prompt_column = config.get("PROMPT_COLUMN")
    rows = read_rows(config.get("DATASET", ""), config.get("DATASET_SPLIT"), recipe_dir, rows_limit)
    if not rows:
        raise SystemExit(f"DATASET {config.get('DATASET')!r} has no rows to test with.")

    spec = importlib.util.spec_from_file_location("rewards", rewards_py)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    funcs = list(getattr(module, "REWARD_FUNCS", []))
    weights = list(getattr(module, "REWARD_WEIGHTS", [1.0] * len(funcs)))

    report = {"rows": len(rows), "answerColumn": answer_column, "rewards": [], "notes": []}
    # Code with tests: the right completion is the row's solution (the tests are no answer a model would write).
    code_rows = [i for i, row in enumerate(rows) if answer_column and looks_like_tests(row.get(answer_column))]
    solutions = {i: code_solution(rows[i], prompt_column) for i in code_rows}
    sources = sorted({column for _, column in solutions.values() if column})
    if sources:
        report["notes"].append("code with tests: the reference completion is the row's solution (%s), the wrong one its "
                               "functions returning None" % ", ".join(sources))
    if any(column is None for _, column in solutions.values()):
        report["notes"].append("code with tests but no solution column (code, canonical_solution): the reference completion is the "
                               "tests themselves, so a code reward cannot be checked on a right answer here")
    for func, weight in zip(funcs, weights):
        entry = {"name": getattr(func, "__name__", repr(func)), "weight": weight, "scores": [], "errors": []}
        for index, row in enumerate(rows):
            reference = row.get(answer_column) if answer_column else None
            samples = {
                "reference": "" if reference is None else str(reference),
                "wrong": wrong_answer(reference) if reference is not None else "I do not know.",
                "malformed": "<think>unfinished \\boxed{",
            }
            solution = solutions.get(index, (None, None))[0]
            if solution is not None:
                samples.update(reference=solution, wrong=wrong_code(solution))
            completions = [as_completion(t) for t in samples.values()]
            kwargs = {key: [value] * len(completions) for key, value in row.items() if key != "prompt"}
            prompt = row.get(prompt_column) if prompt_column else None
            try:
                scores = func(completions=completions, prompts=[prompt] * len(completions), **kwargs)
                entry["scores"].append({"row": index, **{k: (None if s is None else float(s)) for k, s in zip(samples, scores)}})
            except Exception as e:  # noqa: BLE001 - report the reward's failure, keep testing the others
                entry["errors"].append({"row": index, "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc(limit=3)})
        scored = entry["scores"]
        entry["distinguishes"] = bool(scored) and all((s["reference"] or 0) > (s["wrong"] or 0) for s in scored)
        report["rewards"].append(entry)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
