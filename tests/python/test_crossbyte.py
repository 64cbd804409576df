"""The installed crossbyte wheel against the CLI (build/crossbyte) on every fixture."""
import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import crossbyte
from crossbyte import CrossEncoder

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
CLI = os.environ.get("CROSSBYTE_CLI", os.path.join(ROOT, "build", "crossbyte"))
NAMES = sorted(n for n in os.listdir(FIXTURES) if os.path.exists(os.path.join(FIXTURES, n, "reference.json")))


def test_installed_wheel_not_source_tree():
    assert "site-packages" in crossbyte.__file__, crossbyte.__file__


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("cbm")
    out = {}
    for n in NAMES:
        for dt in ("f32", "int8"):
            p = str(d / f"{n}-{dt}.cbm")
            CrossEncoder.convert(os.path.join(FIXTURES, n), p, dtype=dt)
            out[n, dt] = p
    return out


def cli_scores(model, pairs, max_length):
    inp = "".join(json.dumps(p) + "\n" for p in pairs)
    r = subprocess.run([CLI, "predict", model, "--max-length", str(max_length)], input=inp.encode(),
                       capture_output=True, check=True)
    return np.array([json.loads(l) for l in r.stdout.decode().splitlines()], dtype=np.float32)


@pytest.mark.parametrize("dtype", ["f32", "int8"])
@pytest.mark.parametrize("name", NAMES)
def test_fixture_equals_cli(models, name, dtype):
    ref = json.load(open(os.path.join(FIXTURES, name, "reference.json"), encoding="utf-8"))
    for case in ref["cases"]:
        m = CrossEncoder(models[name, dtype], max_length=case["max_length"])
        got = m.predict(case["pairs"])
        want = cli_scores(models[name, dtype], case["pairs"], case["max_length"])
        assert got.dtype == np.float32
        assert got.shape == ((len(case["pairs"]),) if m.num_labels == 1 else (len(case["pairs"]), m.num_labels))
        # 9 significant digits round-trip float32: equal arrays are equal bits
        assert np.array_equal(got, want.reshape(got.shape))


def test_shapes_as_sentence_transformers(models):
    m = CrossEncoder(models["bert-tiny", "int8"])
    one = m.predict(("a", "b"))
    assert isinstance(one, np.float32)
    assert m.predict([("a", "b")]).shape == (1,)
    e = m.predict([])
    assert e.shape == (0,)
    r = m.rank("q", ["x", "y", "x"], return_documents=True)
    assert [set(d) for d in r] == [{"corpus_id", "score", "text"}] * 3
    assert all(isinstance(d["score"], float) for d in r)
    assert r[0]["score"] >= r[1]["score"] >= r[2]["score"]
    ids = [d["corpus_id"] for d in r if d["text"] == "x"]
    assert ids == sorted(ids)  # ties keep document order
    assert len(m.rank("q", ["x", "y", "z"], top_k=2)) == 2
    nli = CrossEncoder(models["bert-nli-3label", "f32"])
    assert nli.predict([("a", "b"), ("c", "d")]).shape == (2, 3)
    assert nli.predict(("a", "b")).shape == (3,)
    soft = nli.predict([("a", "b")], activation_fn="identity", apply_softmax=True)
    assert abs(float(soft.sum()) - 1) < 1e-5
    with pytest.raises(ValueError):
        nli.rank("q", ["a"])


def test_bad_input_raises_and_model_stays_usable(models, tmp_path):
    m = CrossEncoder(models["bert-tiny", "int8"])
    pairs = [("how many", "people live"), ("in berlin", "?")]
    want = m.predict(pairs)
    with pytest.raises(OSError) as e:
        CrossEncoder(str(tmp_path / "missing.cbm"))
    assert isinstance(e.value, crossbyte.Error) and e.value.code == 7
    bad = tmp_path / "corrupt.cbm"
    bad.write_bytes(open(models["bert-tiny", "int8"], "rb").read()[:1000])
    with pytest.raises(crossbyte.Error):
        CrossEncoder(str(bad))
    with pytest.raises(TypeError):
        m.predict([("q", 3)])
    with pytest.raises(TypeError):
        m.predict([("q",)])
    for text in (b"\xff\xfe", "\ud800"):
        with pytest.raises(crossbyte.InvalidUTF8Error) as e:
            m.predict([("q", text)])
        assert isinstance(e.value, ValueError) and e.value.code == 9
    with pytest.raises(crossbyte.MaxLengthError) as e:
        CrossEncoder(models["bert-tiny", "int8"], max_length=1)
    assert e.value.code == 11 and "max_length 1" in str(e.value)
    with pytest.raises(ValueError):
        m.max_length = 1
    assert np.array_equal(m.predict(pairs), want)


def test_threads_share_one_model(models):
    ref = json.load(open(os.path.join(FIXTURES, "bert-minilm-h384", "reference.json"), encoding="utf-8"))
    pairs = ref["cases"][0]["pairs"]
    m = CrossEncoder(models["bert-minilm-h384", "int8"])
    want = m.predict(pairs)
    with ThreadPoolExecutor(8) as ex:
        got = list(ex.map(lambda _: m.predict(pairs, batch_size=7), range(32)))
    for g in got:
        assert np.array_equal(g, want)


def test_readme_berlin_example_equals_cli():
    model = os.path.join(ROOT, "tests", "real", "rerank-minilm-l6-dl20")
    q = "How many people live in Berlin?"
    docs = ["Berlin has a population of 3,520,031 registered inhabitants in an area of 891.82 square kilometers.",
            "Berlin is well known for its museums."]
    got = CrossEncoder(model).predict([(q, d) for d in docs])
    assert np.array_equal(got, cli_scores(model, [[q, d] for d in docs], 512))


def test_sentence_encoder_equals_cli_embed():
    folder = os.path.join(os.environ.get("CROSSBYTE_MODELS_DIR", os.path.expanduser("~/.cache/crossbyte/models")),
                          "all-MiniLM-L6-v2")
    assert os.path.isdir(folder), f"{folder} missing: tools/setup.sh installs it"
    texts = ["How many people live in Berlin?", "Berlin is well known for its museums."]
    enc = crossbyte.SentenceEncoder(folder)
    got = enc.encode(texts)
    r = subprocess.run([CLI, "embed", folder], input="".join(json.dumps(t) + "\n" for t in texts).encode(),
                       capture_output=True, check=True)
    want = np.array([json.loads(l) for l in r.stdout.decode().splitlines()], dtype=np.float32)
    assert got.dtype == np.float32 and got.shape == (2, 384)
    assert np.array_equal(got, want)
    assert enc.encode(texts[0]).shape == (384,)
    sim = enc.similarity(got, got)
    assert sim.shape == (2, 2) and abs(float(sim[0, 0]) - 1) < 1e-5
    with pytest.raises(crossbyte.WrongModelKindError):
        CrossEncoder(folder)


def test_rank_equals_cli_rank(models):
    """rank() gives `crossbyte rank`'s order and scores (ties included: the
    passage list repeats one text, so two scores are equal)."""
    ref = json.load(open(os.path.join(FIXTURES, "bert-tiny", "reference.json"), encoding="utf-8"))
    q = ref["cases"][0]["pairs"][0][0]
    docs = [p[1] for p in ref["cases"][0]["pairs"] if "\n" not in p[1] and "\r" not in p[1] and "\x00" not in p[1]]
    docs = docs[:12] + [docs[0]]
    for dt in ("f32", "int8"):
        m = CrossEncoder(models["bert-tiny", dt])
        got = m.rank(q, docs)
        r = subprocess.run([CLI, "rank", models["bert-tiny", dt], "--query", q], input=("\n".join(docs) + "\n").encode(),
                           capture_output=True, check=True)
        want = [json.loads(line) for line in r.stdout.decode().splitlines()]
        assert [g["corpus_id"] for g in got] == [w["corpus_id"] for w in want]
        assert [np.float32(g["score"]) for g in got] == [np.float32(w["score"]) for w in want]
        top = m.rank(q, docs, top_k=3, return_documents=True)
        assert [t["corpus_id"] for t in top] == [w["corpus_id"] for w in want[:3]]
        assert [t["text"] for t in top] == [docs[w["corpus_id"]] for w in want[:3]]


def test_timed_predict_gives_the_same_bytes_and_the_library_time(models):
    # the benchmark's measure of the binding's cost (tools/bench/peers.py) rests on this
    m = CrossEncoder(models["bert-tiny", "int8"])
    pairs = [("a query", "a passage of some words")] * 40
    plain = m._model.predict(pairs, 0, 8, 0)
    buf, secs = m._model.predict(pairs, 0, 8, 0, timed=True)
    assert bytes(buf) == bytes(plain)
    assert 0.0 < secs < 10.0


def test_long_document_planted_passage(tmp_path):
    """A relevant passage planted after 1,065 word pieces of unrelated text
    (tests/real/long-document.json): truncation scores it as the control
    document, chunking finds it; the same bits as `crossbyte rank`."""
    real = os.path.join(ROOT, "tests", "real")
    doc = json.load(open(os.path.join(real, "long-document.json"), encoding="utf-8"))
    q8 = str(tmp_path / "real-int8.cbm")
    CrossEncoder.convert(os.path.join(real, "rerank-minilm-l6-dl20"), q8, dtype="int8")
    docs = [doc["planted"], doc["control"], doc["relevant"]]
    m = CrossEncoder(q8, max_length=256)  # the length the reranker was fine-tuned at
    t = {r["corpus_id"]: r for r in m.rank(doc["query"], docs)}
    c = {r["corpus_id"]: r for r in m.rank(doc["query"], docs, long_document="chunk")}
    assert "window" not in t[0]
    assert t[0]["score"] == t[1]["score"]  # truncation never reads the planted passage
    assert c[0]["score"] > c[1]["score"] + 0.5
    w = c[0]["window"]
    assert w["end"] > doc["planted_begin"] and w["begin"] < doc["planted_end"], w
    assert w["text"] == doc["planted"].encode()[w["begin"]:w["end"]].decode()
    assert 1 < w["count"] and 0 <= w["index"] < w["count"]
    # a pair that fits: chunk = truncate, bit for bit
    assert c[2]["score"] == t[2]["score"] and c[2]["window"]["count"] == 1
    # predict agrees with rank, and with the CLI
    s = m.predict([(doc["query"], d) for d in docs], long_document="chunk")
    assert [float(x) for x in s] == [c[i]["score"] for i in range(3)]
    r = subprocess.run([CLI, "rank", q8, "--query", doc["query"], "--max-length", "256", "--long-document", "chunk"],
                       input="".join(d + "\n" for d in docs).encode(), capture_output=True, check=True)
    cli = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert [(x["corpus_id"], np.float32(x["score"])) for x in cli] == \
        [(x["corpus_id"], np.float32(x["score"])) for x in m.rank(doc["query"], docs, long_document="chunk")]
    assert cli[[x["corpus_id"] for x in cli].index(0)]["window"]["begin"] == w["begin"]
    # mean, and the options' errors
    mean = float(m.predict((doc["query"], doc["planted"]), long_document="chunk", aggregate="mean"))
    assert mean < c[0]["score"]
    with pytest.raises(ValueError, match="long_document is 'truncate' or 'chunk'"):
        m.predict([("a", "b")], long_document="split")
    with pytest.raises(ValueError, match="aggregate is 'max', 'first' or 'mean'"):
        m.predict([("a", "b")], long_document="chunk", aggregate="median")
    with pytest.raises(crossbyte.Error, match="stride 200: windows of max_length 256 may share at most 125 word pieces"):
        m.predict([("a", "b")], long_document="chunk", stride=200)
    assert m.predict(("a", "b"), long_document="chunk", stride=0) == m.predict(("a", "b"))
