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

need_pkgs=(build-essential cmake ninja-build pkg-config xz-utils libcriterion-dev libcjson-dev)
missing=()
for p in "${need_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >&2
fi

xnnpack=$(tools/deps/xnnpack.sh native | tail -n 1)
jobs=${CROSSBYTE_JOBS:-$(nproc)}

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCROSSBYTE_XNNPACK_DIR="$xnnpack" >/dev/null
cmake --build build -j "$jobs"
echo "setup: built build/crossbyte" >&2
