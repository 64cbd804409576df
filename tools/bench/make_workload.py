#!/usr/bin/env python3
"""Generate tools/bench/workload.json: the fixed texts every machine benchmarks.

    python tools/bench/make_workload.py [--out tools/bench/workload.json] [--seed 20251126]

Source text: Debian package long descriptions from the apt lists on this machine.
Debian's *_Packages indices carry only the one-line synopsis (long descriptions
live in the Translation-en indices, which Debian images often skip via
Acquire::Languages "none"), so the script looks, in order, at:
  1. /var/lib/apt/lists/*_i18n_Translation-en*   (fetch: apt-get update -o Acquire::Languages=en)
  2. /var/lib/apt/lists/*_Packages*               (used only if they hold long descriptions)
  3. /var/lib/dpkg/status                         (installed packages; always has long descriptions)
Compressed indices (.lz4 .gz .xz .zst) are read with apt's own `apt-helper cat-file`.

Output: {"meta": {...}, "query": str, "passages": [100 str], "latency_pair": [str, str]}
  - query: a package synopsis of 8-12 word pieces (a real short English line)
  - passages: 100 long descriptions, each 60-250 word pieces on its own; the query
    package's own description is one of them (shuffled in), the other 99 are
    random descriptions whose lengths follow a uniform draw over 60-250.
  - latency_pair: [query, passage] that tokenises as a pair to exactly 128 tokens
    including [CLS] [SEP] [SEP] (bert-base-uncased WordPiece, no truncation).
  - batch_size (32) and rerank_order: the passage indices in the order
    sentence-transformers 6 CrossEncoder.predict batches them (character length
    of query+passage, longest first); every engine runs these same batches,
    each padded to its longest pair.
Token counts are checked with the real bert-base-uncased vocabulary
(tools/bench/vocab.txt, a copy of shared/vocab/bert-base-uncased-vocab.txt).

The file is committed: regenerate it only on purpose (the source lists differ
between machines and over time; meta records what was used).
"""
import argparse
import glob
import hashlib
import json
import os
import random
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
N_PASSAGES = 100
PASSAGE_MIN, PASSAGE_MAX = 60, 250
QUERY_MIN, QUERY_MAX = 8, 12
LATENCY_TOKENS = 128
BATCH = 32


def read_index(path):
    if path.endswith((".lz4", ".gz", ".xz", ".zst", ".bz2")):
        out = subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", path],
                             check=True, capture_output=True).stdout
        return out.decode("utf-8", "replace")
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def parse_stanzas(text):
    """Yield (package, synopsis, long_description_lines) per deb822 stanza."""
    for stanza in text.split("\n\n"):
        pkg = None
        desc = None
        lines = stanza.split("\n")
        i = 0
        while i < len(lines):
            line = lines[i]
            if line.startswith("Package:"):
                pkg = line.split(":", 1)[1].strip()
            elif re.match(r"^Description(-en)?:", line):
                synopsis = line.split(":", 1)[1].strip()
                body = []
                j = i + 1
                while j < len(lines) and lines[j].startswith(" "):
                    body.append(lines[j])
                    j += 1
                desc = (synopsis, body)
                i = j
                continue
            i += 1
        if pkg and desc:
            yield pkg, desc[0], desc[1]


def clean_long(body):
    """Debian long description -> plain text paragraphs."""
    paras, cur = [], []
    for raw in body:
        line = raw[1:] if raw.startswith(" ") else raw
        if line.strip() == ".":
            if cur:
                paras.append(" ".join(cur))
            cur = []
            continue
        s = line.strip()
        if s:
            cur.append(s)
    if cur:
        paras.append(" ".join(cur))
    text = "\n".join(p for p in paras)
    text = re.sub(r"[ \t]+", " ", text)
    return text.strip()


def find_sources():
    lists = "/var/lib/apt/lists"
    tr = sorted(glob.glob(os.path.join(lists, "*_i18n_Translation-en*")))
    tr = [p for p in tr if not p.endswith(".diff") and os.path.getsize(p) > 0]
    if tr:
        return "apt Translation-en", tr
    pk = sorted(p for p in glob.glob(os.path.join(lists, "*_Packages*")) if os.path.getsize(p) > 0)
    if pk:
        # Use them only if they carry long descriptions.
        n_long = sum(1 for _, _, body in parse_stanzas(read_index(pk[0])) if len(body) >= 2)
        if n_long > 200:
            return "apt Packages", pk
    if os.path.exists("/var/lib/dpkg/status"):
        return "dpkg status", ["/var/lib/dpkg/status"]
    sys.exit("no Debian package descriptions found; run: apt-get update -o Acquire::Languages=en")


def load_tokenizer(vocab):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    # bert-base-uncased's tokenizer.json, built from vocab.txt (same as
    # BertTokenizerFast(vocab, do_lower_case=True)); avoids importing transformers.
    with open(vocab, encoding="utf-8") as f:
        v = {line.rstrip("\n"): i for i, line in enumerate(f)}
    tok = Tokenizer(models.WordPiece(v, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                strip_accents=None, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", v["[CLS]"]), ("[SEP]", v["[SEP]"])])
    return tok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(HERE, "workload.json"))
    ap.add_argument("--seed", type=int, default=20251126)
    ap.add_argument("--vocab", default=os.path.join(HERE, "vocab.txt"))
    args = ap.parse_args()

    tok = load_tokenizer(args.vocab)

    def ntok(text):  # word pieces, no specials
        return len(tok.encode(text, add_special_tokens=False).ids)

    def npair(a, b):  # as CrossEncoder tokenises the pair, with specials
        return len(tok.encode(a, b).ids)

    kind, files = find_sources()
    seen_md5 = set()
    entries = {}  # package -> (synopsis, long)
    for path in files:
        for pkg, syn, body in parse_stanzas(read_index(path)):
            if pkg in entries:
                continue
            long = clean_long(body)
            if not long:
                continue
            h = hashlib.md5(long.encode()).hexdigest()
            if h in seen_md5:  # -dev/-doc siblings often share a description
                continue
            seen_md5.add(h)
            entries[pkg] = (syn, long)
    names = sorted(entries)
    rng = random.Random(args.seed)

    # Prefer prose: mostly ASCII letters, few list/URL artefacts.
    def prose(t):
        letters = sum(c.isalpha() for c in t)
        return letters > 0.7 * len(t) and "http" not in t and t.count("*") < 3

    # Cheap word-count prefilter, then exact word-piece counts in one batch.
    cand = [n for n in names if prose(entries[n][1]) and 30 <= len(entries[n][1].split()) <= 260]
    counts = [len(e.ids) for e in tok.encode_batch([entries[n][1] for n in cand], add_special_tokens=False)]
    tokc = dict(zip(cand, counts))
    ok = [n for n, c in zip(cand, counts) if PASSAGE_MIN <= c <= PASSAGE_MAX]
    if len(ok) < N_PASSAGES + 1:
        sys.exit(f"only {len(ok)} usable descriptions in {files}")

    # Query: a synopsis of 8-12 word pieces whose package has a usable description.
    rng.shuffle(ok)
    qpkg = next(n for n in ok if QUERY_MIN <= ntok(entries[n][0]) <= QUERY_MAX and prose(entries[n][0]))
    query = entries[qpkg][0]
    # The other 99: lengths spread evenly over 60-250 word pieces (a uniform
    # target length per passage, nearest unused description to it), so every
    # batch shape from short to near-max is exercised.
    by_len = {}
    for n in ok:
        if n != qpkg:
            by_len.setdefault(tokc[n], []).append(n)  # ok is shuffled: random pick per length
    others = []
    for _ in range(N_PASSAGES - 1):
        target = rng.randint(PASSAGE_MIN, PASSAGE_MAX)
        best = min((L for L in by_len if by_len[L]), key=lambda L: (abs(L - target), L))
        others.append(by_len[best].pop())
    chosen = others + [qpkg]
    rng.shuffle(chosen)
    passages = [entries[n][1] for n in chosen]

    # Latency pair: query + a prefix of a (different) description cut at a word
    # boundary so the pair is exactly 128 tokens with specials.
    latency = None
    for n in ok[N_PASSAGES:] + ok[:N_PASSAGES]:
        words = entries[n][1].replace("\n", " ").split(" ")
        if npair(query, " ".join(words)) < LATENCY_TOKENS:
            continue
        lo = 1
        for k in range(len(words), 0, -1):  # longest prefix with <= 128 tokens
            if npair(query, " ".join(words[:k])) <= LATENCY_TOKENS:
                lo = k
                break
        text = " ".join(words[:lo]).strip()
        if npair(query, text) == LATENCY_TOKENS:
            latency = (n, text)
            break
    if latency is None:
        sys.exit("could not build a 128-token latency pair")

    # Checks.
    lens = [ntok(p) for p in passages]
    assert len(passages) == N_PASSAGES and all(PASSAGE_MIN <= x <= PASSAGE_MAX for x in lens), lens
    assert QUERY_MIN <= ntok(query) <= QUERY_MAX
    assert npair(query, latency[1]) == LATENCY_TOKENS
    pair_lens = [npair(query, p) for p in passages]

    # Batching contract for every engine (ours included): sentence-transformers 6
    # CrossEncoder.predict sorts pairs by character length, longest first
    # (np.argsort of the negated lengths), cuts batches of 32 and pads each to
    # its longest. Recorded here so all engines run the very same batches.
    import numpy as np
    order = [int(i) for i in np.argsort([-(len(query) + len(p)) for p in passages])]
    batches = [order[i:i + BATCH] for i in range(0, len(order), BATCH)]
    padded = sum(len(b) * max(pair_lens[i] for i in b) for b in batches)

    vocab_sha = hashlib.sha256(open(args.vocab, "rb").read()).hexdigest()
    out = {
        "meta": {
            "generator": "tools/bench/make_workload.py",
            "seed": args.seed,
            "source": kind,
            # Suite/component only: the list file names start with the mirror's host name.
            "source_files": [re.sub(r"^.*_dists_", "", os.path.basename(p)) for p in files],
            "tokenizer": "bert-base-uncased WordPiece (tools/bench/vocab.txt sha256 %s)" % vocab_sha[:16],
            "query_package": qpkg,
            "query_tokens": ntok(query),
            "passage_packages": chosen,
            "passage_tokens": lens,
            "pair_tokens": pair_lens,
            "pair_tokens_total": sum(pair_lens),
            "latency_package": latency[0],
            "latency_pair_tokens": LATENCY_TOKENS,
            "padded_tokens_batched": padded,
            "note": "token counts: passages/query without specials; pair_tokens = [CLS] q [SEP] p [SEP]",
        },
        "query": query,
        "passages": passages,
        "latency_pair": [query, latency[1]],
        "batch_size": BATCH,
        "rerank_order": order,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {args.out}: source={kind} ({len(entries)} descriptions, {len(ok)} usable), "
          f"query={query!r} ({ntok(query)} tok), passages {min(lens)}-{max(lens)} tok "
          f"(mean {sum(lens)/len(lens):.0f}), pairs total {sum(pair_lens)} tok, latency pair 128 tok")


if __name__ == "__main__":
    main()
