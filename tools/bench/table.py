#!/usr/bin/env python3
"""Merge our benchmark rows with the peers' and print Markdown tables.

    python tools/bench/table.py OURS.json PEERS.json [--fidelity FID.json] [--threads 1,2]

OURS.json: rows from build/crossbyte-bench (every engine in it counts as "ours").
PEERS.json: rows from peers.py. Either file may be {"rows": [...]} or a bare
list of rows; the row schema is in README.md. OURS.json may be "-" to print
the peers alone.

Ratios are ours ÷ peer at the same model, workload, mode and threads:
  speed ×   ours pairs/s ÷ peer pairs/s   (> 1: we are faster)
  RSS, file, load+first   ours ÷ peer     (< 1: we use less / start sooner)
Rows whose runs saw other processes using > 0.1 core are marked ⚠.
"""
import argparse
import json
import sys

REQUIRED = ["engine", "model", "threads", "workload", "mode", "pairs_per_s", "ms_per_pair",
            "peak_rss_mb", "file_mb", "load_first_ms"]
WL_NAME = {"rerank100": "rerank 100 passages (batch 32)", "pair128": "one pair, 128 tokens"}
MODE_NAME = {"e2e": "end to end from text", "model": "model only (pre-tokenised)"}


def load_rows(path):
    if path == "-":
        return []
    with open(path) as f:
        data = json.load(f)
    rows = data["rows"] if isinstance(data, dict) else data
    for i, r in enumerate(rows):
        missing = [k for k in REQUIRED if k not in r]
        if missing:
            raise SystemExit(f"{path}: row {i} lacks {missing}: {r}")
        if r["mode"] not in ("e2e", "model"):
            raise SystemExit(f"{path}: row {i}: mode must be e2e or model, not {r['mode']!r}")
    return rows


def fmt(x, digits=3):
    if x is None:
        return "—"
    if isinstance(x, float):
        if x == 0:
            return "0"
        if abs(x) >= 100:
            return f"{x:.0f}"
        if abs(x) >= 10:
            return f"{x:.1f}"
        return f"{x:.{digits - 1}f}" if abs(x) >= 1 else f"{x:.{digits}f}"
    return str(x)


def ratio(a, b):
    try:
        return a / b if a is not None and b else None
    except TypeError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ours")
    ap.add_argument("peers")
    ap.add_argument("--fidelity", help="fidelity.py --json output, summarised at the end")
    ap.add_argument("--threads", default="", help="only these thread counts")
    args = ap.parse_args()

    ours = load_rows(args.ours)
    peers = load_rows(args.peers)
    # peers.py may run crossbyte in the same rotation: those rows are ours.
    ours += [r for r in peers if r["engine"].startswith("crossbyte")]
    peers = [r for r in peers if not r["engine"].startswith("crossbyte")]
    our_engines = list(dict.fromkeys(r["engine"] for r in ours))
    peer_engines = list(dict.fromkeys(r["engine"] for r in peers))
    clash = set(our_engines) & set(peer_engines)
    if clash:
        raise SystemExit(f"engine names in both files: {clash}")
    rows = ours + peers
    if args.threads:
        keep = {int(t) for t in args.threads.split(",")}
        rows = [r for r in rows if r["threads"] in keep]
    idx = {(r["engine"], r["model"], r["workload"], r["mode"], r["threads"]): r for r in rows}
    models = list(dict.fromkeys(r["model"] for r in rows))
    workloads = [w for w in ("rerank100", "pair128") if any(r["workload"] == w for r in rows)] + \
        [w for w in dict.fromkeys(r["workload"] for r in rows) if w not in ("rerank100", "pair128")]
    threads = sorted({r["threads"] for r in rows})
    out = []
    p = out.append
    # The machine, its int8 instructions and the kernels crossbyte ran: ratios
    # hold for one machine type only.
    peers_doc = json.load(open(args.peers)) if args.peers != "-" else {}
    host = peers_doc.get("meta", {}).get("host", {}) or peers_doc.get("host", {})   # peers.py writes meta.host
    kernels = sorted({r.get("versions", {}).get("xnnpack_int8_kernels") for r in ours} - {None})
    if host or kernels:
        p(f"CPU: {host.get('cpu', '?')} ({host.get('nproc', '?')} cores), "
          f"flags: {' '.join(host.get('isa', [])) or '?'}; "
          f"crossbyte's XNNPACK int8 GEMM kernels: {', '.join(kernels) or '?'}\n")

    for model in models:
        p(f"## {model}\n")
        for wl in workloads:
            for mode in ("e2e", "model"):
                sec = [r for r in rows if r["model"] == model and r["workload"] == wl and r["mode"] == mode]
                if not sec:
                    continue
                p(f"### {model} · {WL_NAME.get(wl, wl)} · {MODE_NAME[mode]}\n")
                hdr = ["engine", "threads", "pairs/s", "ms/pair", "peak RSS MiB", "file MiB", "load+first ms"]
                hdr += [f"{e} speed ×" for e in our_engines]
                p("| " + " | ".join(hdr) + " |")
                p("|" + "---|" * len(hdr))
                for th in threads:
                    for eng in our_engines + peer_engines:
                        r = idx.get((eng, model, wl, mode, th))
                        if not r:
                            continue
                        warn = " ⚠" if (r.get("other_cpu_cores_max") or 0) > 0.1 else ""
                        name = f"**{eng}**" if eng in our_engines else eng
                        cells = [name + warn, str(th), fmt(r["pairs_per_s"]), fmt(r["ms_per_pair"]),
                                 fmt(r["peak_rss_mb"]), fmt(r["file_mb"]), fmt(r["load_first_ms"])]
                        for oe in our_engines:
                            o = idx.get((oe, model, wl, mode, th))
                            cells.append("" if eng in our_engines or not o else
                                         fmt(ratio(o["pairs_per_s"], r["pairs_per_s"])) + "×")
                        p("| " + " | ".join(cells) + " |")
                p("")
        # Resources: ours ÷ peer, per workload, end to end, lowest thread count.
        if our_engines:
            th = threads[0]
            p(f"### {model} · resources, ours ÷ peer (end to end, {th} thread{'s' if th > 1 else ''})\n")
            p("| ours | peer | workload | speed × | ms/pair ÷ | peak RSS ÷ | file ÷ | load+first ÷ |")
            p("|---|---|---|---|---|---|---|---|")
            for oe in our_engines:
                for pe in peer_engines:
                    for wl in workloads:
                        o = idx.get((oe, model, wl, "e2e", th))
                        r = idx.get((pe, model, wl, "e2e", th))
                        if not (o and r):
                            continue
                        p(f"| {oe} | {pe} | {wl} | {fmt(ratio(o['pairs_per_s'], r['pairs_per_s']))} | "
                          f"{fmt(ratio(o['ms_per_pair'], r['ms_per_pair']))} | "
                          f"{fmt(ratio(o['peak_rss_mb'], r['peak_rss_mb']))} | "
                          f"{fmt(ratio(o['file_mb'], r['file_mb']))} | "
                          f"{fmt(ratio(o['load_first_ms'], r['load_first_ms']))} |")
            p("")

    # The Python binding's own cost, measured on the same calls (peers.py times
    # cb_predict inside each crossbyte-python pass), not across two processes'
    # runs, whose difference is machine noise at this size.
    brows = [r for r in rows if "binding_ms_per_pass" in r]
    if brows:
        p("## The Python binding's own cost (crossbyte-python, end to end, measured inside each pass)\n")
        p("| model | workload | threads | pass ms | in cb_predict ms | binding µs | binding ÷ library |")
        p("|---|---|---|---|---|---|---|")
        for r in brows:
            lib = r["library_ms_per_pass"]
            p(f"| {r['model']} | {WL_NAME.get(r['workload'], r['workload'])} | {r['threads']} | "
              f"{fmt(r['ms_per_pair'] * r['n_pairs'])} | {fmt(lib)} | {r['binding_ms_per_pass'] * 1e3:.1f} | "
              f"{100 * r['binding_ms_per_pass'] / lib:.2f} % |")
        p("")

    if args.fidelity:
        fid = json.load(open(args.fidelity))
        frows = fid["rows"] if isinstance(fid, dict) else fid
        p("## Score fidelity vs Hugging Face `ce_predict` (shared/fixtures/bert-*)\n")
        p("| engine | worst max abs err | worst mean abs err | min Spearman | top-1 same |")
        p("|---|---|---|---|---|")
        for e in dict.fromkeys(r["engine"] for r in frows):
            rs = [r for r in frows if r["engine"] == e]
            t1 = [r["top1_same"] for r in rs if "top1_same" in r]
            p(f"| {e} | {max(r['max_abs_err'] for r in rs):.2e} | {max(r['mean_abs_err'] for r in rs):.2e} | "
              f"{min(r['spearman'] for r in rs):.4f} | {sum(t1)}/{len(t1)} |")
        p("\n(sigmoid scale for 1-label fixtures, raw logits for bert-nli-3label)\n")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
