#!/usr/bin/env bash
# Fetch XNNPACK and its three dependencies as Debian source packages, build them
# once, and install the static libraries into a cache outside the clone.
#
#   tools/deps/xnnpack.sh [native|aarch64|wasm|wasm-threads]     (default: native)
#
# wasm-threads is the wasm build again with Emscripten's pthreads: every object
# compiled with -pthread (shared memory needs atomics in all of them) and
# pthreadpool's real thread pool instead of its single-threaded Emscripten
# shim. It applies the wasm patches, then its own, and is cached under its own
# key, so the single-thread wasm prefix stays exactly what it was.
#
# Prints the install prefix on its last line. A second run with the same
# versions finds the stamp and does nothing (CI's repeat runs stay fast).
#
# Why apt and not git: the workplace reaches only package registries. Bookworm's
# own xnnpack is too old for the dynamic-int8 operators, so the sources come from
# newer suites, through a private sources list derived from the machine's own
# apt configuration (the system's apt state is never touched).
set -euo pipefail

target=${1:-native}
here=$(cd "$(dirname "$0")" && pwd)
cache=${CROSSBYTE_CACHE:-$HOME/.cache/crossbyte}

XNNPACK_V=0.0~git20241108.4ea82e5
PTHREADPOOL_V=0.0~git20240616.560c60d
FXDIV_V=0.0~git20200417.b408327
CPUINFO_V=0.0~git20250905.877328f
# Debian revisions to ask apt for (the orig tarball is what we use).
declare -A REV=([xnnpack]="$XNNPACK_V-2" [pthreadpool]="$PTHREADPOOL_V-1"
                [fxdiv]="$FXDIV_V-4" [cpuinfo]="$CPUINFO_V-1")
declare -A SHA=(
  [xnnpack]=90bde2caef0f880f627bab0dc805a86c4b8070cd98e3243db3046ab3f3be1a99
  [pthreadpool]=4cc3cbd933b28131d2a34edc54f76af9fb41bc490af5eae1a5bd3cd07ea90708
  [fxdiv]=7953482badaf4cb34026c3487c257b8e4ab2df061c019bd6fabbbc12ad52c44b
  [cpuinfo]=557ca404a3836b9f335a3a06b65ff9fe9dbaaefab7fb5c0185f53d9f33615a10)

# The patch folders a target applies, in order.
patch_dirs=("$target")
[ "$target" = wasm-threads ] && patch_dirs=(wasm wasm-threads)
patch_sum=$( (for d in "${patch_dirs[@]}"; do cat "$here"/patches/"$d"/*.patch 2>/dev/null || true; done; cat "$0") | sha256sum | cut -c1-12)
prefix="$cache/xnnpack-${XNNPACK_V}-${target}-${patch_sum}"
if [ -f "$prefix/.complete" ]; then echo "$prefix"; exit 0; fi

# ---- sources -----------------------------------------------------------------
src="$cache/src"
mkdir -p "$src"
need_fetch=0
for p in xnnpack pthreadpool fxdiv cpuinfo; do
  v=${REV[$p]%-*}
  [ -f "$src/${p}_${v}.orig.tar.xz" ] || need_fetch=1
done
if [ "$need_fetch" = 1 ]; then
  apt_dir=$(mktemp -d)
  trap 'rm -rf "$apt_dir"' EXIT
  mkdir -p "$apt_dir/parts" "$apt_dir/lists/partial"
  # The mirror the machine already uses, with deb-src and the newer suites.
  uri=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    u=$(awk '/^URIs:/{print $2; exit}' "$f")
    if grep -q '^Suites:.*bookworm' "$f" && [ -n "$u" ]; then uri=$u; break; fi
  done
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1=="deb" && $0 ~ /bookworm/ {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || { echo "xnnpack.sh: no Debian mirror found in /etc/apt" >&2; exit 1; }
  printf 'Types: deb-src\nURIs: %s\nSuites: trixie sid\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$uri" > "$apt_dir/parts/src.sources"
  A=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/parts"
     -o "Dir::State::Lists=$apt_dir/lists" -o Debug::NoLocking=1)
  apt-get "${A[@]}" update -q >&2
  for p in xnnpack pthreadpool fxdiv cpuinfo; do
    v=${REV[$p]%-*}
    [ -f "$src/${p}_${v}.orig.tar.xz" ] && continue
    # The .debian.tar.xz may be missing from the mirror; only the orig tarball
    # is needed, so a partial download is fine as long as that one arrived.
    (cd "$apt_dir" && apt-get "${A[@]}" source --download-only "$p=${REV[$p]}" >&2 || true)
    mv "$apt_dir/${p}_${v}.orig.tar.xz" "$src/" || { echo "xnnpack.sh: could not fetch $p $v" >&2; exit 1; }
  done
fi
for p in xnnpack pthreadpool fxdiv cpuinfo; do
  v=${REV[$p]%-*}
  echo "${SHA[$p]}  $src/${p}_${v}.orig.tar.xz" | sha256sum -c --quiet - >&2 \
    || { echo "xnnpack.sh: checksum mismatch for $p" >&2; rm -f "$src/${p}_${v}.orig.tar.xz"; exit 1; }
done

# ---- unpack, patch, build ------------------------------------------------------
work="$cache/build-${target}"
rm -rf "$work"; mkdir -p "$work/xnnpack"
tar -C "$work/xnnpack" -xf "$src/xnnpack_${XNNPACK_V}.orig.tar.xz"
for p in pthreadpool fxdiv cpuinfo; do
  v=${REV[$p]%-*}; tar -C "$work" -xf "$src/${p}_${v}.orig.tar.xz"; mv "$work/$p-$v" "$work/$p"
done
for d in "${patch_dirs[@]}"; do
  for pf in "$here"/patches/"$d"/*.patch; do
    [ -f "$pf" ] || continue
    (cd "$work" && patch -p1 --quiet < "$pf")
  done
done

# ---- wasm target helpers ---------------------------------------------------------
# Emscripten from Debian bookworm (3.1.6, clang 14): wasm32 with SIMD128, no
# relaxed SIMD (clang 14 lacks its intrinsics). The wasm prefix also holds cJSON
# (built from Debian's own source package, with Debian's patches), because the
# runtime needs it and there is no wasm libcjson to install.
CJSON_V=1.7.15
CJSON_SHA=5308fd4bd90cef7aa060558514de6a1a4a0819974a26e6ed13973c5f624c24b2
wasm_fetch_cjson() {
  # Same method as above: a private deb-src list on the machine's own mirror,
  # here for bookworm (the cJSON version the native build links).
  local d f u="" deb
  if ! { [ -f "$src/cjson_${CJSON_V}.orig.tar.gz" ] && ls "$src"/cjson_"${CJSON_V}"-*.debian.tar.xz >/dev/null 2>&1; }; then
    d=$(mktemp -d); mkdir -p "$d/parts" "$d/lists/partial"
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      if grep -q '^Suites:.*bookworm' "$f"; then u=$(awk '/^URIs:/{print $2; exit}' "$f"); [ -n "$u" ] && break; fi
    done
    if [ -z "$u" ] && [ -f /etc/apt/sources.list ]; then
      u=$(awk '$1=="deb" && $0 ~ /bookworm/ {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
    fi
    [ -n "$u" ] || { echo "xnnpack.sh: no Debian mirror found in /etc/apt" >&2; rm -rf "$d"; exit 1; }
    printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$u" > "$d/parts/src.sources"
    local B=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$d/parts"
             -o "Dir::State::Lists=$d/lists" -o Debug::NoLocking=1)
    apt-get "${B[@]}" update -q >&2
    (cd "$d" && apt-get "${B[@]}" source --download-only cjson/bookworm >&2 || true)
    deb=$(ls "$d"/cjson_"${CJSON_V}"-*.debian.tar.xz 2>/dev/null | head -n 1)
    [ -f "$d/cjson_${CJSON_V}.orig.tar.gz" ] && [ -n "$deb" ] \
      || { echo "xnnpack.sh: could not fetch cjson $CJSON_V" >&2; rm -rf "$d"; exit 1; }
    mv "$d/cjson_${CJSON_V}.orig.tar.gz" "$deb" "$src/"
    rm -rf "$d"
  fi
  echo "$CJSON_SHA  $src/cjson_${CJSON_V}.orig.tar.gz" | sha256sum -c --quiet - >&2 \
    || { echo "xnnpack.sh: checksum mismatch for cjson" >&2; rm -f "$src/cjson_${CJSON_V}.orig.tar.gz"; exit 1; }
}
wasm_configure() {
  # $1: extra compiler flags (-pthread for wasm-threads).
  local flags="-msimd128${1:+ $1}"
  command -v emcc >/dev/null || { echo "xnnpack.sh: wasm needs emcc (apt-get install emscripten)" >&2; exit 1; }
  # Debian's emcc runs acorn through Node, which does not look in /usr/share/nodejs.
  export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
  local tc
  tc=$(dirname "$(readlink -f "$(command -v emcc)")")/cmake/Modules/Platform/Emscripten.cmake
  [ -f "$tc" ] || tc=/usr/share/emscripten/cmake/Modules/Platform/Emscripten.cmake
  cmake_args+=(-DCMAKE_TOOLCHAIN_FILE="$tc" -DCMAKE_POSITION_INDEPENDENT_CODE=OFF
    "-DCMAKE_C_FLAGS=$flags" "-DCMAKE_CXX_FLAGS=$flags")
  # cJSON: Debian's orig tarball + Debian's patches (debian/patches/series).
  wasm_fetch_cjson
  mkdir -p "$work/cjson" "$work/out/cjson"
  tar -C "$work/cjson" --strip-components=1 -xzf "$src/cjson_${CJSON_V}.orig.tar.gz"
  tar -C "$work/cjson" -xJf "$(ls "$src"/cjson_"${CJSON_V}"-*.debian.tar.xz | sort -V | tail -n 1)"
  local pp
  while read -r pp; do
    case "$pp" in ''|'#'*) continue ;; esac
    (cd "$work/cjson" && patch -p1 --quiet < "debian/patches/$pp")
  done < "$work/cjson/debian/patches/series"
  # shellcheck disable=SC2086  # $flags is a list of flags
  emcc -O2 $flags -std=c89 -c "$work/cjson/cJSON.c" -o "$work/out/cjson/cJSON.o"
  emar rcs "$work/out/cjson/libcjson.a" "$work/out/cjson/cJSON.o"
}

cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_POSITION_INDEPENDENT_CODE=ON
  -DXNNPACK_BUILD_ALL_MICROKERNELS=OFF -DXNNPACK_BUILD_TESTS=OFF -DXNNPACK_BUILD_BENCHMARKS=OFF
  -DXNNPACK_ENABLE_KLEIDIAI=OFF -DXNNPACK_LIBRARY_TYPE=static
  -DCPUINFO_SOURCE_DIR="$work/cpuinfo" -DPTHREADPOOL_SOURCE_DIR="$work/pthreadpool"
  -DFXDIV_SOURCE_DIR="$work/fxdiv" -DCMAKE_INSTALL_PREFIX="$prefix")
case "$target" in
  native) ;;
  aarch64) cmake_args+=(-DCMAKE_TOOLCHAIN_FILE="$here/../../cmake/aarch64-linux-gnu.cmake") ;;
  wasm) wasm_configure ;;
  wasm-threads) wasm_configure -pthread ;;
  *) echo "xnnpack.sh: unknown target $target" >&2; exit 2 ;;
esac
cmake -S "$work/xnnpack" -B "$work/out" "${cmake_args[@]}" >&2
cmake --build "$work/out" -j "${CROSSBYTE_JOBS:-$(nproc)}" >&2

# Install by hand: XNNPACK's install rules miss the dependencies' archives.
rm -rf "$prefix"; mkdir -p "$prefix/lib" "$prefix/include"
find "$work/out" -name '*.a' -exec cp {} "$prefix/lib/" \;
cp "$work/xnnpack/include/"*.h "$prefix/include/"
cp "$work/pthreadpool/include/pthreadpool.h" "$prefix/include/"
if [ "$target" = wasm ] || [ "$target" = wasm-threads ]; then  # cJSON as <cjson/cJSON.h>, like libcjson-dev
  mkdir -p "$prefix/include/cjson"; cp "$work/cjson/cJSON.h" "$prefix/include/cjson/"
fi
ls "$prefix/lib" >&2
touch "$prefix/.complete"
rm -rf "$work"
echo "$prefix"
