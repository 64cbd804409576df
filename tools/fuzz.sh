#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang, AddressSanitizer and
# UBSan into build-fuzz/, and runs each for FUZZ_SECONDS (default 30):
#   fuzz_tokenizer  two texts and a max_length, through the WordPiece tokenizer
#                   (bert-tiny) and again through the byte-level BPE one (roberta-tiny)
#   fuzz_model      damaged and truncated .cbm images, through the loader
#   fuzz_folder     Hugging Face folders (bert-tiny, roberta-tiny) with one file
#                   damaged or cut, through the converter and the loader
# A crash or sanitizer report fails the run and leaves the input in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
out=build-fuzz
mkdir -p "$out"
. tools/lib/packages.sh
ensure_packages fuzz clang-14 libclang-rt-14-dev
xnnpack=$(tools/deps/xnnpack.sh native | tail -n 1)
flags=(-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined -Iruntime/include -Iruntime/src -Iruntime/src/base -Iruntime/src/tokenizer
       -Iruntime/src/model -Iruntime/src/nn -Iquant -isystem "$xnnpack/include"
       -I/usr/include/cjson -DCB_FIXTURES_DIR="\"$PWD/tests/fixtures\"")
libs=("$xnnpack/lib/libXNNPACK.a" "$xnnpack/lib/libmicrokernels-prod.a" "$xnnpack/lib/libpthreadpool.a"
      "$xnnpack/lib/libcpuinfo.a" -lcjson -lpthread -lm -lstdc++)
for t in fuzz_tokenizer fuzz_model fuzz_folder; do
  if [ ! -x "$out/$t" ] || [ -n "$(find runtime quant tests/fuzz -newer "$out/$t" -name '*.[ch]' | head -n 1)" ]; then
    clang-14 "${flags[@]}" tests/fuzz/$t.c runtime/src/*.c runtime/src/*/*.c quant/*.c "${libs[@]}" -o "$out/$t"
  fi
done
[ -f "$out/bert-tiny.cbm" ] || build/crossbyte convert tests/fixtures/bert-tiny -o "$out/bert-tiny.cbm" >/dev/null
mkdir -p "$out/corpus-tokenizer" "$out/corpus-tokenizer-bpe" "$out/corpus-model" "$out/corpus-folder" \
  "$out/corpus-folder-bpe"
# run TITLE FUZZER CORPUS MAX_LEN ARTIFACT_PREFIX (environment from the caller)
run() {
  echo "== $1 ($seconds s)"
  "$out/$2" "$out/$3" -max_total_time="$seconds" -max_len="$4" -artifact_prefix="$out/$5" \
    -print_final_stats=1 2>&1 | tail -n 3
}
CB_FUZZ_MODEL=tests/fixtures/bert-tiny run "fuzz_tokenizer, WordPiece (bert-tiny)" fuzz_tokenizer corpus-tokenizer 4096 ""
CB_FUZZ_MODEL=tests/fixtures/roberta-tiny run "fuzz_tokenizer, byte-level BPE (roberta-tiny)" fuzz_tokenizer \
  corpus-tokenizer-bpe 4096 bpe-
CB_FUZZ_CBM="$out/bert-tiny.cbm" run "fuzz_model" fuzz_model corpus-model 16384 ""
CB_FUZZ_MODEL=tests/fixtures/bert-tiny run "fuzz_folder, Hugging Face folder (bert-tiny)" fuzz_folder corpus-folder \
  4096 folder-
CB_FUZZ_MODEL=tests/fixtures/roberta-tiny run "fuzz_folder, Hugging Face folder (roberta-tiny)" fuzz_folder \
  corpus-folder-bpe 4096 folder-bpe-
echo "fuzz: no crash"
