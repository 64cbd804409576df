#!/usr/bin/env bash
# Runs every test crossbyte has, after making sure everything is installed and
# built (tools/setup.sh, a no-op when nothing changed):
#   1. the Criterion suites of the release build (ctest);
#   2. the same suites built with AddressSanitizer + UBSan (build-asan/).
# Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh

jobs=${CROSSBYTE_JOBS:-$(nproc)}
status=0

echo "== release build: Criterion suites =="
ctest --test-dir build --output-on-failure || status=1

echo "== AddressSanitizer + UBSan build: Criterion suites =="
xnnpack=$(tools/deps/xnnpack.sh native | tail -n 1)
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCROSSBYTE_SANITIZE=ON \
  -DCROSSBYTE_XNNPACK_DIR="$xnnpack" >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure || status=1

if [ "$status" -ne 0 ]; then echo "tests: FAILED" >&2; else echo "tests: all suites passed" >&2; fi
exit "$status"
