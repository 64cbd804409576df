"""Shared helpers for tools/bench: ONNX export + ORT dynamic int8 variants.

Imported by make_models.py and fidelity.py (both run in the bench venv).
No network: everything loads from local folders (HF_HUB_OFFLINE is forced).
"""
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# ORT dynamic-quantisation recipes written beside model.onnx.
#   name -> (file, description, kwargs for quantize_dynamic, optimise first?)
# "int8" is what peers.py calls ort-int8 (the headline peer); the others are
# there to show the spread between ORT's documented options.
INT8_VARIANTS = {
    # Headline: per-channel signed-int8 weights (U8S8), ORT's default op set
    # (MatMul/Gather/Attention..., so the word-embedding table is int8 too).
    "int8": ("model_int8.onnx",
             "quantize_dynamic(per_channel=True, reduce_range=False, weight_type=QInt8)",
             dict(per_channel=True, reduce_range=False, weight_type="QInt8"), False),
    # ORT's advice for AVX2/AVX-512 without VNNI (U8S8 VPMADDUBSW saturation):
    # 7-bit weights. transformers.js' "q8" (model_quantized.onnx, what
    # onnx-community/Xenova repos ship) is per_channel + reduce_range + QUInt8.
    "int8-rr": ("model_int8_rr.onnx",
                "quantize_dynamic(per_channel=True, reduce_range=True, weight_type=QInt8)",
                dict(per_channel=True, reduce_range=True, weight_type="QInt8"), False),
    "q8-tjs": ("model_quantized.onnx",
               "quantize_dynamic(per_channel=True, reduce_range=True, weight_type=QUInt8) (transformers.js q8 recipe)",
               dict(per_channel=True, reduce_range=True, weight_type="QUInt8"), False),
    # ORT's documented BERT recipe: transformer optimiser (fused Attention,
    # SkipLayerNorm, BiasGelu, EmbedLayerNorm) first, then quantize_dynamic.
    "opt-int8": ("model_opt_int8.onnx",
                 "onnxruntime.transformers.optimizer(model_type=bert) then quantize_dynamic(per_channel=True, reduce_range=False, weight_type=QInt8)",
                 dict(per_channel=True, reduce_range=False, weight_type="QInt8"), True),
}


def export_onnx(hf_dir, out_path, opset=17):
    """Export BertForSequenceClassification (or any *ForSequenceClassification) to ONNX f32.

    Inputs input_ids / attention_mask / token_type_ids (int64, [batch, seq]),
    output logits [batch, num_labels]. Tries the TorchScript exporter (the graph
    ORT's quantiser and transformer optimiser are written for), then dynamo.
    Returns a short description of the exporter used.
    """
    import torch
    from transformers import AutoModelForSequenceClassification

    # Eager attention: the classic MatMul/Softmax graph that ORT's transformer
    # optimiser recognises (SDPA traces to a graph it cannot fuse into Attention);
    # optimum exports the same way. Numerically identical.
    model = AutoModelForSequenceClassification.from_pretrained(hf_dir, dtype=torch.float32,
                                                               attn_implementation="eager")
    model.eval()
    has_tt = getattr(model.config, "type_vocab_size", 0) > 0 and model.config.model_type not in ("roberta", "deberta")

    class Wrap(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            kw = dict(input_ids=input_ids, attention_mask=attention_mask)
            if token_type_ids is not None:
                kw["token_type_ids"] = token_type_ids
            return self.m(**kw).logits

    w = Wrap(model).eval()
    ids = torch.ones(2, 16, dtype=torch.long) * 5
    mask = torch.ones(2, 16, dtype=torch.long)
    tt = torch.zeros(2, 16, dtype=torch.long)
    args = (ids, mask, tt) if has_tt else (ids, mask)
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if has_tt else [])
    dyn = {n: {0: "batch", 1: "sequence"} for n in names}
    dyn["logits"] = {0: "batch"}
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    errors = []
    with torch.no_grad():
        try:
            torch.onnx.export(w, args, out_path, input_names=names, output_names=["logits"],
                              dynamic_axes=dyn, opset_version=opset, do_constant_folding=True,
                              dynamo=False)
            how = f"torch.onnx.export(dynamo=False, opset={opset})"
        except Exception as e:  # exporter removed or failed: use dynamo
            errors.append(repr(e))
            batch = torch.export.Dim("batch", min=1, max=1024)
            seq = torch.export.Dim("sequence", min=1, max=model.config.max_position_embeddings)
            shapes = tuple({0: batch, 1: seq} for _ in names)
            prog = torch.onnx.export(w, args, input_names=names, output_names=["logits"],
                                     dynamic_shapes=shapes, opset_version=max(opset, 18), dynamo=True,
                                     external_data=False)
            prog.optimize()
            prog.save(out_path, external_data=False)
            how = f"torch.onnx.export(dynamo=True, opset={max(opset, 18)}) [TorchScript exporter failed: {errors[0][:200]}]"
    check_export(model, out_path, has_tt)
    return how


def check_export(model, onnx_path, has_tt, tol=1e-4):
    """ONNX f32 vs PyTorch on a padded batch of another shape than the trace."""
    import numpy as np
    import onnxruntime as ort
    import torch
    g = torch.Generator().manual_seed(0)
    B, T = 3, 37
    ids = torch.randint(1000, min(model.config.vocab_size, 3000), (B, T), generator=g)
    mask = torch.ones(B, T, dtype=torch.long)
    mask[1, 20:] = 0
    mask[2, 5:] = 0
    tt = torch.zeros(B, T, dtype=torch.long)
    tt[:, 10:] = 1
    kw = dict(input_ids=ids, attention_mask=mask)
    if has_tt:
        kw["token_type_ids"] = tt
    with torch.no_grad():
        ref = model(**kw).logits.numpy()
    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    got = sess.run(None, {k: v.numpy() for k, v in kw.items()})[0]
    err = float(np.abs(got - ref).max())
    if not err <= tol:
        raise RuntimeError(f"{onnx_path}: ONNX export differs from PyTorch by {err}")
    return err


def optimize_bert(src, dst, num_heads, hidden_size):
    from onnxruntime.transformers import optimizer
    m = optimizer.optimize_model(src, model_type="bert", num_heads=num_heads, hidden_size=hidden_size,
                                 opt_level=1, use_gpu=False, only_onnxruntime=False)
    m.save_model_to_file(dst)
    return m.get_fused_operator_statistics()


def quantize(src, dst, per_channel, reduce_range, weight_type):
    from onnxruntime.quantization import QuantType, quantize_dynamic
    import onnx
    # Fused contrib ops (SkipLayerNormalization...) defeat ONNX shape inference;
    # their outputs are float.
    quantize_dynamic(src, dst, per_channel=per_channel, reduce_range=reduce_range,
                     weight_type=getattr(QuantType, weight_type),
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def make_onnx_set(hf_dir, out_dir=None, variants=None, log=print):
    """Write model.onnx and the int8 variants into out_dir (default hf_dir/onnx).

    Returns a manifest dict (also written to out_dir/manifest.json).
    """
    out_dir = out_dir or os.path.join(hf_dir, "onnx")
    os.makedirs(out_dir, exist_ok=True)
    cfg = json.load(open(os.path.join(hf_dir, "config.json")))
    f32 = os.path.join(out_dir, "model.onnx")
    t0 = time.perf_counter()
    how = export_onnx(hf_dir, f32)
    man = {"f32": {"file": "model.onnx", "how": how, "bytes": os.path.getsize(f32)}}
    log(f"  f32  {f32} ({os.path.getsize(f32)/1e6:.1f} MB, {time.perf_counter()-t0:.1f}s) via {how}")
    opt = None
    for name in (variants or INT8_VARIANTS):
        fname, desc, kw, optimise = INT8_VARIANTS[name]
        src = f32
        extra = {}
        if optimise:
            if opt is None:
                opt = os.path.join(out_dir, "model_opt.onnx")
                stats = optimize_bert(f32, opt, cfg["num_attention_heads"], cfg["hidden_size"])
                man["opt-f32"] = {"file": "model_opt.onnx", "bytes": os.path.getsize(opt),
                                  "how": "onnxruntime.transformers.optimizer(model_type=bert)",
                                  "fused": {k: v for k, v in stats.items() if v}}
                log(f"  opt  {opt} fused={man['opt-f32']['fused']}")
            src = opt
        dst = os.path.join(out_dir, fname)
        t0 = time.perf_counter()
        quantize(src, dst, **kw)
        man[name] = {"file": fname, "how": desc, "bytes": os.path.getsize(dst), **extra}
        log(f"  {name:8s} {dst} ({os.path.getsize(dst)/1e6:.1f} MB, {time.perf_counter()-t0:.1f}s)")
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(man, f, indent=1)
    return man
