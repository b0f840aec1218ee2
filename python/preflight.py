#!/usr/bin/env python3
"""Show what a generated train.py will train on, before any GPU time (PreflightReport in src/core/preflight/types.ts).

Usage: python3 preflight.py <recipe folder | train.py> [--rows N] [--sample N] [--base-dir DIR] [--trl-version V]
       python3 preflight.py - --base-dir DIR ...      (the script text on stdin: a spec rendered in memory)

The script's own row mapping is applied (its CONFIG, constants, plain functions and stdlib imports are
executed; main(), torch, trl and datasets never are), the base model's tokenizer renders N rows exactly
as trl builds the examples for the installed trl version (preflight_rules.py names the rule used),
the chat template is checked (preflight_checks.py), and the lengths of up to --sample rows are
counted against MAX_LENGTH. Standard library at import; transformers is imported lazily.
"""
import ast
import contextlib
import io
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from preflight_rules import PreflightError, build_examples, rule_for, swap_training_template, version_tuple  # noqa: E402
from preflight_checks import length_report, template_checks  # noqa: E402

STDLIB_IMPORTS = {"json", "os", "re", "hashlib", "time"}
CONFIG_CLASSES = {"SFTConfig": "sft", "DPOConfig": "dpo", "ORPOConfig": "orpo", "KTOConfig": "kto"}
DEFAULT_ROWS = 3
DEFAULT_SAMPLE = 2000
USAGE = "usage: preflight.py <recipe folder | train.py | -> [--rows N] [--sample N] [--base-dir DIR] [--trl-version V]"


class Script(object):
    """What preflight needs from a generated train.py, read without running it."""

    def __init__(self, text, name):
        try:
            tree = ast.parse(text, name)
        except SyntaxError as e:
            raise PreflightError("%s does not parse (line %s: %s): fix the script first." % (name, e.lineno, e.msg))
        keep = [n for n in tree.body
                if isinstance(n, ast.Assign) or (isinstance(n, ast.FunctionDef) and n.name != "main")
                or (isinstance(n, ast.Import) and all(a.name in STDLIB_IMPORTS for a in n.names))]
        self.namespace = {"__name__": "ml_intern_preflight"}
        try:
            exec(compile(ast.Module(body=keep, type_ignores=[]), name, "exec"), self.namespace)
        except Exception as e:  # noqa: BLE001 - the user's CONFIG block may hold anything
            raise PreflightError("%s: its CONFIG block or helper functions fail to load (%s: %s)." % (name, type(e).__name__, e))
        main = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main"), None)
        if main is None:
            raise PreflightError("%s has no main(): preflight reads generated ML Intern training scripts." % name)
        self.name = name
        self.mapping = None
        self.mapping_source = None
        self.json_field = None
        self.method = None
        self.config = {}
        self.fallback_template = None
        self.mapping_node = None
        self.deferred_config = []
        # main()'s statements that set the tokenizer up and choose the mapping from it: a distinct pad on
        # trl < 0.17, the assistant turns vs the last answer on newer trl.
        self.runtime_choice = [n for n in main.body if any(
            (isinstance(x, ast.Name) and isinstance(x.ctx, ast.Store) and x.id in ("assistant_only", "map_fn"))
            or (isinstance(x, ast.Call) and getattr(x.func, "id", None) == "distinct_pad_token") for x in ast.walk(n))]
        for node in ast.walk(main):
            self._read(node, text)
        if self.mapping is None and self.mapping_node is None:
            raise PreflightError("%s: no train_dataset.map(...) in main(), so the rows cannot be built as the script builds them." % name)
        if self.method is None:
            raise PreflightError("%s: no SFTConfig/DPOConfig/ORPOConfig/KTOConfig(...) call in main()." % name)
        header = ast.get_docstring(tree) or ""
        found = re.search(r"for trl ([0-9][0-9A-Za-z.+-]*)", header)
        self.target_trl = found.group(1).rstrip(".,") if found else None

    def _eval(self, node):
        return eval(compile(ast.Expression(node), self.name, "eval"), self.namespace)

    def _read(self, node, text):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "map" \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "train_dataset" and self.mapping is None:
            self.mapping_source = ast.get_source_segment(text, node.args[0])
            try:
                self.mapping = self._eval(node.args[0])
            except NameError:  # chosen in main() once the tokenizer is loaded: see choose_with()
                self.mapping_node = node.args[0]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "load_dataset":
            for kw in node.keywords:
                if kw.arg == "field":
                    self.json_field = self._eval(kw.value)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in CONFIG_CLASSES:
            self.method = CONFIG_CLASSES[node.func.id]
            for kw in node.keywords:
                try:
                    self.config[kw.arg] = self._eval(kw.value)
                except Exception:  # noqa: BLE001 - values computed at run time (eval_dataset...) are not needed
                    self.deferred_config.append((kw.arg, kw.value))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Attribute) \
                and node.targets[0].attr == "chat_template" and getattr(node.targets[0].value, "id", None) == "tokenizer":
            self.fallback_template = self._eval(node.value)

    def choose_with(self, tokenizer):
        """Run main()'s own run-time choice of the mapping (and of assistant_only_loss) with this tokenizer."""
        self.namespace["tokenizer"] = tokenizer
        if self.runtime_choice:
            with contextlib.redirect_stdout(io.StringIO()):  # its prints would end up in the JSON report
                exec(compile(ast.Module(body=self.runtime_choice, type_ignores=[]), self.name, "exec"), self.namespace)
        if self.mapping is None:
            self.mapping = self._eval(self.mapping_node)
        for name, node in self.deferred_config:
            try:
                self.config[name] = self._eval(node)
            except Exception:  # noqa: BLE001 - values computed at run time (eval_dataset...) are not needed
                continue

    def value(self, name, default=None):
        return self.namespace.get(name, default)


def parse_args(argv):
    opts = {"target": None, "rows": DEFAULT_ROWS, "sample": DEFAULT_SAMPLE, "base_dir": None, "trl_version": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if "=" in a and a.startswith("--"):
            argv = argv[:i] + a.split("=", 1) + argv[i + 1:]
            a = argv[i]
        if a in ("--rows", "--sample", "--base-dir", "--trl-version"):
            if i + 1 >= len(argv):
                raise PreflightError("%s needs a value; %s" % (a, USAGE))
            key = a[2:].replace("-", "_")
            val = argv[i + 1]
            if key in ("rows", "sample"):
                if not re.match(r"^\d+$", val) or int(val) < 1:
                    raise PreflightError("%s must be a whole number of at least 1, got '%s'" % (a, val))
                val = int(val)
            opts[key] = val
            i += 2
            continue
        if a.startswith("--"):
            raise PreflightError("unknown option '%s'; %s" % (a, USAGE))
        if opts["target"] is not None:
            raise PreflightError("give one recipe folder or train.py; %s" % USAGE)
        opts["target"] = a
        i += 1
    if opts["target"] is None:
        raise PreflightError(USAGE)
    opts["rows"] = min(opts["rows"], 20)
    return opts


def read_script(target, base_dir):
    if target == "-":
        return sys.stdin.read(), "train.py", base_dir or os.getcwd()
    path = os.path.expanduser(target)
    if os.path.isdir(path):
        path = os.path.join(path, "train.py")
    if not os.path.isfile(path):
        raise PreflightError("No training script at '%s': give a recipe folder holding train.py (written by ml-intern recipe) or the train.py itself." % target)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # The script runs from its own folder: its relative DATASET and MODEL_ID start there.
    return text, path, base_dir or os.path.dirname(os.path.abspath(path))


def installed_version(dist):
    try:
        from importlib import metadata
        return metadata.version(dist)
    except Exception:  # noqa: BLE001 - absent or broken dist-info: no version
        return None


def load_tokenizer(model_id, base_dir):
    try:
        from transformers import AutoTokenizer  # noqa: lazy heavy import
    except ImportError:
        raise PreflightError("Previewing tokens needs the 'transformers' package (the tokenizer and chat template of the base "
                             "model): install it in %s (pip install transformers), or run the preview where training runs." % sys.executable)
    local = os.path.join(base_dir, model_id) if model_id and not os.path.isabs(model_id) else model_id
    name = local if local and os.path.isdir(local) else model_id
    try:
        return AutoTokenizer.from_pretrained(name)
    except Exception as e:  # noqa: BLE001 - offline, gated, misspelled: all reported the same way
        raise PreflightError("Could not load the tokenizer of MODEL_ID '%s' (%s: %s). Check the id, your network or HF_TOKEN "
                             "for gated models, or point MODEL_ID at a local folder." % (model_id, type(e).__name__, str(e)[:300]))


def data_rows(script, base_dir, limit):
    """Up to `limit` raw rows of the script's DATASET, read as load_dataset reads them."""
    from inspect_data import InspectError, Source, open_rows
    dataset = script.value("DATASET")
    if not dataset:
        raise PreflightError("DATASET is empty in the CONFIG block: set it to a data file or a Hub dataset id.")
    local = os.path.join(base_dir, dataset) if not os.path.isabs(os.path.expanduser(dataset)) else os.path.expanduser(dataset)
    path = local if os.path.exists(local) else dataset
    src = Source()
    try:
        rows = open_rows(path, src)
    except InspectError as e:
        raise PreflightError(str(e))
    out = []
    if rows is not None:
        # Readers yield (line, row, ...); a wrapped JSON document ({"data": [...]}) yields its rows, as field= does.
        for item in rows:
            out.append(item[1])
            if len(out) >= limit:
                break
    if not out:
        raise PreflightError("DATASET '%s' gave no rows%s." % (dataset, (": " + "; ".join(src.problems)) if src.problems else ""))
    return out, src.total_rows


def preflight(opts):
    text, script_path, base_dir = read_script(opts["target"], opts["base_dir"])
    script = Script(text, script_path)
    trl = opts["trl_version"] or installed_version("trl")
    trl_source = "given" if opts["trl_version"] else "installed" if trl else "the script's target"
    trl = trl or script.target_trl
    if not trl:
        raise PreflightError("No trl version: trl is not installed here and the script names none; pass --trl-version.")
    tokenizer = load_tokenizer(script.value("MODEL_ID"), base_dir)
    original_template = getattr(tokenizer, "chat_template", None)
    # main() does this before mapping; the preview must see the same tokenizer.
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if original_template is None and script.fallback_template is not None:
        tokenizer.chat_template = script.fallback_template
    script.choose_with(tokenizer)
    rule = rule_for(script.method, script.config, trl)
    swap_training_template(tokenizer, rule)
    if rule.pad_masks_labels and script.value("ASSISTANT_ONLY_LOSS") and script.value("chat_template_headers"):
        # train.py passes DataCollatorForCompletionOnlyLM built from these headers on trl < 0.17.
        with contextlib.redirect_stdout(io.StringIO()):
            response, instruction = script.value("chat_template_headers")(tokenizer)
        if response:
            rule.completion_collator = (list(response[1]), list(instruction[1]) if instruction else None)
    rows, total_rows = data_rows(script, base_dir, opts["sample"])
    mapped = []
    for index, row in enumerate(rows):
        try:
            mapped.append(script.mapping(row))
        except Exception as e:  # noqa: BLE001 - the mapping is the user's reviewed code
            raise PreflightError("Row %d fails the script's mapping %s (%s: %s): fix the row or the column mapping."
                                 % (index + 1, script.mapping_source, type(e).__name__, e))
    if mapped:
        rule.see(mapped[0])
    max_length = script.config.get("max_length", script.config.get("max_seq_length", script.value("MAX_LENGTH")))
    examples = [build_examples(tokenizer, rule, m, max_length) for m in mapped]
    report = {
        "script": os.path.basename(script_path),
        "model": script.value("MODEL_ID"),
        "dataset": script.value("DATASET"),
        "method": script.method,
        "trl": {"version": trl, "source": trl_source},
        "transformers": installed_version("transformers"),
        "rule": rule.describe(),
        "max_length": max_length,
        "rows": [preview_row(tokenizer, i, ex) for i, ex in enumerate(examples[:opts["rows"]])],
        "checks": template_checks(tokenizer, rule, mapped, examples, original_template, script.fallback_template is not None),
        "lengths": length_report(examples, max_length, rule, len(rows), total_rows, opts["sample"]),
    }
    return report


def preview_row(tokenizer, index, example):
    special = set(getattr(tokenizer, "all_special_ids", []) or [])
    sequences = []
    for seq in example["sequences"]:
        tokens = [{"text": tokenizer.decode([tid]), "trained": bool(t), "special": tid in special}
                  for tid, t in zip(seq["input_ids"], seq["trained"])]
        sequences.append({"name": seq["name"], "tokens": tokens, "count": len(tokens),
                          "trained": sum(1 for t in tokens if t["trained"]),
                          "length_before_truncation": seq["full_length"]})
    return {"index": index, "sequences": sequences, "dropped": example["dropped"]}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        result = preflight(parse_args(argv))
    except PreflightError as e:
        print(json.dumps({"error": str(e)}, ensure_ascii=False))
        return 1
    except (OSError, MemoryError) as e:
        print(json.dumps({"error": "Could not read the recipe or its data: %s" % e}, ensure_ascii=False))
        return 1
    except Exception as e:  # noqa: BLE001 - last resort: still JSON, never a traceback
        print(json.dumps({"error": "Unexpected %s during preflight: %s" % (type(e).__name__, e)}, ensure_ascii=False))
        return 1
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
