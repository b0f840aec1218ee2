#!/usr/bin/env bash
# Build .gpu-e2e/vendor/: pure-Python trl, datasets and the pure-Python packages datasets needs,
# taken from git mirrors of their repositories at release tags. The GPU machines lent to sessions
# have torch/transformers/peft/accelerate but no trl or datasets, and no network; device.sh puts a
# package from here on PYTHONPATH only when the machine cannot import its own.
# Usage (repository root): MIRRORS=/work/.mirror bash scripts/gpu-check/trl-e2e/vendor.sh
set -euo pipefail
MIRRORS=${MIRRORS:-/work/.mirror}
DEST=.gpu-e2e/vendor
rm -rf "$DEST" && mkdir -p "$DEST"

# name  repository-mirror  tag  path-in-repo  target-dir
extract() {
  # File by file, leaving out tests and data: the mirrors lack some large test blobs.
  local repo="$MIRRORS/$1/repo" tag=$2 path=$3 target=$4
  git -C "$repo" ls-tree -r --name-only "$tag" -- "$path" | grep -vE '(^|/)(tests?|cassettes)/' | grep -E '\.(py|pyi|json|jinja|txt|typed|md|yaml)$' |
  while read -r f; do
    mkdir -p "$DEST/$target/$(dirname "${f#"$path"/}")"
    git -C "$repo" show "$tag:$f" > "$DEST/$target/${f#"$path"/}"
  done
}
# importlib.metadata must see a version: trl and datasets read their own and their dependencies'.
dist_info() {
  mkdir -p "$DEST/$1-$2.dist-info"
  printf 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n' "$1" "$2" > "$DEST/$1-$2.dist-info/METADATA"
  printf '%s\n' "$3" > "$DEST/$1-$2.dist-info/top_level.txt"
}

extract huggingface+trl v1.9.0 trl trl;                              dist_info trl 1.9.0 trl
extract huggingface+datasets 5.0.1 src/datasets datasets;            dist_info datasets 5.0.1 datasets
extract uqfoundation+dill 0.4.1 dill dill;                           dist_info dill 0.4.1 dill
extract uqfoundation+multiprocess 0.70.19 py3.12/multiprocess multiprocess
extract uqfoundation+multiprocess 0.70.19 py3.12/_multiprocess _multiprocess
dist_info multiprocess 0.70.19 multiprocess
extract fsspec+filesystem_spec 2026.6.0 fsspec fsspec;               dist_info fsspec 2026.6.0 fsspec
# Files their build steps would have generated.
printf '__version__ = "0.4.1"\n__author__ = "Mike McKerns"\n__license__ = "BSD-3-Clause"\n' > "$DEST/dill/__info__.py"
printf '__version__ = "0.70.19"\n__author__ = "Mike McKerns"\n__license__ = "BSD-3-Clause"\n' > "$DEST/multiprocess/__info__.py"
printf '__version__ = version = "2026.6.0"\n__version_tuple__ = version_tuple = (2026, 6, 0)\n' > "$DEST/fsspec/_version.py"

# xxhash is a C extension; datasets uses it only to fingerprint cached transforms. A stand-in with
# the same interface (blake2b underneath) keeps those fingerprints deterministic.
mkdir -p "$DEST/xxhash-shim/xxhash"
cat > "$DEST/xxhash-shim/xxhash/__init__.py" <<'PY'
"""Stand-in for the xxhash C extension (GPU check only): same interface, blake2b digests."""
import hashlib

VERSION = "0.0.0-shim"


class xxh64:
    def __init__(self, data=b"", seed=0):
        self._h = hashlib.blake2b(digest_size=8, salt=seed.to_bytes(8, "little") if seed else b"")
        if data:
            self.update(data)

    def update(self, data):
        self._h.update(data.encode() if isinstance(data, str) else bytes(data))

    def digest(self):
        return self._h.digest()

    def hexdigest(self):
        return self._h.hexdigest()

    def intdigest(self):
        return int.from_bytes(self._h.digest(), "big")

    def copy(self):
        c = xxh64.__new__(xxh64)
        c._h = self._h.copy()
        return c


xxh3_64 = xxh64
PY
du -sh "$DEST"; ls "$DEST"
