#!/usr/bin/env bash
# Reranks the Berlin example's passages for its query with build/crossbyte.
#
#   tools/demo.sh [MODEL]      MODEL: a Hugging Face cross-encoder folder or a .cbm file
#
# Without MODEL it uses the real trained reranker in tests/real/rerank-minilm-l6-dl20
# (a small MiniLM-L6 cross-encoder fine-tuned on TREC DL 2020; DL19 nDCG@10
# 0.5192 against BM25's 0.5058 — a weak reranker, not the hub's
# cross-encoder/ms-marco-MiniLM-L-6-v2), converted to int8 once into build/.
# Then the embeddings route on the same example: sentence-transformers/
# all-MiniLM-L6-v2 (installed by tools/setup.sh, int8) ranks the passages by
# cosine with `crossbyte search`, and the reranker rescores them.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-}
if [ -z "$model" ]; then
  model=build/rerank-minilm-l6-dl20-int8.cbm
  if [ ! -f "$model" ] || [ "$model" -ot tests/real/rerank-minilm-l6-dl20/model.safetensors ]; then
    build/crossbyte convert tests/real/rerank-minilm-l6-dl20 -o "$model" --dtype int8 >&2
  fi
  echo "demo: model $model (real trained MiniLM-L6 reranker, int8; DL19 nDCG@10 0.5192 in float32, BM25 0.5058)" >&2
fi
query="How many people live in Berlin?"
echo "query: $query" >&2
passages=$'Berlin has a population of 3,520,031 registered inhabitants in an area of 891.82 square kilometers.\nBerlin is well known for its museums.\nThe Eiffel Tower is in Paris.\nIn 2020 the city counted about 3.7 million residents.'
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
printf '%s\n' "$passages" > "$tmp"
build/crossbyte rank "$model" --query "$query" < "$tmp" |
  while IFS= read -r line; do
    id=$(printf '%s' "$line" | sed 's/.*"corpus_id":\([0-9]*\).*/\1/')
    printf '%s  %s\n' "$line" "$(sed -n "$((id + 1))p" "$tmp")"
  done

# ---- the embeddings route ----
models=${CROSSBYTE_CACHE:-$HOME/.cache/crossbyte}/models
embedder=build/all-MiniLM-L6-v2-int8.cbm
if [ ! -f "$embedder" ]; then
  [ -d "$models/all-MiniLM-L6-v2" ] || { echo "demo: $models/all-MiniLM-L6-v2 is missing: run tools/setup.sh" >&2; exit 1; }
  build/crossbyte convert "$models/all-MiniLM-L6-v2" -o "$embedder" --dtype int8 >&2
fi
corpus=$(mktemp)
trap 'rm -f "$tmp" "$corpus"' EXIT
while IFS= read -r p; do printf '"%s"\n' "$p"; done < "$tmp" > "$corpus"
echo >&2
echo "demo: embeddings route: $embedder (all-MiniLM-L6-v2 bi-encoder, int8; DL19 nDCG@10 0.6424 in float32) by cosine," >&2
echo "      then $model rescoring the top 3 (crossbyte search)" >&2
build/crossbyte search "$embedder" --corpus "$corpus" --rerank "$model" --depth 3 --top-k 3 --query "$query" |
  sed 's/},{/},\n  {/g; s/"results":\[/"results":[\n  /'

