#!/usr/bin/env bash
# GPU checks of ML Intern's Python side on a real GPU machine (no network needed); results under $OUT.
# Usage (from the repository root): OUT=/some/dir bash scripts/gpu-check/run.sh [scripts-to-validate…]
set -u
OUT=${OUT:?set OUT to a folder for the results}
PY=${PYTHON:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT/validate"
step() { echo "== $*" >&2; }

step machine
{ nvidia-smi; "$PY" --version; "$PY" -m pip list 2>/dev/null | grep -iE "^(torch|transformers|peft|trl|datasets|accelerate|bitsandbytes|flash.attn|deepspeed|lighteval|mergekit|pyarrow|huggingface.hub|tqdm) "; } > "$OUT/machine.txt" 2>&1
command -v node >> "$OUT/machine.txt" 2>&1

step env_report
timeout 120 "$PY" python/env_report.py > "$OUT/env_report.json" 2> "$OUT/env_report.err"

step trainer log
(cd "$HERE" && timeout 240 "$PY" trainer_log.py "$OUT/trainer-log-history.json") > "$OUT/trainer-log.txt" 2>&1
echo "exit $?" >> "$OUT/trainer-log.exit"

step oom
(cd "$HERE" && timeout 180 "$PY" trainer_log.py "$OUT/oom-history.json" --oom) > "$OUT/oom-log.txt" 2>&1
echo "exit $?" >> "$OUT/oom-log.exit"

step memory
for cfg in "llama-3.2-1b lora 1 4 1024" "llama-3.2-1b lora 0 4 1024" "llama-3.2-1b full 1 4 1024" "llama-3.2-1b full 0 4 1024" \
           "llama-3.1-8b lora 1 4 1024" "llama-3.1-8b lora 0 4 1024" "llama-3.1-8b lora 1 8 2048"; do
  (cd "$HERE" && timeout 150 "$PY" measure_memory.py $cfg) >> "$OUT/memory.jsonl" 2>> "$OUT/memory.err" || echo "{\"failed\": \"$cfg\"}" >> "$OUT/memory.jsonl"
done
step failures
mkdir -p "$OUT/failures"
for c in renamed_kwarg lora_typo flash_attn_missing offline_hub missing_pad_token missing_chat_template missing_module nan_loss; do
  (cd "$HERE" && timeout 90 "$PY" failures.py $c) > "$OUT/failures/$c.log" 2>&1
done

step validate
for f in "$@"; do
  timeout 120 "$PY" python/validate_script.py "$f" --json > "$OUT/validate/$(basename "$f" .py).json" 2>&1
done

step done
