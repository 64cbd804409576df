#!/usr/bin/env bash
# Runs every test crossbyte has, after making sure everything is installed and
# built (tools/setup.sh, a no-op when nothing changed):
#   1. the Criterion suites of the release build (ctest), and the install test;
#   2. the same suites built with AddressSanitizer + UBSan (build-asan/);
#   3. the wasm wrapper under Node and the web page in Chromium;
#   4. short fuzz runs; 5. the aarch64 build's suites under qemu.
# Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh

jobs=${CROSSBYTE_JOBS:-$(nproc)}
status=0
# Models the suites convert are cached per test binary in test-tmp/ for one
# run (tests/support.c); start each run empty so nothing piles up.
rm -rf build/test-tmp build-asan/test-tmp build-aarch64/test-tmp

# tests/test_stress.c shares one model between 8 threads for this many
# seconds (5 when unset; `CB_STRESS_SECONDS=60 build/test_stress` is the long
# run), in the release and the sanitizer suites.
export CB_STRESS_SECONDS=${CB_STRESS_SECONDS:-10}

# tests/test_oom.c fails each allocation point of load, convert, predict,
# rank, tokenize and embed once; ctest hides a passing test's output, so it
# runs on its own here and the number of allocation points it exercised is
# printed (one line per path and their total).
oom_sites() {
  local log; log=$(mktemp)
  if "$@" --jobs 2 >"$log" 2>&1; then
    grep -E "allocation points" "$log" || true
    awk '/allocation points, each failed once/ { n += $(NF-8) } END { printf "test_oom: %d allocation points failed in all\n", n }' "$log"
    rm -f "$log"
  else
    cat "$log"; rm -f "$log"; return 1
  fi
}

echo "== release build: Criterion suites =="
ctest --test-dir build --output-on-failure -E '^test_oom$' || status=1
echo "== release build: out of memory at every allocation (test_oom) =="
oom_sites build/test_oom || status=1

# ==== Install and link (issue 16) ===============================================
# cmake --install into a fresh prefix, then two small applications built
# against it (pkg-config + the shared library, find_package + the static
# runtime) must print the CLI's scores (tests/install/check.sh).
echo "== install: cmake --install, pkg-config and find_package consumers =="
tests/install/check.sh build || status=1

# ==== Generated sources (issue 16) ==============================================
echo "== generated sources: the Unicode tables =="
tools/unicode/check.sh || status=1

echo "== AddressSanitizer + UBSan build: Criterion suites =="
xnnpack=$(tools/deps/xnnpack.sh native | tail -n 1)
models=$(tools/deps/models.sh | tail -n 1)
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCROSSBYTE_SANITIZE=ON \
  -DCROSSBYTE_XNNPACK_DIR="$xnnpack" -DCROSSBYTE_MODELS_DIR="$models" >/dev/null
cmake --build build-asan -j "$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan --output-on-failure -E '^test_oom$' || status=1
echo "== AddressSanitizer + UBSan build: out of memory at every allocation (test_oom) =="
oom_sites build-asan/test_oom || status=1
unset ASAN_OPTIONS UBSAN_OPTIONS

# ==== Python (issue 13) ========================================================
# pytest on the wheel tools/setup.sh installed into $CROSSBYTE_CACHE/py-venv
# (tests/python; the package must be installed: a missing one fails).
echo "== Python: pytest on the installed wheel (tests/python) =="
pyvenv=${CROSSBYTE_CACHE:-$HOME/.cache/crossbyte}/py-venv
if [ -x "$pyvenv/bin/python" ] && "$pyvenv/bin/python" -c "import crossbyte" 2>/dev/null; then
  (cd tests && "$pyvenv/bin/python" -m pytest -q python) || status=1
else
  echo "Python: the crossbyte package is not installed in $pyvenv (tools/setup.sh installs it)" >&2; status=1
fi

# ==== WebAssembly (issue 4) ====================================================
# The JavaScript wrapper under Node's own runner (every BERT fixture against
# reference.json and the native CLI, bad inputs; the threads build against the
# single-thread one and native, tests/js/threads.test.mjs), then web/ in
# headless Chromium (tests/e2e, cross-origin isolated: the threads build, and
# without the headers: the single-thread one). tools/setup.sh built wasm/dist
# (both builds) and installed both.
if [ "${CROSSBYTE_SKIP_WASM:-0}" != 1 ]; then
  # The kernel sweeps of test_kernels and test_attention compiled to wasm32 +
  # SIMD128 (tests/kernels/sweep_main.c): same cases, same references; it
  # prints the cases checked and exits non-zero on any mismatch.
  echo "== WebAssembly: kernel sweep under Node (build-wasm/kernel_sweep.js) =="
  node build-wasm/kernel_sweep.js || status=1
  echo "== WebAssembly: Node tests of the JavaScript wrapper (tests/js) =="
  # Both builds must be there: tests/js/threads.test.mjs compares them (and
  # Node picks the threads build by default), so a missing one fails here.
  for f in crossbyte-core.js crossbyte-core.wasm crossbyte-core-threads.js crossbyte-core-threads.wasm crossbyte-core-threads.worker.js; do
    [ -f "wasm/dist/$f" ] || { echo "wasm/dist/$f is missing (tools/setup.sh builds it)" >&2; status=1; }
  done
  node --test tests/js/ || status=1
  echo "== WebAssembly: the web page in headless Chromium (tests/e2e) =="
  node --test tests/e2e/ || status=1
fi

# ==== Fuzzing ===================================================================
# libFuzzer with ASan + UBSan on the tokenizer and the model loader, a short
# run each (FUZZ_SECONDS, default 30): new crashes fail the suite.
echo "== fuzz: tokenizer and model loader (libFuzzer, ASan + UBSan) =="
tools/fuzz.sh || status=1

# ==== ARM64 / aarch64 (issue 6) ================================================
# The whole Criterion suite cross-built for aarch64 (tools/aarch64/build.sh:
# XNNPACK and an arm64 sysroot cached like the native ones, build-aarch64/) and
# run under qemu-user as a Cortex-A72 (NEON int8 kernels) and a Cortex-A76
# (dot-product int8 kernels), then tests/cross/agreement.py: the aarch64 int8
# scores equal the x86 build's, same ranking (tools/aarch64/test.sh; it
# registers qemu's binfmt handler for the run and removes it afterwards). The
# longest part of this script: float32 runs ~200x slower under qemu.
# CROSSBYTE_SKIP_AARCH64=1 skips it.
if [ "${CROSSBYTE_SKIP_AARCH64:-0}" != 1 ]; then
  if [ "$(uname -m)" = x86_64 ]; then
    echo "== aarch64: cross build =="
    if tools/aarch64/build.sh; then
      tools/aarch64/test.sh || status=1
    else
      echo "aarch64: cross build FAILED" >&2; status=1
    fi
  else
    echo "aarch64: the cross build and qemu run need an x86-64 host; on $(uname -m) the suites above are the native ones" >&2
  fi
fi

if [ "$status" -ne 0 ]; then echo "tests: FAILED" >&2; else echo "tests: all suites passed" >&2; fi
exit "$status"
