#!/usr/bin/env bash
# On a lent GPU machine: the product's own fine-tune path, end to end — `ml-intern fine-tune`
# (dist/cli.js) inspects real rows, reads the machine, writes the recipe, runs it, follows the log
# and reports — for an SFT and a DPO run on a tiny Llama. Node is carried as .gpu-e2e/node/node.gz
# (gzip -9 of this machine's node; the GPU machines have none). Results in $OUT/results.tgz.
# Usage (repository root, after npm run build, with .gpu-e2e/vendor filled as site.sh says): OUT=/some/dir bash scripts/gpu-check/trl-e2e/cli-fine-tune.sh
set -u
OUT=${OUT:?set OUT to a folder for the results}
PY=${PYTHON:-python3}
ROOT=$(pwd)
HERE=$ROOT/scripts/gpu-check/trl-e2e
WS=/tmp/mli-cli-ws
R=/tmp/mli-cli-results
rm -rf "$WS" "$R" && mkdir -p "$WS/sft/data" "$WS/dpo/data" "$R" "$OUT"
step() { echo "== $(date +%T) $*" >&2; }

step node
gzip -dc "$ROOT/.gpu-e2e/node/node.gz" > /tmp/mli-node && chmod +x /tmp/mli-node && /tmp/mli-node --version > "$R/node.txt" 2>&1 || { cat "$R/node.txt"; exit 1; }

step packages
OUT=$R source "$HERE/site.sh"

step data and tiny models
repeat() { for _ in $(seq "$2"); do cat "$1"; done; }
repeat "$ROOT/examples/medical-qa/data/medical_qa.jsonl" 8 > "$WS/sft/data/train.jsonl"
repeat "$ROOT/test/fixtures/datasets/hh_rlhf.jsonl" 40 > "$WS/dpo/data/train.jsonl"
[ -n "${SKIP_TINY:-}" ] || "$PY" "$HERE/tiny_model.py" "$WS" /tmp/mli-tiny > "$R/tiny-model.txt" 2>&1 || { tail -20 "$R/tiny-model.txt"; exit 1; }

step fine-tune sft and dpo in parallel
for m in sft dpo; do
  (cd "$WS/$m" && timeout "${RUN_TIMEOUT:-240}" /tmp/mli-node "$ROOT/dist/cli.js" fine-tune --model "${MODEL:-/tmp/mli-tiny/llama-chat}" \
     --data data/train.jsonl --approve=all --python "$PY" --max-length 512 > "$R/$m.out" 2>&1; echo $? > "$R/$m.exit") &
done
wait
for m in sft dpo; do
  echo "$m: exit $(cat "$R/$m.exit")"; tail -4 "$R/$m.out"
  # The run folder as the product left it (spec, status, transcript, scripts, logs, metrics), and the scripts it wrote.
  (cd "$WS/$m" && tar -czf "$R/$m-workspace.tgz" --exclude='outputs' --exclude='data' .)
done
step done
tar -czf "$OUT/results.tgz" -C "$R" .
