#!/usr/bin/env bash
# Cross-builds XNNPACK and crossbyte for 64-bit ARM Linux (Raspberry Pi 3/4/5
# on a 64-bit OS, aarch64 Android/Linux devices) on a Debian bookworm x86-64
# machine:
#
#   tools/aarch64/build.sh            # build-aarch64/: the CLI (build-aarch64/crossbyte)
#                                     # and the Criterion suites, dynamically linked
#   tools/aarch64/build.sh --static   # build-aarch64-static/crossbyte: one static
#                                     # binary to copy to a device (no tests)
#
# Installs what is missing (cross gcc/g++, the arm64 C library, qemu-user and
# its binfmt handler files), builds XNNPACK for aarch64 once
# (tools/deps/xnnpack.sh aarch64) and the arm64 sysroot of Criterion and cJSON
# once (tools/aarch64/sysroot.sh), both cached under ~/.cache/crossbyte like the
# native dependencies, then builds with cmake/aarch64-linux-gnu.cmake.
# tools/aarch64/test.sh runs what this builds under qemu.
#
# Environment: CROSSBYTE_CACHE (default ~/.cache/crossbyte); CROSSBYTE_JOBS caps
# build parallelism.
set -euo pipefail
cd "$(dirname "$0")/../.."

static=0
case "${1:-}" in
  "") ;;
  --static) static=1 ;;
  *) echo "usage: tools/aarch64/build.sh [--static]" >&2; exit 2 ;;
esac

need_pkgs=(build-essential cmake ninja-build pkg-config xz-utils dpkg-dev python3
           gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross
           qemu-user qemu-user-binfmt)
missing=()
for p in "${need_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "aarch64: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

jobs=${CROSSBYTE_JOBS:-$(nproc)}
xnnpack=$(CROSSBYTE_JOBS=$jobs tools/deps/xnnpack.sh aarch64 | tail -n 1)
sysroot=$(tools/aarch64/sysroot.sh | tail -n 1)

if [ "$static" = 1 ]; then
  dir=build-aarch64-static
  extra=(-DCROSSBYTE_AARCH64_STATIC=ON -DCROSSBYTE_TESTS=OFF)
else
  dir=build-aarch64
  extra=(-DCROSSBYTE_AARCH64_STATIC=OFF)
fi
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/aarch64-linux-gnu.cmake" \
  -DCROSSBYTE_AARCH64_SYSROOT="$sysroot" -DCROSSBYTE_XNNPACK_DIR="$xnnpack" "${extra[@]}" >/dev/null
if [ "$static" = 1 ]; then
  cmake --build "$dir" -j "$jobs" --target crossbyte-cli
else
  cmake --build "$dir" -j "$jobs"
fi
# hwcaps: which CPU features (NEON, dot product, i8mm) a device or qemu -cpu
# offers, i.e. which int8 kernels XNNPACK will run there. Static: copy and run.
aarch64-linux-gnu-gcc -std=c11 -O2 -Wall -Wextra -Werror -static tests/cross/hwcaps.c -o "$dir/hwcaps"
echo "aarch64: built $dir/crossbyte" >&2
