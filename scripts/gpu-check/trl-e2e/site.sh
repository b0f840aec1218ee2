# Sourced by device.sh and cli-fine-tune.sh: put on PYTHONPATH ($SITE) the packages this machine
# cannot import itself, from .gpu-e2e/vendor — a folder YOU fill where PyPI is reachable, e.g.
# `pip install --target .gpu-e2e/vendor --no-deps trl==1.9.0 datasets==5.0.1 dill multiprocess fsspec`
# (the repository ships no copies of other projects) — and keep the runs offline.
# Needs PY, ROOT, OUT; appends to $OUT/packages.txt.
VENDOR=$ROOT/.gpu-e2e/vendor
SITE=/tmp/mli-site
rm -rf "$SITE" && mkdir -p "$SITE"
# Leaf packages first, so that the datasets check sees them.
for pair in dill:dill multiprocess:multiprocess fsspec:fsspec xxhash:xxhash-shim datasets:datasets trl:trl; do
  mod=${pair%%:*} dir=${pair#*:}
  if PYTHONPATH=$SITE "$PY" -c "import $mod" 2>/dev/null; then
    echo "$mod: the machine's own" >> "$OUT/packages.txt"
  else
    cp -r "$VENDOR/$dir" "$SITE/" 2>/dev/null || cp -r "$VENDOR/$dir/$mod" "$SITE/"
    [ "$mod" = multiprocess ] && cp -r "$VENDOR/_multiprocess" "$SITE/"
    cp -r "$VENDOR/$mod"-*.dist-info "$SITE/" 2>/dev/null
    echo "$mod: vendored ($(ls -d "$VENDOR/$mod"-*.dist-info 2>/dev/null | sed 's/.*\///'))" >> "$OUT/packages.txt"
  fi
done
[ -d "$SITE/xxhash-shim" ] && mv "$SITE/xxhash-shim/xxhash" "$SITE/" && rmdir "$SITE/xxhash-shim"
export PYTHONPATH=$SITE HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false HF_HOME=/tmp/mli-hf
