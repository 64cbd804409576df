#!/usr/bin/env python3
"""fidelity_real.py: int8 fidelity on real weights, crossbyte beside ONNX Runtime.

    $(tools/bench/setup.sh) tools/bench/fidelity_real.py [--work DIR] [--cli build/crossbyte]
        [--threads 2] [--write-peer tests/real/ort-int8-dl19.jsonl]

On the real reranker tests/real/rerank-minilm-l6-dl20 and TREC DL 2019's BM25
top-100 (4,300 pairs), against sentence-transformers' CrossEncoder.predict
(tests/real/reference-dl19.jsonl):
  - ONNX Runtime float32 and its dynamic int8 recipes (tools/bench/onnx_util.py:
    the export make_models.py uses, then quantize_dynamic per-channel QInt8,
    the headline peer; also reduce_range, and the transformer optimiser first),
    fed CrossEncoder's own tokenisation (truncation at 512, right-padded
    batches of 32, attention mask);
  - crossbyte float32 and int8 (`crossbyte convert`, `crossbyte predict`).
For each: nDCG@10 (computed by `crossbyte eval` on the engine's scores, so
every row uses the same trec_eval-checked code), its delta against the
reference's, max / mean |score - reference| (raw logits), mean per-query
Kendall tau-b against the reference, and the model file's size.
--write-peer saves ORT int8's scores (qid, pid, score) for test_real's gate
"crossbyte int8 loses less nDCG@10 than ORT int8". Prints a Markdown table.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

REAL = os.path.join(ROOT, "tests", "real")
MODEL = os.path.join(REAL, "rerank-minilm-l6-dl20")
QRELS = os.path.join(REAL, "trec-dl", "qrels.dl19-passage.txt")


def kendall_tau_b(x, y):
    n, conc, disc, tx, ty = len(x), 0, 0, 0, 0
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = x[i] - x[j], y[i] - y[j]
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                tx += 1
            elif dy == 0:
                ty += 1
            elif (dx > 0) == (dy > 0):
                conc += 1
            else:
                disc += 1
    den = ((conc + disc + tx) * (conc + disc + ty)) ** 0.5
    return (conc - disc) / den if den else float("nan")


def ndcg_of(cli, rows, scores, work, name):
    path = os.path.join(work, f"{name}.jsonl")
    with open(path, "w") as f:
        for r, s in zip(rows, scores):
            f.write(json.dumps({"qid": r["qid"], "pid": r["pid"], "query": "", "passage": "", "score": float(s)}) + "\n")
    out = subprocess.run([cli, "eval", "--candidates", path, "--qrels", QRELS, "--json"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["engines"][0]["ndcg@10"]


def ort_scores(onnx_path, rows, tokenizer, threads):
    import numpy as np
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    out = []
    for b in range(0, len(rows), 32):
        batch = rows[b:b + 32]
        enc = tokenizer([r["a"] for r in batch], [r["b"] for r in batch], padding=True, truncation="longest_first",
                        max_length=512, return_tensors="np")
        feed = {n: enc[n].astype(np.int64) for n in names}
        out += [float(v) for v in sess.run(None, feed)[0][:, 0]]
    return out


def crossbyte_scores(cli, cbm, rows, threads):
    inp = "".join(json.dumps([r["a"], r["b"]]) + "\n" for r in rows)
    out = subprocess.run([cli, "predict", cbm, "--threads", str(threads)], input=inp, check=True,
                         capture_output=True, text=True).stdout
    return [float(x) for x in out.split()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default=os.path.join(os.environ.get("CROSSBYTE_CACHE", os.path.expanduser("~/.cache/crossbyte")),
                                                   "fidelity-real"))
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "crossbyte"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--write-peer", default=None)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)

    import onnx_util
    from transformers import AutoTokenizer
    rows = [json.loads(l) for l in open(os.path.join(REAL, "reference-dl19.jsonl"))]
    ref = [r["score"] for r in rows]
    tok = AutoTokenizer.from_pretrained(MODEL)

    onnx_dir = os.path.join(a.work, "onnx")
    man_path = os.path.join(onnx_dir, "manifest.json")
    if not os.path.exists(man_path):
        onnx_util.make_onnx_set(MODEL, onnx_dir, variants=["int8", "int8-rr", "opt-int8"],
                                log=lambda m: print(m, file=sys.stderr))
    man = json.load(open(man_path))

    engines = []  # (name, how, scores, bytes)
    for key, label in (("f32", "ONNX Runtime float32"), ("int8", "ONNX Runtime int8"),
                       ("int8-rr", "ONNX Runtime int8, reduce_range"), ("opt-int8", "ONNX Runtime optimiser + int8")):
        path = os.path.join(onnx_dir, man[key]["file"])
        print(f"scoring {label}", file=sys.stderr)
        engines.append((label, man[key]["how"], ort_scores(path, rows, tok, a.threads), man[key]["bytes"]))
    for dtype in ("f32", "int8"):
        cbm = os.path.join(a.work, f"rerank-{dtype}.cbm")
        subprocess.run([a.cli, "convert", MODEL, "-o", cbm, "--dtype", dtype], check=True, capture_output=True)
        print(f"scoring crossbyte {dtype}", file=sys.stderr)
        engines.append((f"crossbyte {'float32' if dtype == 'f32' else 'int8'}", f"crossbyte convert --dtype {dtype}",
                        crossbyte_scores(a.cli, cbm, rows, a.threads), os.path.getsize(cbm)))

    if a.write_peer:
        ort8 = next(s for n, _, s, _ in engines if n == "ONNX Runtime int8")
        with open(a.write_peer, "w") as f:
            for r, s in zip(rows, ort8):
                f.write(json.dumps({"qid": r["qid"], "pid": r["pid"], "score": round(s, 7)}) + "\n")

    ref_ndcg = ndcg_of(a.cli, rows, ref, a.work, "reference")
    st_bytes = os.path.getsize(os.path.join(MODEL, "model.safetensors"))
    by_q = {}
    for i, r in enumerate(rows):
        by_q.setdefault(r["qid"], []).append(i)
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"CPU: {cpu}; {len(rows)} pairs, {len(by_q)} queries; reference nDCG@10 {ref_ndcg:.4f} "
          f"(sentence-transformers float32); safetensors (binary16) {st_bytes / 1e6:.2f} MB\n")
    print("| engine | nDCG@10 | Δ vs reference | max \\|Δscore\\| | mean \\|Δscore\\| | mean Kendall τ | file MB | recipe |")
    print("|---|---|---|---|---|---|---|---|")
    for name, how, s, size in engines:
        nd = ndcg_of(a.cli, rows, s, a.work, name.replace(" ", "_").replace(",", ""))
        diffs = [abs(x - y) for x, y in zip(s, ref)]
        taus = [kendall_tau_b([s[i] for i in ix], [ref[i] for i in ix]) for ix in by_q.values()]
        tau = sum(taus) / len(taus)
        print(f"| {name} | {nd:.4f} | {nd - ref_ndcg:+.4f} | {max(diffs):.3g} | {sum(diffs) / len(diffs):.3g} | "
              f"{tau:.4f} | {size / 1e6:.2f} | {how} |")


if __name__ == "__main__":
    main()
