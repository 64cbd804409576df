#!/usr/bin/env bash
# Create (or reuse) the peer-benchmark venv outside the repo.
#   tools/bench/setup.sh            -> prints the venv's python path last
# Idempotent: skipped when the venv's stamp equals sha256(requirements.txt).
# Env: CROSSBYTE_CACHE (default $HOME/.cache/crossbyte), PYTHON (default python3.11).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${CROSSBYTE_CACHE:-$HOME/.cache/crossbyte}"
venv="$cache/bench-venv"
req="$here/requirements.txt"
py="${PYTHON:-}"
if [ -z "$py" ]; then
  if command -v python3.11 >/dev/null 2>&1; then py=python3.11; else py=python3; fi
fi
want="$(sha256sum "$req" | cut -d' ' -f1)"
stamp="$venv/.crossbyte-requirements.sha256"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "bench venv up to date: $venv" >&2
  echo "$venv/bin/python"
  exit 0
fi
mkdir -p "$cache"
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
fi
rm -f "$stamp"
"$venv/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip >&2
"$venv/bin/python" -m pip install --disable-pip-version-check -r "$req" >&2
# Fail now, not in the middle of a benchmark, if an import is broken.
"$venv/bin/python" - >&2 <<'PY'
import importlib, sys
for m in ["torch", "transformers", "sentence_transformers", "tokenizers", "safetensors",
          "onnx", "onnxscript", "onnxruntime", "numpy"]:
    mod = importlib.import_module(m)
    print(f"{m:22s} {getattr(mod, '__version__', '?')}")
print("python", sys.version.split()[0])
PY
echo "$want" > "$stamp"
echo "bench venv ready: $venv" >&2
echo "$venv/bin/python"
