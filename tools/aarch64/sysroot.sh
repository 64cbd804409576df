#!/usr/bin/env bash
# Builds the arm64 sysroot that the aarch64 cross build links against and that
# qemu runs it in, once, cached outside the clone:
#
#   tools/aarch64/sysroot.sh        # prints the sysroot on its last line
#
# What is in it:
#   - Debian's arm64 .debs of Criterion and cJSON (-dev and runtime) and all they
#     depend on, fetched with `apt-get download` through a private apt state
#     (arm64 lists in a temporary folder, derived from the machine's own sources:
#     the machine's apt state and its amd64 Criterion are never touched; a
#     multiarch `apt-get install libcriterion-dev:arm64` would remove the latter)
#     and unpacked with `dpkg -x`;
#   - lib/: links to the cross toolchain's C and C++ runtime
#     (/usr/aarch64-linux-gnu/lib), so the sysroot alone is a complete
#     QEMU_LD_PREFIX (`qemu-aarch64 -L <sysroot>`);
#   - static/: the same cJSON version built from Debian's source package (with
#     Debian's patches) as libcjson.a, since Debian ships no static cJSON: the
#     `-static` single-binary CLI links it.
#
# Environment: CROSSBYTE_CACHE (default ~/.cache/crossbyte).
set -euo pipefail

cache=${CROSSBYTE_CACHE:-$HOME/.cache/crossbyte}
# The packages asked for; apt resolves their dependencies (Criterion's .pc file
# names boxfort, libffi, libgit2 and nanomsg, so their -dev packages come too).
WANT=(libcriterion-dev libcjson-dev)
# Provided by the cross toolchain (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross)
# or by host tools: never unpacked, so nothing shadows the cross C library.
SKIP=" gcc-12-base libgcc-s1 libc6 libc6-dev libc-dev-bin linux-libc-dev libcrypt1 libcrypt-dev
       libnsl-dev libtirpc-dev rpcsvc-proto pkg-config pkgconf pkgconf-bin libpkgconf3 "

sum=$( (cat "$0"; printf '%s\n' "${WANT[@]}") | sha256sum | cut -c1-12)
root="$cache/sysroot-arm64-$sum"
if [ -f "$root/.complete" ]; then echo "$root"; exit 0; fi

for t in aarch64-linux-gnu-gcc dpkg-source; do
  command -v "$t" >/dev/null || {
    echo "sysroot.sh: $t missing (tools/aarch64/build.sh installs it)" >&2; exit 1; }
done

# ---- a private apt state: the machine's sources, for arm64, with deb-src ------
apt_dir=$(mktemp -d)
trap 'rm -rf "$apt_dir"' EXIT
mkdir -p "$apt_dir/parts" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
         "$apt_dir/debs" "$apt_dir/src"
: > "$apt_dir/status"
: > "$apt_dir/sources.list"
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  sed -E 's/^Types:.*/Types: deb deb-src/; /^Architectures:/d' "$f" > "$apt_dir/parts/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  awk '$1=="deb" {print; $1="deb-src"; print}' "$f" >> "$apt_dir/sources.list"
done
A=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=$apt_dir/parts"
   -o APT::Architecture=arm64 -o APT::Architectures=arm64
   -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
   -o "Dir::State::status=$apt_dir/status" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
apt-get "${A[@]}" update -q >&2

# What an empty arm64 system would install for WANT, less SKIP.
sim=$(apt-get "${A[@]}" -s --no-install-recommends install "${WANT[@]}")
get=()
for p in $(awk '/^Inst /{print $2}' <<<"$sim"); do
  case "$SKIP" in *[[:space:]]"$p"[[:space:]]*) ;; *) get+=("$p:arm64") ;; esac
done
[ ${#get[@]} -gt 0 ] || { echo "sysroot.sh: apt resolved nothing for ${WANT[*]}" >&2; exit 1; }
echo "sysroot.sh: unpacking ${get[*]}" >&2
(cd "$apt_dir/debs" && apt-get "${A[@]}" download "${get[@]}" >&2)

rm -rf "$root"; mkdir -p "$root"
for deb in "$apt_dir"/debs/*.deb; do dpkg -x "$deb" "$root"; done
# Absolute symlinks (libfoo.so -> /usr/lib/...) would point at the host: re-aim
# them inside the sysroot.
find "$root" -type l | while read -r l; do
  t=$(readlink "$l")
  case "$t" in /*) ln -sfn "$root$t" "$l" ;; esac
done
# The cross toolchain's runtime (ld-linux-aarch64.so.1, libc.so.6,
# libstdc++.so.6, ...) as the sysroot's /lib, where the arm64 loader looks.
mkdir -p "$root/lib"
for f in /usr/aarch64-linux-gnu/lib/*.so*; do
  [ -e "$root/lib/$(basename "$f")" ] || ln -s "$f" "$root/lib/"
done

# ---- static cJSON: the same version, from Debian's source package -------------
ver=$(awk '$1=="Inst" && $2=="libcjson-dev" {gsub(/[()]/,"",$3); print $3}' <<<"$sim")
[ -n "$ver" ] || { echo "sysroot.sh: no libcjson-dev version" >&2; exit 1; }
# apt checks the files against the signed Sources index.
(cd "$apt_dir/src" && apt-get "${A[@]}" source --download-only "cjson=$ver" >&2)
dpkg-source --no-check -x "$apt_dir/src/cjson_${ver#*:}.dsc" "$apt_dir/cjson" >&2
st="$root/static"
mkdir -p "$st/lib/pkgconfig" "$st/include/cjson"
aarch64-linux-gnu-gcc -std=c89 -O2 -fPIC -c "$apt_dir/cjson/cJSON.c" -o "$apt_dir/cjson.o"
aarch64-linux-gnu-ar rcs "$st/lib/libcjson.a" "$apt_dir/cjson.o"
cp "$apt_dir/cjson/cJSON.h" "$st/include/cjson/"
cat > "$st/lib/pkgconfig/libcjson.pc" <<EOF
libdir=$st/lib
includedir=$st/include

Name: libcjson
Version: ${ver%%-*}
Description: cJSON $ver (Debian source), static, built by tools/aarch64/sysroot.sh
Libs: -L\${libdir} -lcjson -lm
Cflags: -I\${includedir} -I\${includedir}/cjson
EOF

touch "$root/.complete"
echo "$root"
