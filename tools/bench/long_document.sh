#!/usr/bin/env bash
# Long documents: the cost of scoring one passage of ~1k and ~4k word pieces
# with long_document chunk (every window scored, at max_length 512) against
# truncate (the first 512 tokens only), int8, on the bench models; a Markdown
# table on stdout. Chunking should cost in proportion to the passage's length.
#
#   tools/bench/long_document.sh [--threads N] [--min-time S]
# Needs build/crossbyte-bench and the bench models (tools/bench/run.sh makes them).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
models="${CROSSBYTE_CACHE:-$HOME/.cache/crossbyte}/bench-models"
threads=1; min_time=2
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --min-time) min_time="$2"; shift 2 ;;
    -h|--help) sed -n 2,8p "$0"; exit 0 ;;
    *) echo "long_document.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read())['$1'])"; }
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "CPU: $cpu ($(nproc) cores), $threads thread(s); crossbyte int8, max_length 512, default stride (a quarter of the window)"
echo
echo "| model | passage word pieces | chunk ms | truncate ms | chunk ms per 1k pieces |"
echo "|---|---|---|---|---|"
for model in minilm-l6-h384 tinybert-l2-h128; do
  m="$models/$model/crossbyte-int8.cbm"
  [ -f "$m" ] || { echo "long_document.sh: $m missing: run tools/bench/run.sh first" >&2; exit 1; }
  for n in 1000 4000; do
    c=$("$repo/build/crossbyte-bench" "$m" "$repo/tools/bench/workload.json" --workload long --long-tokens "$n" \
        --threads "$threads" --min-time "$min_time")
    t=$("$repo/build/crossbyte-bench" "$m" "$repo/tools/bench/workload.json" --workload long --long-tokens "$n" \
        --threads "$threads" --min-time "$min_time" --truncate)
    pieces=$(field long_pieces <<< "$c"); cms=$(field e2e_pass_ms <<< "$c"); tms=$(field e2e_pass_ms <<< "$t")
    printf '| %s | %s | %.1f | %.1f | %.1f |\n' "$model" "$pieces" "$cms" "$tms" "$(python3 -c "print($cms * 1000 / $pieces)")"
  done
done
