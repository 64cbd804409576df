#!/usr/bin/env bash
# Runs the aarch64 build (tools/aarch64/build.sh, run first) under qemu-user:
#   1. the complete Criterion suite of build-aarch64/ (ctest) once per CPU model:
#      cortex-a72 (Raspberry Pi 4: XNNPACK's NEON int8 kernels) and cortex-a76
#      (Raspberry Pi 5: the dot-product kernels), same fixtures and tolerances
#      as native;
#   2. tests/cross/agreement.py: the int8 scores of build-aarch64/crossbyte under
#      both CPU models equal build/crossbyte's (x86): within 1e-6 (the same
#      bits, printed), same ranking.
# About 16 min on 2 cores (float32 suites are ~200x slower under qemu).
#
#   tools/aarch64/test.sh [--no-agreement]
#
# Criterion re-executes its own test binary for every test, and test_cli runs
# build-aarch64/crossbyte through system(): both need the kernel to hand aarch64
# executables to qemu, i.e. a binfmt_misc handler. If none is registered, this
# script mounts binfmt_misc if needed and registers Debian's qemu-aarch64
# handler (/usr/lib/binfmt.d/qemu-aarch64.conf, from qemu-user-binfmt), and
# removes both again on exit, whatever happens. QEMU_CPU chooses the CPU and
# QEMU_LD_PREFIX the library prefix (the sysroot) of every qemu started.
#
# Environment: CROSSBYTE_AARCH64_CPUS (default "cortex-a72 cortex-a76").
set -euo pipefail
cd "$(dirname "$0")/../.."

agreement=1
[ "${1:-}" = --no-agreement ] && agreement=0
cpus=${CROSSBYTE_AARCH64_CPUS:-cortex-a72 cortex-a76}
[ -x build-aarch64/crossbyte ] || { echo "aarch64 test: run tools/aarch64/build.sh first" >&2; exit 1; }
sysroot=$(tools/aarch64/sysroot.sh | tail -n 1)

# ---- binfmt_misc: use a registered aarch64 handler or register one until exit --
bm=/proc/sys/fs/binfmt_misc
mounted_here=0
registered_here=""
restore() {
  if [ -n "$registered_here" ] && [ -e "$bm/$registered_here" ]; then
    echo -1 > "$bm/$registered_here" || echo "aarch64 test: could not unregister $registered_here" >&2
  fi
  if [ "$mounted_here" = 1 ]; then
    umount "$bm" || echo "aarch64 test: could not unmount $bm" >&2
  fi
}
trap restore EXIT

aarch64_handler() {  # prints the name of an enabled handler for aarch64 ELF files
  local f
  for f in "$bm"/*; do
    case "$(basename "$f")" in register|status) continue ;; esac
    grep -qx enabled "$f" 2>/dev/null || continue
    grep -q '^magic 7f454c460201010000000000000000000200b700' "$f" && { basename "$f"; return 0; }
  done
  return 1
}

if [ ! -e "$bm/register" ]; then
  mount -t binfmt_misc binfmt_misc "$bm" && mounted_here=1 || true
fi
if [ -e "$bm/register" ] && [ "$(cat "$bm/status" 2>/dev/null)" = enabled ] && handler=$(aarch64_handler); then
  echo "aarch64 test: using the registered binfmt handler $handler" >&2
elif [ -w "$bm/register" ] && [ -f /usr/lib/binfmt.d/qemu-aarch64.conf ]; then
  entry=$(grep -v '^#' /usr/lib/binfmt.d/qemu-aarch64.conf | head -n 1)
  name=$(cut -d: -f2 <<<"$entry")
  if [ -e "$bm/$name" ]; then  # someone's, switched off: leave it as it is
    echo "aarch64 test: binfmt handler $name exists but is disabled; not touching it" >&2
    exit 1
  fi
  echo "$entry" > "$bm/register"
  registered_here=$name
  echo "aarch64 test: registered binfmt handler $name (removed on exit)" >&2
else
  echo "aarch64 test: no binfmt_misc handler for aarch64 and none can be registered" \
       "(binfmt_misc not mountable or qemu-user-binfmt missing): Criterion cannot" \
       "re-execute its aarch64 test binaries" >&2
  exit 1
fi

status=0
kernels=""
for cpu in $cpus; do
  echo "== aarch64 build under qemu -cpu $cpu: Criterion suites =="
  if [ -x build-aarch64/hwcaps ]; then
    caps=$(qemu-aarch64 -cpu "$cpu" build-aarch64/hwcaps)
    echo "qemu -cpu $cpu: $caps"
    kernels="$kernels ${caps##* }"
  fi
  start=$SECONDS
  QEMU_CPU=$cpu QEMU_LD_PREFIX=$sysroot ctest --test-dir build-aarch64 --output-on-failure || status=1
  echo "aarch64 -cpu $cpu: suites took $((SECONDS - start)) s" >&2
done

# The default pair must exercise both int8 kernel families (NEON and dot product).
if [ -z "${CROSSBYTE_AARCH64_CPUS:-}" ] && [ -n "$kernels" ]; then
  case "$kernels" in *neon_mlal*) ;; *) echo "aarch64 test: no run used the NEON int8 kernels" >&2; status=1 ;; esac
  case "$kernels" in *neondot*) ;; *) echo "aarch64 test: no run used the dot-product int8 kernels" >&2; status=1 ;; esac
fi

if [ "$agreement" = 1 ]; then
  echo "== aarch64 vs x86: int8 scores agree =="
  [ -x build/crossbyte ] || { echo "aarch64 test: build/crossbyte missing (tools/setup.sh)" >&2; exit 1; }
  cpu_args=()
  for cpu in $cpus; do cpu_args+=(--cpu "$cpu"); done
  start=$SECONDS
  python3 tests/cross/agreement.py --native build/crossbyte --aarch64 build-aarch64/crossbyte \
    --sysroot "$sysroot" "${cpu_args[@]}" || status=1
  echo "aarch64 agreement: took $((SECONDS - start)) s" >&2
fi

if [ "$status" -ne 0 ]; then echo "aarch64 tests: FAILED" >&2; else echo "aarch64 tests: all passed" >&2; fi
exit "$status"
