#!/usr/bin/env bash
# On a lent GPU machine: run every case cases.mjs rendered, as a user would (python train.py in
# the case folder), with the machine's own torch/transformers/peft/accelerate and, for what it
# lacks, the packages you put in .gpu-e2e/vendor (see site.sh). Results (logs, exit codes, trainer_state.json, what was
# saved) go under $OUT, and all of it into $OUT/results.tgz.
# Usage (repository root): OUT=/some/dir [VALIDATE=0] [CASE_TIMEOUT=300] bash scripts/gpu-check/trl-e2e/device.sh
set -u
OUT=${OUT:?set OUT to a folder for the results}
PY=${PYTHON:-python3}
ROOT=$(pwd)
HERE=$ROOT/scripts/gpu-check/trl-e2e
CASES=/tmp/mli-cases
rm -rf "$CASES" && mkdir -p "$OUT/cases" "$OUT/validate"
cp -r "$ROOT/.gpu-e2e/cases" "$CASES"
step() { echo "== $(date +%T) $*" >&2; }

step packages
source "$HERE/site.sh"
{ nvidia-smi -L; "$PY" --version; "$PY" -c "
import importlib.metadata as m
for p in ['torch','transformers','trl','peft','datasets','accelerate','pyarrow','pandas','dill','multiprocess','fsspec','xxhash','tokenizers','huggingface_hub','jinja2']:
    try: print(p, m.version(p))
    except Exception as e: print(p, 'MISSING', type(e).__name__)
"; "$PY" -c "import trl, datasets; print('import trl', trl.__version__, 'datasets', datasets.__version__)"; } >> "$OUT/packages.txt" 2>&1

step tiny models
"$PY" "$HERE/tiny_model.py" "$CASES" /tmp/mli-tiny > "$OUT/tiny-model.txt" 2>&1 || { echo "tiny models failed"; tail -30 "$OUT/tiny-model.txt"; exit 1; }

step env report
timeout 120 "$PY" python/env_report.py > "$OUT/env_report.json" 2> "$OUT/env_report.err"

step load checks
timeout 120 "$PY" "$HERE/load_checks.py" "$ROOT/test/fixtures/datasets" > "$OUT/load-checks.jsonl" 2> "$OUT/load-checks.err"

step validate
[ "${VALIDATE:-1}" = 1 ] && for d in "$CASES"/*/; do
  n=$(basename "$d")
  for f in "$d"*.py; do timeout 120 "$PY" python/validate_script.py "$f" --json > "$OUT/validate/$n-$(basename "$f" .py).json" 2>&1; done
done

run_case() {  # name script [args…]: run it in its folder, keep its console output byte for byte
  local n=$1; shift
  (cd "$CASES/$n" && timeout "${CASE_TIMEOUT:-300}" "$PY" "$@") > "$OUT/cases/$n.log" 2>&1
  echo $? > "$OUT/cases/$n.exit"
  # What the run left: file names and sizes, and the Trainer's own record of what it logged.
  (cd "$CASES/$n" && find . -path ./data -prune -o -type f -printf '%s %p\n' | sort -k2) > "$OUT/cases/$n.files"
  local state; state=$(ls -d "$CASES/$n"/outputs/*/checkpoint-*/trainer_state.json 2>/dev/null | sort -V | tail -1)
  [ -n "$state" ] && cp "$state" "$OUT/cases/$n.trainer_state.json"
}

step training cases in parallel
for d in "$CASES"/*/; do
  n=$(basename "$d")
  grep -q '"after": null' "$d/commands.json" && run_case "$n" train.py &
done
wait
for f in "$OUT"/cases/*.exit; do n=$(basename "$f" .exit); echo "$n: exit $(cat "$f")"; [ "$(cat "$f")" = 0 ] || tail -15 "$OUT/cases/$n.log"; done

step eval-merge
if [ -d "$CASES/eval-merge" ]; then
run_case eval-merge merge_adapter.py
cat > /tmp/mli-generate.py <<'PY'
import sys, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
path = sys.argv[1]
tok = AutoTokenizer.from_pretrained(path)
model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16, device_map="cuda")
ids = tok("I have had a dry cough", return_tensors="pt").to("cuda")
out = model.generate(**ids, max_new_tokens=8, do_sample=False)
print("generated", out.shape[1] - ids["input_ids"].shape[1], "tokens from", path)
PY
(cd "$CASES/eval-merge" && timeout 120 "$PY" /tmp/mli-generate.py ../sft-lora-custom-qa/outputs/llama-sft-merged) > "$OUT/cases/eval-merge-generate.log" 2>&1
echo "eval-merge: exit $(cat "$OUT/cases/eval-merge.exit"), generate: $(tail -1 "$OUT/cases/eval-merge-generate.log")"
fi
step done
# The device tool brings back a limited number of files: everything also goes into one archive.
tar -czf /tmp/mli-results.tgz -C "$OUT" . && mv /tmp/mli-results.tgz "$OUT/results.tgz"
