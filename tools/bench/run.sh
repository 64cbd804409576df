#!/usr/bin/env bash
# The benchmark in one command (see tools/bench/README.md): crossbyte int8 and
# float32 against ONNX Runtime and sentence-transformers, same inputs, runs
# alternated, one fresh process per measurement.
#
#   tools/bench/run.sh [--repeats 7] [--threads 1,2] [--min-time 2] [--only MODEL,...] [--quick] [--no-fidelity]
#                      [--engines crossbyte-int8,crossbyte-f32,ort-f32,ort-int8,st-torch-f32|all]
#                      [--ours OURS.json]   (extra rows of ours made elsewhere)
#
# 1. setup.sh        venv in ${CROSSBYTE_CACHE:-~/.cache/crossbyte}/bench-venv (skipped when current)
# 2. make_models.py  random-weight models + ONNX into $CROSSBYTE_CACHE/bench-models (skipped when current)
#    then build/crossbyte converts each model to crossbyte-{f32,int8}.cbm beside it
# 3. fidelity.py     ORT f32/int8 vs ce_predict on shared/fixtures/bert-*  -> $OUT/fidelity.{json,md}
# 4. peers.py        the timed runs                                         -> $OUT/peers.json
# 5. table.py        Markdown, ours vs peers if --ours is given             -> $OUT/table.md (also printed)
# OUT defaults to build/bench in the repo (git-ignored); override with CROSSBYTE_BENCH_OUT.
# --quick: 1 repeat, 1 thread, one pass per process (a smoke test, minutes; numbers not for quoting).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${CROSSBYTE_CACHE:-$HOME/.cache/crossbyte}"
out="${CROSSBYTE_BENCH_OUT:-$repo/build/bench}"
models="$cache/bench-models"
ours="-"; repeats=7; threads="1,2"; engines="crossbyte-int8,crossbyte-f32,ort-f32,ort-int8,st-torch-f32"; min_time=2; fidelity=1; only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --ours) ours="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --engines) engines="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --quick) repeats=1; threads=1; min_time=0; shift ;;
    --min-time) min_time="$2"; shift 2 ;;
    --no-fidelity) fidelity=0; shift ;;
    -h|--help) sed -n 2,17p "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
py="$("$here/setup.sh" | tail -n 1)"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
echo "== models -> $models" >&2
"$py" "$here/make_models.py" "$models" --only "$only" 2> "$out/make_models.log" || { cat "$out/make_models.log" >&2; exit 1; }
# crossbyte's own files, converted by the build under test (build/, from tools/setup.sh).
if [[ "$engines" == *crossbyte* || "$engines" == all ]]; then
  [ -x "$repo/build/crossbyte" ] && [ -x "$repo/build/crossbyte-bench" ] \
    || { echo "run.sh: build/crossbyte and build/crossbyte-bench are missing: run tools/setup.sh" >&2; exit 1; }
  for m in "$models"/*/; do
    m=${m%/}
    [ -f "$m/config.json" ] || continue
    case ",$only," in ",,"|*",$(basename "$m"),"*) ;; *) continue ;; esac
    "$repo/build/crossbyte" convert "$m" -o "$m/crossbyte-f32.cbm" --dtype f32 >&2
    "$repo/build/crossbyte" convert "$m" -o "$m/crossbyte-int8.cbm" --dtype int8 >&2
  done
fi
if [ "$fidelity" = 1 ]; then
  echo "== fidelity -> $out/fidelity.md" >&2
  "$py" "$here/fidelity.py" --json "$out/fidelity.json" > "$out/fidelity.md" 2> "$out/fidelity.log" \
    || { cat "$out/fidelity.log" >&2; exit 1; }
  cat "$out/fidelity.md"
fi
echo "== peers (repeats=$repeats threads=$threads engines=$engines) -> $out/peers.json" >&2
"$py" "$here/peers.py" --models "$models" --threads "$threads" --repeats "$repeats" \
  --engines "$engines" --only "$only" --min-time "$min_time" --json "$out/peers.json"
fid_arg=()
[ "$fidelity" = 1 ] && fid_arg=(--fidelity "$out/fidelity.json")
"$py" "$here/table.py" "$ours" "$out/peers.json" "${fid_arg[@]}" > "$out/table.md"
cat "$out/table.md"
echo "== wrote $out: peers.json table.md$([ "$fidelity" = 1 ] && echo ' fidelity.json fidelity.md')" >&2
