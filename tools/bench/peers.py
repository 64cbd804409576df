#!/usr/bin/env python3
"""Benchmark the peers (ONNX Runtime f32/int8, sentence-transformers on PyTorch)
on tools/bench/workload.json, each run in its own subprocess.

    python tools/bench/peers.py --models DIR --threads 1,2 --repeats 7 --json OUT
        [--engines ort-f32,ort-int8,st-torch-f32 | all] [--only minilm-l6-h384,...]
        [--workloads rerank100,pair128] [--min-time 2] [--workload FILE]

DIR is what make_models.py wrote. Engines:
  st-torch-f32  sentence_transformers.CrossEncoder(folder, max_length=512).predict(pairs,
                batch_size=32) on PyTorch float32 (the baseline)
  ort-f32       onnxruntime, onnx/model.onnx (plain torch.onnx export; ORT's own
                graph optimisations at ORT_ENABLE_ALL, the default)
  ort-int8      onnx/model_int8.onnx: quantize_dynamic(per_channel=True, QInt8)
  extra (with --engines all or by name):
  ort-opt-f32   onnx/model_opt.onnx   ORT transformer optimiser (fused Attention...)
  ort-opt-int8  onnx/model_opt_int8.onnx  optimiser, then quantize_dynamic (QAttention)
  ort-int8-rr   onnx/model_int8_rr.onnx   + reduce_range (ORT's advice without VNNI)
  ort-q8-tjs    onnx/model_quantized.onnx transformers.js "q8" recipe (QUInt8 + reduce_range)

Each (repeat, model, workload, threads, engine) is one fresh process: it
imports, loads, predicts the latency pair once (load_first_ms), warms up on the
longest batch, then times end-to-end passes (text -> scores: tokenise, run,
activation) and model-only passes (pre-tokenised tensors -> scores), and
reports resource.getrusage peak RSS. Engines are alternated (rotated each
repeat); rows are medians over repeats. See README.md for the JSON schema.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ENGINES = ["ort-f32", "ort-int8", "st-torch-f32"]
ORT_FILES = {
    "ort-f32": "model.onnx",
    "ort-int8": "model_int8.onnx",
    "ort-opt-f32": "model_opt.onnx",
    "ort-opt-int8": "model_opt_int8.onnx",
    "ort-int8-rr": "model_int8_rr.onnx",
    "ort-q8-tjs": "model_quantized.onnx",
}
# crossbyte itself, run in the same rotation: build/crossbyte-bench on the
# .cbm files run.sh converts into each model folder.
OUR_FILES = {"crossbyte-int8": "crossbyte-int8.cbm", "crossbyte-f32": "crossbyte-f32.cbm"}
OUR_BENCH = os.environ.get("CROSSBYTE_BENCH_BIN", os.path.join(HERE, "..", "..", "build", "crossbyte-bench"))
# The Python package (python/, issue 13) on the int8 file, in the venv
# tools/setup.sh installs it into (CROSSBYTE_PY overrides that python).
PY_VENV = os.path.join(os.environ.get("CROSSBYTE_CACHE", os.path.expanduser("~/.cache/crossbyte")), "py-venv")
OUR_PY = os.environ.get("CROSSBYTE_PY", os.path.join(PY_VENV, "bin", "python"))
ALL_ENGINES = ["ort-f32", "ort-int8", "st-torch-f32", "ort-opt-f32", "ort-opt-int8", "ort-int8-rr", "ort-q8-tjs",
               "crossbyte-int8", "crossbyte-f32", "crossbyte-python"]
WORKLOADS = ["rerank100", "pair128"]
MiB = 1024 * 1024


# --------------------------------------------------------------------------- child

def vm_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def child(spec):
    t_proc = time.perf_counter()
    engine, folder, threads = spec["engine"], spec["folder"], spec["threads"]
    wl = json.load(open(spec["workload_file"], encoding="utf-8"))
    query = wl["query"]
    if spec["workload"] == "rerank100":
        pairs = [[query, p] for p in wl["passages"]]
        order = wl["rerank_order"]
        bs = wl["batch_size"]
        batches = [order[i:i + bs] for i in range(0, len(order), bs)]
    else:
        pairs = [list(wl["latency_pair"])]
        batches = [[0]]
    res = {"spec": spec}

    if engine.startswith("ort-"):
        import numpy as np
        import onnxruntime as ort
        from tokenizers import Tokenizer
        res["import_ms"] = (time.perf_counter() - t_proc) * 1e3
        res["rss_import_mb"] = vm_rss_mib()
        model_file = os.path.join(folder, "onnx", ORT_FILES[engine])

        t0 = time.perf_counter()
        tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
        tok.enable_truncation(max_length=512, strategy="longest_first")
        pad_id = tok.token_to_id("[PAD]")
        tok.enable_padding(pad_id=pad_id, pad_token="[PAD]")  # pad to batch longest
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(model_file, so, providers=["CPUExecutionProvider"])
        in_names = {i.name for i in sess.get_inputs()}

        def feed_of(encs):
            f = {"input_ids": np.array([e.ids for e in encs], dtype=np.int64),
                 "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64)}
            if "token_type_ids" in in_names:
                f["token_type_ids"] = np.array([e.type_ids for e in encs], dtype=np.int64)
            return f

        def run_feed(f):
            logits = sess.run(["logits"], f)[0]
            return 1.0 / (1.0 + np.exp(-logits[:, 0]))  # CrossEncoder default for 1 label

        def e2e(batch_list):
            out = [None] * len(pairs)
            for b in batch_list:
                s = run_feed(feed_of(tok.encode_batch([tuple(pairs[i]) for i in b])))
                for i, v in zip(b, s):
                    out[i] = float(v)
            return out

        # First predict: the latency pair, from text.
        res["first_score"] = float(run_feed(feed_of([tok.encode(*wl["latency_pair"])]))[0])
        res["load_first_ms"] = (time.perf_counter() - t0) * 1e3
        feeds = [(b, feed_of(tok.encode_batch([tuple(pairs[i]) for i in b]))) for b in batches]

        def model_only():
            out = [None] * len(pairs)
            for b, f in feeds:
                for i, v in zip(b, run_feed(f)):
                    out[i] = float(v)
            return out

        res["file_bytes"] = os.path.getsize(model_file)
        res["versions"] = {"onnxruntime": ort.__version__, "numpy": np.__version__}
        res["padded_tokens"] = int(sum(f["input_ids"].size for _, f in feeds))
        warm = lambda: e2e(batches[:1])  # noqa: E731
    elif engine == "st-torch-f32":
        import torch
        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
        from sentence_transformers import CrossEncoder
        import sentence_transformers
        import transformers
        res["import_ms"] = (time.perf_counter() - t_proc) * 1e3
        res["rss_import_mb"] = vm_rss_mib()

        t0 = time.perf_counter()
        ce = CrossEncoder(folder, max_length=512, device="cpu")
        res["first_score"] = float(ce.predict([list(wl["latency_pair"])], batch_size=32,
                                              show_progress_bar=False)[0])
        res["load_first_ms"] = (time.perf_counter() - t0) * 1e3
        act = ce.activation_fn

        def e2e(batch_list):
            sub = [i for b in batch_list for i in b]
            s = ce.predict([pairs[i] for i in sub], batch_size=32, show_progress_bar=False)
            out = [None] * len(pairs)
            for i, v in zip(sub, s):
                out[i] = float(v)
            return out

        feeds = [(b, ce.preprocess([pairs[i] for i in b])) for b in batches]

        def model_only():
            out = [None] * len(pairs)
            with torch.inference_mode():
                for b, f in feeds:
                    s = act(ce(f)["scores"]).squeeze(-1)
                    for i, v in zip(b, s.tolist()):
                        out[i] = float(v)
            return out

        res["file_bytes"] = os.path.getsize(os.path.join(folder, "model.safetensors"))
        res["versions"] = {"torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__,
                           "transformers": transformers.__version__}
        res["padded_tokens"] = int(sum(f["input_ids"].numel() for _, f in feeds))
        try:
            res["st_flattens_inputs"] = bool(ce._can_flatten_inputs())
        except Exception:
            res["st_flattens_inputs"] = None
        warm = lambda: e2e(batches[:1])  # noqa: E731
    elif engine == "crossbyte-python":
        import crossbyte
        res["import_ms"] = (time.perf_counter() - t_proc) * 1e3
        res["rss_import_mb"] = vm_rss_mib()
        model_file = os.path.join(folder, OUR_FILES["crossbyte-int8"])
        t0 = time.perf_counter()
        ce = crossbyte.CrossEncoder(model_file, max_length=512, num_threads=threads)
        res["first_score"] = float(ce.predict(list(wl["latency_pair"])))
        res["load_first_ms"] = (time.perf_counter() - t0) * 1e3
        flat = [i for b in batches for i in b]  # the workload's order, batches of bs

        class TimedModel:
            """ce._model with each library call timed inside C (predict(timed=True)):
            the pass's time minus this is what the binding itself costs, measured on
            the same calls rather than against another process's run."""
            def __init__(self, m):
                self.m, self.c_s = m, 0.0

            def predict(self, *a):
                buf, secs = self.m.predict(*a, timed=True)
                self.c_s += secs
                return buf

            def __getattr__(self, name):
                return getattr(self.m, name)

        timed_model = TimedModel(ce._model)
        ce._model = timed_model
        c_share = []  # (pass ms, ms inside cb_predict) of each timed end-to-end pass

        def e2e(batch_list):
            sub = [i for b in batch_list for i in b]
            todo = [pairs[i] for i in sub]
            timed_model.c_s = 0.0
            t = time.perf_counter()
            s = ce.predict(todo, batch_size=bs if spec["workload"] == "rerank100" else 32)
            c_share.append(((time.perf_counter() - t) * 1e3, timed_model.c_s * 1e3))  # predict() alone
            out = [None] * len(pairs)
            for i, v in zip(sub, s.tolist()):
                out[i] = v
            return out

        model_only = lambda: e2e(batches)  # noqa: E731  (texts in: the binding has no tensor input)
        res["file_bytes"] = os.path.getsize(model_file)
        res["versions"] = {"crossbyte": crossbyte.__version__, "xnnpack_int8_kernels": crossbyte.int8_gemm_kernels()}
        res["padded_tokens"] = sum(len(t) for t in ce.tokenize([pairs[i] for i in flat], 512)["input_ids"])
        warm = lambda: e2e(batches[:1])  # noqa: E731
    else:
        raise SystemExit(f"unknown engine {engine}")

    all_batches = batches

    def timed(fn, min_time, min_iter, max_iter):
        ts, first = [], None
        t_all = time.perf_counter()
        while True:
            t = time.perf_counter()
            out = fn()
            ts.append((time.perf_counter() - t) * 1e3)
            first = first if first is not None else out
            if len(ts) >= max_iter or (len(ts) >= min_iter and time.perf_counter() - t_all >= min_time):
                return ts, first

    # Warm-up: one untimed model-only pass over every batch shape (allocators,
    # ORT per-shape caches, oneDNN/MLAS packing), and the tokeniser once.
    warm()
    model_only()
    if spec["workload"] == "rerank100":
        mi, ma = 1, 50
    else:
        mi, ma = 10, 2000
        for _ in range(3):
            e2e(all_batches)
            model_only()
    if spec["engine"] == "crossbyte-python":
        c_share.clear()
    ts_e2e, scores_e2e = timed(lambda: e2e(all_batches), spec["min_time"], mi, ma)
    if spec["engine"] == "crossbyte-python":
        # the binding's cost per pass: median of (pass - time inside the library)
        res["binding_ms"] = statistics.median(p - c for p, c in c_share)
        res["library_ms"] = statistics.median(c for _, c in c_share)
    ts_mod, scores_mod = timed(model_only, spec["min_time"], mi, ma)
    import resource
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res["n_pairs"] = len(pairs)
    res["e2e_pass_ms"] = statistics.median(ts_e2e)
    res["model_pass_ms"] = statistics.median(ts_mod)
    res["e2e_passes"] = len(ts_e2e)
    res["model_passes"] = len(ts_mod)
    res["scores"] = scores_e2e
    res["e2e_vs_model_max_diff"] = max(abs(a - b) for a, b in zip(scores_e2e, scores_mod))
    res["wall_s"] = time.perf_counter() - t_proc
    return res


# --------------------------------------------------------------------------- parent

def thread_env(threads):
    env = dict(os.environ)
    env.update({
        "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads), "RAYON_NUM_THREADS": str(threads),
        "TOKENIZERS_PARALLELISM": "true" if threads > 1 else "false",
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
        "PYTHONWARNINGS": "ignore", "TRANSFORMERS_VERBOSITY": "error",
    })
    return env


def busy_jiffies():
    """Machine-wide non-idle CPU time (jiffies) from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)  # idle + iowait
    return sum(v[:8]) - idle


def run_child(spec, timeout):
    import resource
    hz = os.sysconf("SC_CLK_TCK")
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    b0, t0 = busy_jiffies(), time.perf_counter()
    if spec["engine"] in OUR_FILES:
        cmd = [OUR_BENCH, os.path.join(spec["folder"], OUR_FILES[spec["engine"]]), spec["workload_file"],
               "--workload", spec["workload"], "--threads", str(spec["threads"]),
               "--min-time", str(spec["min_time"])]
    elif spec["engine"] == "crossbyte-python":
        cmd = [OUR_PY, os.path.abspath(__file__), "--child", json.dumps(spec)]
    else:
        cmd = [sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)]
    p = subprocess.run(cmd, env=thread_env(spec["threads"]), capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t0
    b1, ru1 = busy_jiffies(), resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise RuntimeError(f"child failed ({spec['engine']} {spec['model']} t{spec['threads']} "
                           f"{spec['workload']}):\n{p.stderr[-4000:]}")
    res = json.loads(p.stdout.strip().splitlines()[-1])
    # CPU used by everything else on the machine while the child ran, in cores:
    # a benchmark on a shared box is only as good as this is close to 0.
    own = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    res["other_cpu_cores"] = max(0.0, ((b1 - b0) / hz - own) / wall)
    return res


def cpu_info():
    info = {"machine": platform.machine(), "nproc": os.cpu_count()}
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                fl = set(line.split(":", 1)[1].split())
                info["isa"] = sorted(f for f in fl if f.startswith(("avx", "fma", "amx", "sse4")))
                break
    except OSError:
        pass
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--models", help="dir written by make_models.py")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--json", help="output file")
    ap.add_argument("--engines", default=",".join(DEFAULT_ENGINES), help="comma list, or 'all'")
    ap.add_argument("--only", default="", help="comma list of model folder names (default: all in --models)")
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--workload", default=os.path.join(HERE, "workload.json"), help="workload file")
    ap.add_argument("--min-time", type=float, default=2.0,
                    help="per process, keep timing passes until this many seconds (rerank: >=1 pass, "
                         "pair128: >=10 runs); 0 = one pass")
    ap.add_argument("--timeout", type=float, default=900, help="per child process, seconds")
    args = ap.parse_args()

    if args.child:
        out = child(json.loads(args.child))
        sys.stdout.write("\n" + json.dumps(out) + "\n")
        return

    if not (args.models and args.json):
        ap.error("--models and --json are required")
    engines = ALL_ENGINES if args.engines == "all" else [e for e in args.engines.split(",") if e]
    for e in engines:
        if e not in ALL_ENGINES:
            ap.error(f"unknown engine {e}; known: {', '.join(ALL_ENGINES)}")
    threads = [int(t) for t in args.threads.split(",") if t]
    workloads = [w for w in args.workloads.split(",") if w]
    models = [m for m in args.only.split(",") if m] or sorted(
        d for d in os.listdir(args.models) if os.path.exists(os.path.join(args.models, d, "config.json")))
    if not models:
        ap.error(f"no model folders in {args.models} (run make_models.py)")

    runs = {}
    t_start = time.time()
    n_total = args.repeats * len(models) * len(workloads) * len(threads) * len(engines)
    n_done = 0
    for r in range(args.repeats):
        for model in models:
            for wl in workloads:
                for th in threads:
                    k = r % len(engines)
                    for eng in engines[k:] + engines[:k]:  # alternate engine order per repeat
                        spec = {"engine": eng, "model": model, "folder": os.path.join(args.models, model),
                                "threads": th, "workload": wl, "workload_file": os.path.abspath(args.workload),
                                "min_time": args.min_time, "repeat": r}
                        res = run_child(spec, args.timeout)
                        runs.setdefault((eng, model, th, wl), []).append(res)
                        n_done += 1
                        el = time.time() - t_start
                        print(f"[{n_done}/{n_total} {el:.0f}s, ~{el / n_done * (n_total - n_done):.0f}s left] "
                              f"r{r} {model} {wl} t{th} {eng}: e2e {res['e2e_pass_ms'] / res['n_pairs']:.2f} "
                              f"ms/pair, model {res['model_pass_ms'] / res['n_pairs']:.2f} ms/pair, "
                              f"load+first {res['load_first_ms']:.0f} ms, rss {res['peak_rss_mb']:.0f} MiB, "
                              f"other load {res['other_cpu_cores']:.2f} cores",
                              file=sys.stderr, flush=True)

    rows, checks, versions = [], [], {}
    med = statistics.median
    for (eng, model, th, wl), rs in runs.items():
        n = rs[0]["n_pairs"]
        versions.update(rs[0]["versions"])
        for mode, key in (("e2e", "e2e_pass_ms"), ("model", "model_pass_ms")):
            pass_ms = med(x[key] for x in rs)
            rows.append({
                "engine": eng, "model": model, "threads": th, "workload": wl, "mode": mode,
                "pairs_per_s": n * 1e3 / pass_ms,
                "ms_per_pair": pass_ms / n,
                "peak_rss_mb": med(x["peak_rss_mb"] for x in rs),
                "file_mb": rs[0]["file_bytes"] / MiB,
                "load_first_ms": med(x["load_first_ms"] for x in rs),
                # extras (not required by table.py)
                "n_pairs": n, "repeats": len(rs),
                "ms_per_pair_min": min(x[key] for x in rs) / n,
                "ms_per_pair_max": max(x[key] for x in rs) / n,
                "samples_pass_ms": [round(x[key], 3) for x in rs],
                "import_ms": med(x["import_ms"] for x in rs),
                "rss_import_mb": med(x["rss_import_mb"] for x in rs),
                "padded_tokens": rs[0]["padded_tokens"],
                "file": ORT_FILES.get(eng, OUR_FILES.get(eng, "model.safetensors")),
                "other_cpu_cores_max": max(x["other_cpu_cores"] for x in rs),
                "versions": rs[0]["versions"],
            })
            if "binding_ms" in rs[0] and mode == "e2e":
                # the Python binding's own cost, measured inside each pass (see TimedModel)
                rows[-1]["binding_ms_per_pass"] = med(x["binding_ms"] for x in rs)
                rows[-1]["library_ms_per_pass"] = med(x["library_ms"] for x in rs)
    # Score agreement with the PyTorch baseline (same process-independent inputs).
    for (eng, model, th, wl), rs in runs.items():
        base = runs.get(("st-torch-f32", model, th, wl))
        if base and eng != "st-torch-f32":
            a, b = rs[0]["scores"], base[0]["scores"]
            checks.append({"engine": eng, "model": model, "threads": th, "workload": wl,
                           "max_abs_diff_vs_st_torch_f32": max(abs(x - y) for x, y in zip(a, b))})
    busy = max(x["other_cpu_cores"] for rs in runs.values() for x in rs)
    if busy > 0.1:
        print(f"WARNING: other processes used up to {busy:.2f} cores during some runs; "
              f"numbers are contaminated (see other_cpu_cores_max per row)", file=sys.stderr)
    wl_meta = json.load(open(args.workload, encoding="utf-8"))["meta"]
    out = {
        "schema": "crossbyte-bench/1",
        "meta": {
            "tool": "tools/bench/peers.py", "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "args": vars(args), "python": sys.version.split()[0], "versions": versions,
            "host": cpu_info(), "workload_sha_source": wl_meta.get("source"),
            "wall_s": time.time() - t_start,
            "other_cpu_cores_max": busy,
            "st_flattens_inputs": next((r[0].get("st_flattens_inputs") for k, r in runs.items()
                                        if k[0] == "st-torch-f32"), None),
            "score_checks": checks,
        },
        "rows": sorted(rows, key=lambda x: (x["model"], x["workload"], x["mode"], x["threads"], x["engine"])),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {args.json}: {len(rows)} rows in {time.time() - t_start:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
