"""What datasets' own loader does with the inspection's problem files (one line of JSON per case).

    python load_checks.py <datasets-fixtures-dir>
"""
import json
import os
import sys


def attempt(name, path, **kwargs):
    from datasets import load_dataset

    try:
        ds = load_dataset("json" if not path.endswith(".csv") else "csv", data_files=path, split="train", **kwargs)
        result = {"rows": len(ds), "columns": ds.column_names, "first": json.dumps(ds[0], ensure_ascii=False)[:200]}
    except Exception as e:  # noqa: BLE001 - the point is to record it
        result = {"error": type(e).__name__, "message": str(e)[:400], "cause": repr(e.__cause__ or e.__context__)[:300]}
    print(json.dumps({"case": name, **result}, ensure_ascii=False), flush=True)


def main(fixtures):
    f = lambda n: os.path.join(fixtures, n)  # noqa: E731
    attempt("half_written.jsonl", f("half_written.jsonl"))
    attempt("invalid_utf8.jsonl", f("invalid_utf8.jsonl"))
    attempt("invalid_json_line.jsonl", f("invalid_json_line.jsonl"))
    attempt("wrapped.json without field", f("wrapped.json"))
    attempt("wrapped.json field=data", f("wrapped.json"), field="data")
    attempt("alpaca.json (array)", f("alpaca.json"))
    attempt("qa.csv", f("qa.csv"))
    attempt("heterogeneous_keys.jsonl", f("heterogeneous_keys.jsonl"))


if __name__ == "__main__":
    main(sys.argv[1])
