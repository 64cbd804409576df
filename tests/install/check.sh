#!/usr/bin/env bash
# The install-and-consume test (issue 16): installs build/ into a fresh
# prefix, builds two small applications against it the way users would, and
# checks what they print against the CLI of the same build:
#   1. tests/install/convert_and_score.c with pkg-config (crossbyte.pc: the
#      shared library, runtime + converter): converts a fixture folder to
#      int8, scores pairs;
#   2. tests/install/consumer/ with find_package(crossbyte) and
#      crossbyte::runtime (static, no converter): scores the same .cbm and
#      refuses the folder.
# Also: the SONAME carries the major version and the shared library exports
# exactly the header's functions.
#   tests/install/check.sh [BUILD_DIR]     (default build/)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() { echo "install test: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'libcrossbyte.so.*.*' | head -n 1)")
[ -n "$libdir" ] || fail "no libcrossbyte.so installed"
header_version=$(sed -n 's/^#define CROSSBYTE_VERSION "\(.*\)"$/\1/p' runtime/include/crossbyte.h)
major=${header_version%%.*}
soname=$(readelf -d "$libdir/libcrossbyte.so.$header_version" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = "libcrossbyte.so.$major" ] || fail "SONAME is '$soname', want libcrossbyte.so.$major"
# Exported symbols = the functions crossbyte.h declares, no more, no fewer.
nm -D --defined-only "$libdir/libcrossbyte.so.$header_version" | awk '$2 == "T" {sub(/@.*/, "", $3); print $3}' |
  sort > "$work/exported"
grep -oE '^[a-z].*[ *]cb_[a-z0-9_]+\(' runtime/include/crossbyte.h | grep -oE 'cb_[a-z0-9_]+\($' | tr -d '(' |
  sort > "$work/declared"
diff "$work/declared" "$work/exported" >&2 || fail "exported symbols differ from crossbyte.h's functions (< header, > library)"
[ -x "$prefix/bin/crossbyte" ] || fail "bin/crossbyte not installed"

fixture=tests/fixtures/bert-tiny
pairs=("How many people live in Berlin?" "Berlin has a population of 3,520,031 registered inhabitants."
       "How many people live in Berlin?" "Berlin is well known for its museums.")

# 1. pkg-config, shared library.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
[ "$(pkg-config --modversion crossbyte)" = "$header_version" ] || fail "crossbyte.pc has the wrong version"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror tests/install/convert_and_score.c $(pkg-config --cflags --libs crossbyte) \
  -Wl,-rpath,"$libdir" -o "$work/convert_and_score"
"$work/convert_and_score" "$fixture" "$work/m.cbm" "${pairs[@]}" > "$work/out1"

# 2. find_package, static runtime.
cmake -S tests/install/consumer -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/score_cbm" "$work/m.cbm" "$fixture" "${pairs[@]}" > "$work/out2"

# What the CLI of the same build says for the same .cbm.
printf '%s\n' "[\"${pairs[0]}\", \"${pairs[1]}\"]" "[\"${pairs[2]}\", \"${pairs[3]}\"]" |
  "$build/crossbyte" predict "$work/m.cbm" > "$work/cli"
expect_version="version $header_version header $header_version"
[ "$(head -n 1 "$work/out1")" = "$expect_version" ] || fail "pkg-config consumer: $(head -n 1 "$work/out1")"
[ "$(head -n 1 "$work/out2")" = "$expect_version" ] || fail "find_package consumer: $(head -n 1 "$work/out2")"
grep -q '^folder refused: .*is a folder.*cb_model_load' "$work/out2" || fail "the runtime alone did not refuse the folder"
diff <(tail -n +2 "$work/out1") "$work/cli" >&2 || fail "pkg-config consumer's scores differ from the CLI's"
diff <(tail -n +3 "$work/out2") "$work/cli" >&2 || fail "find_package consumer's scores differ from the CLI's"
echo "install test: prefix with $(find "$prefix" -type f | wc -l) files; pkg-config (shared) and find_package (static runtime) consumers print the CLI's scores: $(tr '\n' ' ' < "$work/cli")"
