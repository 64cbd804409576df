#!/usr/bin/env python3
"""int8_sim.py: crossbyte's int8 scheme simulated in PyTorch on the fixtures,
to try other quantisers before writing them in C.

    $CROSSBYTE_CACHE/bench-venv/bin/python tools/bench/int8_sim.py [SCHEME ...]

The simulation quantises what `convert --dtype int8` quantises (every encoder
linear layer: symmetric int8 per output channel; the word embeddings per row)
and, like the runtime, quantises each linear layer's input per row to XNNPACK's
asymmetric 8-bit grid. It reproduces the runtime's measured fidelity closely
(see docs/benchmarks.md), so a scheme that does not help here will not help
there. Inputs are the fixtures' own token ids; the truth is their batch_logits.

Schemes:
  float        no quantisation (must print 0: checks the harness)
  weights      int8 weights, float activations
  int8         crossbyte's scheme (round to nearest)
  gptq         GPTQ rounding (Frantar et al. 2022) from 64 calibration pairs
  smooth       SmoothQuant (Xiao et al. 2022, alpha 0.5) where it folds into a
               preceding LayerNorm or V projection, then round to nearest
  smooth+gptq  both
  int4         int4 weights per output channel (XNNPACK's qc4w), int8 activations
  int4+gptq    the same with GPTQ rounding

Calibration pairs: the query and the first 64 passages of tools/bench/workload.json
(Debian package descriptions), tokenized by each fixture's own tokenizer.
"""
import json
import math
import os
import sys

import numpy as np
import torch
from scipy.stats import spearmanr
from transformers import AutoModelForSequenceClassification, AutoTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
SCHEMES = ["float", "weights", "int8", "gptq", "smooth", "smooth+gptq", "int4", "int4+gptq"]


def quantize_weight_rows(w, levels=127):
    """Symmetric per output channel, as quant/quantize.c: int8 (127), int4 (7)."""
    s = (w.abs().amax(1, keepdim=True) / levels).clamp_min(1e-30)
    return (w / s).round().clamp(-levels, levels) * s


def quantize_activation_rows(x):
    """Per-row asymmetric 8-bit grid holding 0, as runtime/src/nn/act_quant.c."""
    lo = x.amin(-1, keepdim=True).clamp(max=0)
    hi = x.amax(-1, keepdim=True).clamp(min=0)
    scale = ((hi - lo) / 255).clamp_min(1e-30)
    zp = (-128 - lo / scale).round()
    return ((x / scale).round() + zp).clamp(-128, 127).sub(zp) * scale


def gptq(w, h, block=128, damp=0.01, levels=127):
    """GPTQ rounding on the int8 grid of quantize_weight_rows: each column's
    rounding error is spread over the columns not yet rounded, weighted by
    the inverse of the inputs' second moment h = X^T X."""
    W = w.double().clone()
    H = h.double().clone()
    n = W.shape[1]
    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    s = (W.abs().amax(1, keepdim=True) / levels).clamp_min(1e-30)
    H += torch.eye(n, dtype=H.dtype) * damp * torch.mean(torch.diag(H))
    hinv = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(H)), upper=True)
    Q = torch.zeros_like(W)
    for i1 in range(0, n, block):
        i2 = min(i1 + block, n)
        W1, E1, Hi = W[:, i1:i2].clone(), torch.zeros_like(W[:, i1:i2]), hinv[i1:i2, i1:i2]
        for i in range(i2 - i1):
            q = (W1[:, i : i + 1] / s).round().clamp(-levels, levels).mul(s).squeeze(1)
            Q[:, i1 + i] = q
            err = (W1[:, i] - q) / Hi[i, i]
            W1[:, i:] -= err.unsqueeze(1) @ Hi[i, i:].unsqueeze(0)
            E1[:, i] = err
        W[:, i2:] -= E1 @ hinv[i1:i2, i2:]
    return Q.float()


class SimLinear(torch.nn.Module):
    """A linear layer whose input is quantised per row (or, while calibrating,
    recorded: X^T X and per-channel max |x|)."""

    def __init__(self, lin):
        super().__init__()
        self.lin, self.quantize_input, self.calibrating = lin, True, False
        self.h = self.amax = self.smooth = None

    def forward(self, x):
        if self.calibrating:
            X = x.reshape(-1, x.shape[-1]).double()
            self.h = X.T @ X if self.h is None else self.h + X.T @ X
            m = X.abs().amax(0)
            self.amax = m if self.amax is None else torch.maximum(self.amax, m)
            return self.lin(x)
        if self.smooth is not None:
            x = x / self.smooth
        if self.quantize_input:
            x = quantize_activation_rows(x)
        return torch.nn.functional.linear(x, self.lin.weight, self.lin.bias)


def wrap_linears(model):
    out = []
    for name, m in list(model.named_modules()):
        for child, c in list(m.named_children()):
            full = f"{name}.{child}" if name else child
            if isinstance(c, torch.nn.Linear) and ("encoder.layer" in full or "embeddings_project" in full):
                s = SimLinear(c)
                setattr(m, child, s)
                out.append((full, s))
    return out


def smoothable(name):
    """The inputs a per-channel scale can be folded into exactly: LayerNorm
    outputs (Q/K/V, FFN up, ELECTRA's projection) and the attention context
    (into V). Not the FFN down-projection, whose input comes out of GELU."""
    return "attention.output.dense" in name or not name.endswith("output.dense")


def apply_scheme(model, tok, scheme, calib):
    linears = wrap_linears(model)
    if scheme == "float":
        for _, s in linears:
            s.quantize_input = False
        return
    emb = model.base_model.embeddings.word_embeddings.weight
    emb.data = quantize_weight_rows(emb.data)
    levels = 7 if scheme.startswith("int4") else 127
    if scheme in ("weights", "int8", "int4"):
        for _, s in linears:
            s.lin.weight.data = quantize_weight_rows(s.lin.weight.data, levels)
            s.quantize_input = scheme != "weights"
        return
    for _, s in linears:
        s.calibrating = True
    limit = min(256, model.config.max_position_embeddings - 2)
    with torch.no_grad():
        for a, b in calib:
            model(**tok(a, b, truncation=True, max_length=limit, return_tensors="pt"))
    for name, s in linears:
        s.calibrating = False
        if scheme.startswith("smooth") and smoothable(name):
            wmax = s.lin.weight.data.abs().amax(0).double()
            k = (s.amax.clamp_min(1e-5) ** 0.5 / wmax.clamp_min(1e-5) ** 0.5).float()
            s.smooth = k
            s.lin.weight.data = s.lin.weight.data * k
            s.h = s.h / torch.outer(k.double(), k.double())
        w = s.lin.weight.data
        s.lin.weight.data = gptq(w, s.h, levels=levels) if scheme.endswith("gptq") else quantize_weight_rows(w, levels)


def evaluate(scheme, names, calib):
    sq_err, min_rho, worst, below, checked = [], 1.0, 0.0, [], 0
    sigmoid = lambda x: 1 / (1 + np.exp(-x))
    for name in names:
        d = os.path.join(FIXTURES, name)
        model = AutoModelForSequenceClassification.from_pretrained(d).eval()
        tok = AutoTokenizer.from_pretrained(d)
        apply_scheme(model, tok, scheme, calib)
        ref = json.load(open(os.path.join(d, "reference.json")))
        for c in ref["cases"]:
            got = []
            with torch.no_grad():
                for i in range(len(c["pairs"])):
                    feed = {"input_ids": torch.tensor([c["input_ids"][i]])}
                    if c.get("token_type_ids") and c["token_type_ids"][i] is not None:
                        feed["token_type_ids"] = torch.tensor([c["token_type_ids"][i]])
                    got.append(model(**feed).logits[0].numpy())
            got, want = np.array(got), np.array(c["batch_logits"])
            for label in range(want.shape[1]):
                a, b = sigmoid(got[:, label]), sigmoid(want[:, label])
                rho = spearmanr(a, b).statistic
                sq_err += list(((a - b) / (b.max() - b.min())) ** 2)
                min_rho, worst = min(min_rho, rho), max(worst, float(np.abs(a - b).max()))
                checked += 1
                if rho < 0.99:
                    below.append(f"{name}@{c['max_length']}/{label} {rho:.4f}")
    rms = math.sqrt(np.mean(sq_err))
    cases = ", ".join(below) if len(below) <= 4 else f"{len(below)} of {checked}"
    print(f"| {scheme} | {rms:.4f} | {worst:.4f} | {min_rho:.4f} | {cases or '–'} |", flush=True)


def main():
    schemes = sys.argv[1:] or SCHEMES
    for s in schemes:
        if s not in SCHEMES:
            sys.exit(f"unknown scheme {s}: one of {', '.join(SCHEMES)}")
    torch.manual_seed(0)
    workload = json.load(open(os.path.join(ROOT, "tools", "bench", "workload.json")))
    calib = [(workload["query"], p) for p in workload["passages"][:64]]
    names = sorted(n for n in os.listdir(FIXTURES) if os.path.isdir(os.path.join(FIXTURES, n)))
    print("| scheme | rms error / score spread | worst max abs error (sigmoid) | min Spearman | cases under 0.99 |")
    print("|---|---|---|---|---|")
    for s in schemes:
        evaluate(s, names, calib)


if __name__ == "__main__":
    main()
