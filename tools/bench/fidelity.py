#!/usr/bin/env python3
"""Score error of ONNX Runtime f32 / dynamic-int8 against the Hugging Face
reference (`ce_predict`) on every shared/fixtures/bert-* folder and case.

    python tools/bench/fidelity.py [--fixtures /work/shared/fixtures] [--json OUT]
        [--work DIR] [--variants int8,int8-rr,q8-tjs,opt-int8] [--ours OURS.json]

For each fixture: export its HF folder to ONNX f32 (same exporter as
make_models.py) and the int8 variants into --work (default
${CROSSBYTE_CACHE:-~/.cache/crossbyte}/bench-fixtures-onnx), feed the
fixture's own input_ids / token_type_ids (exactly as CrossEncoder tokenised
them; right-padded batch, attention mask), apply CrossEncoder's activation
(Sigmoid for 1 label, unless config.json overrides it; none for several
labels) and compare with ce_predict:
  max_abs_err, mean_abs_err  on the score scale ce_predict uses (sigmoid for
                             1-label fixtures, raw logits for bert-nli-3label)
  spearman                   rank correlation of the case's scores (all labels
                             flattened for multi-label)
  top1_same                  1-label: the best-scoring pair is the same
--ours: our engine's scores in the same terms, to be scored the same way:
  {"rows": [{"engine": "crossbyte-int8", "fixture": "bert-tiny", "max_length": 512,
             "scores": [...one per pair, or a list per pair for multi-label...]}, ...]}
Output: Markdown table on stdout; --json writes {"rows": [...]} with the fields above.
"""
import argparse
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree


def activation_of(cfg):
    """'sigmoid' | 'identity' as sentence-transformers would pick for this config."""
    st = cfg.get("sentence_transformers") or {}
    name = st.get("activation_fn") or cfg.get("sbert_ce_default_activation_function")
    if name:
        if name.endswith("Identity"):
            return "identity"
        if name.endswith("Sigmoid"):
            return "sigmoid"
        raise SystemExit(f"unsupported activation {name}")
    return "sigmoid" if cfg.get("num_labels", len(cfg.get("id2label", {0: 0}))) == 1 else "identity"


def rankdata(x):
    import numpy as np
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x))
    # average ties
    xs = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and xs[j + 1] == xs[i]:
            j += 1
        if j > i:
            ranks[order[i:j + 1]] = (i + j) / 2
        i = j + 1
    return ranks


def spearman(a, b):
    import numpy as np
    ra, rb = rankdata(a), rankdata(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def compare(ref, got):
    import numpy as np
    ref = np.asarray(ref, dtype=np.float64)
    got = np.asarray(got, dtype=np.float64)
    if ref.shape != got.shape:
        raise ValueError(f"shape {got.shape} != reference {ref.shape}")
    d = np.abs(ref - got)
    row = {"max_abs_err": float(d.max()), "mean_abs_err": float(d.mean()),
           "spearman": spearman(ref.ravel(), got.ravel())}
    if ref.ndim == 1:
        row["top1_same"] = bool(int(np.argmax(ref)) == int(np.argmax(got)))
    return row


def run_case(sess, case, act):
    import numpy as np
    ids = case["input_ids"]
    tts = case.get("token_type_ids")
    T = max(len(x) for x in ids)
    B = len(ids)
    a = np.zeros((B, T), np.int64)
    m = np.zeros((B, T), np.int64)
    t = np.zeros((B, T), np.int64)
    for i, x in enumerate(ids):
        a[i, :len(x)] = x
        m[i, :len(x)] = 1
        if tts:
            t[i, :len(x)] = tts[i]
    names = {i.name for i in sess.get_inputs()}
    feed = {"input_ids": a, "attention_mask": m}
    if "token_type_ids" in names:
        feed["token_type_ids"] = t
    logits = sess.run(["logits"], feed)[0].astype(np.float64)
    if act == "sigmoid":
        s = 1 / (1 + np.exp(-logits))
    else:
        s = logits
    return s[:, 0] if s.shape[1] == 1 else s


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", default="/work/shared/fixtures")
    ap.add_argument("--work", default=os.path.join(os.environ.get("CROSSBYTE_CACHE", os.path.expanduser("~/.cache/crossbyte")),
                                                   "bench-fixtures-onnx"))
    ap.add_argument("--variants", default="int8,int8-rr,q8-tjs,opt-int8")
    ap.add_argument("--json")
    ap.add_argument("--ours", help="our scores, see module doc")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    import numpy as np  # noqa: F401
    import onnx_util
    import onnxruntime as ort
    import torch
    torch.set_num_threads(1)

    variants = [v for v in args.variants.split(",") if v]
    fixtures = sorted(d for d in glob.glob(os.path.join(args.fixtures, "bert-*"))
                      if os.path.exists(os.path.join(d, "reference.json")))
    if not fixtures:
        raise SystemExit(f"no bert-* fixtures in {args.fixtures}")
    rows = []
    refs = {}
    for fx in fixtures:
        name = os.path.basename(fx)
        cfg = json.load(open(os.path.join(fx, "config.json")))
        act = activation_of(cfg)
        ref = json.load(open(os.path.join(fx, "reference.json")))
        refs[name] = (ref, act)
        out = os.path.join(args.work, name)
        man_path = os.path.join(out, "manifest.json")
        src_stamp = str(os.path.getmtime(os.path.join(fx, "model.safetensors"))) + ",".join(variants)
        stamp = os.path.join(out, ".stamp")
        if not (os.path.exists(man_path) and os.path.exists(stamp) and open(stamp).read() == src_stamp):
            print(f"exporting {name} -> {out}", file=sys.stderr)
            onnx_util.make_onnx_set(fx, out, variants, log=lambda s: print(s, file=sys.stderr))
            open(stamp, "w").write(src_stamp)
        man = json.load(open(man_path))
        engines = [("ort-f32", "f32")] + [("ort-" + v, v) for v in variants]
        for eng, key in engines:
            so = ort.SessionOptions()
            so.intra_op_num_threads = args.threads
            sess = ort.InferenceSession(os.path.join(out, man[key]["file"]), so, providers=["CPUExecutionProvider"])
            for case in ref["cases"]:
                got = run_case(sess, case, act)
                r = {"engine": eng, "fixture": name, "max_length": case["max_length"], "n_pairs": len(case["input_ids"]),
                     "scale": act, **compare(case["ce_predict"], got)}
                rows.append(r)
    if args.ours:
        ours = json.load(open(args.ours))
        for o in ours["rows"] if isinstance(ours, dict) else ours:
            ref, act = refs[o["fixture"]]
            case = next(c for c in ref["cases"] if c["max_length"] == o["max_length"])
            rows.append({"engine": o["engine"], "fixture": o["fixture"], "max_length": o["max_length"],
                         "n_pairs": len(case["input_ids"]), "scale": act, **compare(case["ce_predict"], o["scores"])})

    eng_order = []
    for r in rows:
        if r["engine"] not in eng_order:
            eng_order.append(r["engine"])
    print("| fixture | max_length | pairs | scale | " + " | ".join(f"{e} max/mean abs err, ρ" for e in eng_order) + " |")
    print("|---|---|---|---|" + "---|" * len(eng_order))
    keys = []
    for r in rows:
        k = (r["fixture"], r["max_length"])
        if k not in keys:
            keys.append(k)
    for k in keys:
        by = {r["engine"]: r for r in rows if (r["fixture"], r["max_length"]) == k}
        any_r = next(iter(by.values()))
        cells = []
        for e in eng_order:
            r = by.get(e)
            cells.append(f"{r['max_abs_err']:.2e} / {r['mean_abs_err']:.2e}, {r['spearman']:.4f}" if r else "")
        print(f"| {k[0]} | {k[1]} | {any_r['n_pairs']} | {any_r['scale']} | " + " | ".join(cells) + " |")
    # Summary per engine: worst over all fixtures/cases.
    print()
    print("| engine | worst max_abs_err | worst mean_abs_err | min spearman | top1 same |")
    print("|---|---|---|---|---|")
    for e in eng_order:
        rs = [r for r in rows if r["engine"] == e]
        t1 = [r["top1_same"] for r in rs if "top1_same" in r]
        print(f"| {e} | {max(r['max_abs_err'] for r in rs):.2e} | {max(r['mean_abs_err'] for r in rs):.2e} | "
              f"{min(r['spearman'] for r in rs):.4f} | {sum(t1)}/{len(t1)} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"schema": "crossbyte-fidelity/1", "versions": {"onnxruntime": ort.__version__,
                                                                       "torch": torch.__version__},
                       "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
