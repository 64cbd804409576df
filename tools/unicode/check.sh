#!/usr/bin/env bash
# Regenerates runtime/src/tokenizer/unicode_tables.c with tools/unicode (the
# Rust crates Hugging Face tokenizers uses, pinned in Cargo.lock) and fails
# unless the result equals the committed file byte for byte (issue 16).
# Cargo comes from the machine (rustup) or Debian's package; crates come
# from the crates registry once and are cached in ~/.cargo.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v cargo >/dev/null; then
  . tools/lib/packages.sh
  ensure_packages unicode cargo
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cargo run -q --release --locked --manifest-path tools/unicode/Cargo.toml \
  --target-dir "${CROSSBYTE_CACHE:-$HOME/.cache/crossbyte}/unicode-target" -- "$out" >&2
if ! cmp "$out" runtime/src/tokenizer/unicode_tables.c; then
  echo "unicode: tools/unicode does not regenerate runtime/src/tokenizer/unicode_tables.c" >&2
  exit 1
fi
echo "unicode: tools/unicode regenerates runtime/src/tokenizer/unicode_tables.c byte for byte"
