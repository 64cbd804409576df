#!/usr/bin/env bash
# Reranks a few passages for a query with build/crossbyte.
#
#   tools/demo.sh [MODEL]      MODEL: a Hugging Face cross-encoder folder or a .cbm file
#
# Without MODEL it uses the small model shipped in tests/fixtures: a BERT with
# random weights on the real bert-base-uncased vocabulary. Its scores are NOT
# meaningful; it only shows the pipeline running. Pass a real cross-encoder
# (e.g. a downloaded cross-encoder/ms-marco-MiniLM-L-6-v2 folder) for real ones.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-tests/fixtures/bert-base-uncased-vocab}
if [ -z "${1:-}" ]; then
  echo "demo: no model given; using $model (random weights: the order below is NOT meaningful)" >&2
fi
query="How many people live in Berlin?"
echo "query: $query" >&2
passages=$'Berlin has a population of 3,520,031 registered inhabitants in an area of 891.82 square kilometers.\nBerlin is well known for its museums.\nThe Eiffel Tower is in Paris.\nIn 2020 the city counted about 3.7 million residents.'
printf '%s\n' "$passages" > /tmp/crossbyte-demo-passages.$$
build/crossbyte rank "$model" --query "$query" < /tmp/crossbyte-demo-passages.$$ |
  while IFS= read -r line; do
    id=$(printf '%s' "$line" | sed 's/.*"corpus_id":\([0-9]*\).*/\1/')
    printf '%s  %s\n' "$line" "$(sed -n "$((id + 1))p" /tmp/crossbyte-demo-passages.$$)"
  done
rm -f /tmp/crossbyte-demo-passages.$$
