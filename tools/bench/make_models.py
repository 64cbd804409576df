#!/usr/bin/env python3
"""Write the benchmark models: real cross-encoder shapes, random (seeded) weights.

    python tools/bench/make_models.py OUT_DIR [--seed 1234] [--only minilm-l6-h384]
           [--variants int8,int8-rr,q8-tjs,opt-int8] [--force]

OUT_DIR (a build/cache dir, never the repo) receives, per model:
  OUT_DIR/<name>/            Hugging Face folder: config.json, model.safetensors,
                             vocab.txt, tokenizer.json, tokenizer_config.json
                             (BertForSequenceClassification, 1 label; CrossEncoder
                             loads it as is and applies Sigmoid)
  OUT_DIR/<name>/onnx/       model.onnx (f32) and dynamic-int8 variants, see
                             onnx_util.INT8_VARIANTS, plus manifest.json
Models:
  minilm-l6-h384    cross-encoder/ms-marco-MiniLM-L-6-v2 shape: 6 layers, H384,
                    12 heads, FF1536, vocab 30522, 512 positions
  tinybert-l2-h128  cross-encoder/ms-marco-TinyBERT-L-2-v2 shape: 2 layers, H128,
                    2 heads, FF512, vocab 30522, 512 positions
Vocabulary: the real bert-base-uncased one (tools/bench/vocab.txt).
Idempotent: a model whose folder has a complete onnx/manifest.json built with
the same seed/variants is skipped unless --force.
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import onnx_util  # noqa: E402  (sets HF offline)

MODELS = {
    "minilm-l6-h384": dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                           intermediate_size=1536),
    "tinybert-l2-h128": dict(hidden_size=128, num_hidden_layers=2, num_attention_heads=2,
                             intermediate_size=512),
}
COMMON = dict(vocab_size=30522, max_position_embeddings=512, type_vocab_size=2,
              hidden_act="gelu", layer_norm_eps=1e-12, initializer_range=0.02,
              pad_token_id=0, num_labels=1)


def make_hf(name, out, seed, vocab):
    import torch
    from transformers import BertConfig, BertForSequenceClassification
    from transformers import BertTokenizerFast
    from transformers.models.bert.tokenization_bert import load_vocab

    torch.manual_seed(seed)
    cfg = BertConfig(**COMMON, **MODELS[name])
    cfg.id2label = {0: "LABEL_0"}
    cfg.label2id = {"LABEL_0": 0}
    model = BertForSequenceClassification(cfg).eval()
    # Random init leaves LayerNorm at (1, 0) and every bias at 0; perturb them
    # (seeded) so the int8-vs-f32 comparison is not flattered by a trivial net.
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if pname.endswith("bias"):
                p.add_(torch.randn(p.shape, generator=g) * 0.02)
            elif "LayerNorm.weight" in pname:
                p.mul_(1 + torch.randn(p.shape, generator=g) * 0.05)
    model.save_pretrained(out)
    # transformers 5: BertTokenizerFast is BertTokenizer (tokenizers backend);
    # it takes the vocabulary as a dict and saves tokenizer.json but no
    # vocab.txt, so copy that in too (the C runtime reads it).
    tok = BertTokenizerFast(vocab=load_vocab(vocab), do_lower_case=True, model_max_length=512)
    tok.save_pretrained(out)
    if not os.path.exists(os.path.join(out, "vocab.txt")):
        shutil.copyfile(vocab, os.path.join(out, "vocab.txt"))
    ids = tok("Hello world", "the quick brown fox")["input_ids"]
    if ids != [101, 7592, 2088, 102, 1996, 4248, 2829, 4419, 102]:
        raise SystemExit(f"{out}: tokenizer does not look like bert-base-uncased: {ids}")
    n = sum(p.numel() for p in model.parameters())
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--only", default="", help="comma list of model names")
    ap.add_argument("--variants", default=",".join(onnx_util.INT8_VARIANTS),
                    help="int8 variants to write (see onnx_util.INT8_VARIANTS)")
    ap.add_argument("--vocab", default=os.path.join(HERE, "vocab.txt"))
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(1)  # this is a build step: stay light on a shared box
    variants = [v for v in args.variants.split(",") if v]
    names = [n for n in args.only.split(",") if n] or list(MODELS)
    key = hashlib.sha256(json.dumps([args.seed, variants, COMMON, MODELS,
                                     hashlib.sha256(open(args.vocab, "rb").read()).hexdigest(),
                                     open(os.path.join(HERE, "onnx_util.py"), "rb").read().decode(),
                                     open(__file__, "rb").read().decode()]).encode()).hexdigest()[:16]
    for name in names:
        out = os.path.join(args.out_dir, name)
        stamp = os.path.join(out, ".crossbyte-bench-stamp")
        if not args.force and os.path.exists(stamp) and open(stamp).read().strip() == key:
            print(f"{name}: up to date in {out}")
            continue
        if os.path.exists(out):
            shutil.rmtree(out)
        os.makedirs(out)
        t0 = time.perf_counter()
        n = make_hf(name, out, args.seed, args.vocab)
        print(f"{name}: {n/1e6:.1f}M params -> {out} ({time.perf_counter()-t0:.1f}s)")
        man = onnx_util.make_onnx_set(out, os.path.join(out, "onnx"), variants)
        with open(stamp, "w") as f:
            f.write(key + "\n")
        print(f"{name}: done; files: " + ", ".join(f"{k}={v['bytes']/1e6:.1f}MB" for k, v in man.items()))


if __name__ == "__main__":
    main()
