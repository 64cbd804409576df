// Bad inputs throw an Error carrying the C library's message (and cb_status
// code), and the module and the instance stay usable afterwards.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";

import { WRAPPER, convert, scratch } from "./support.mjs";

const { CrossEncoder, simdSupported } = await import(WRAPPER);
const dir = scratch();
const CB_ERR_MODEL_FORMAT = 4; // crossbyte.h
const PAIRS = [
  ["how many people live in berlin?", "Berlin has 3.5 million inhabitants."],
  ["how many people live in berlin?", "Berlin is known for its museums."],
];

describe("loading", () => {
  let path, bytes, expected;
  before(async () => {
    path = convert("bert-tiny", "f32", dir);
    bytes = readFileSync(path);
    const m = await CrossEncoder.load(path);
    expected = m.predict(PAIRS);
    m.dispose();
  });

  test("SIMD is detected", () => assert.equal(simdSupported(), true));

  test("from a path, a file URL, a Uint8Array, an ArrayBuffer and an http URL", async () => {
    const server = createServer((req, res) => {
      if (req.url === "/model.cbm") res.writeHead(200, { "content-type": "application/octet-stream" }).end(bytes);
      else res.writeHead(404).end();
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    try {
      const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      const url = `http://127.0.0.1:${server.address().port}/model.cbm`;
      for (const src of [path, pathToFileURL(path), pathToFileURL(path).href, new Uint8Array(bytes), ab, url]) {
        const m = await CrossEncoder.load(src);
        assert.deepEqual(m.predict(PAIRS), expected);
        m.dispose();
      }
      await assert.rejects(CrossEncoder.load(url.replace("model.cbm", "missing.cbm")), /HTTP 404/);
    } finally {
      server.close();
    }
  });

  test("sha256: the right digest loads, a wrong one throws (code 4), a malformed one is a TypeError", async () => {
    const { createHash } = await import("node:crypto");
    const digest = createHash("sha256").update(bytes).digest("hex");
    const m = await CrossEncoder.load(path, { sha256: digest.toUpperCase() });
    assert.deepEqual(m.predict(PAIRS), expected);
    m.dispose();
    const wrong = digest.replace(/^./, (c) => (c === "0" ? "1" : "0"));
    await assert.rejects(CrossEncoder.load(new Uint8Array(bytes), { sha256: wrong }),
      (e) => e.code === 4 && e.message.includes(`SHA-256 is ${digest}, expected ${wrong}`));
    await assert.rejects(CrossEncoder.load(path, { sha256: "abc" }), TypeError);
  });

  test("what the model is", async () => {
    const m = await CrossEncoder.load(path);
    assert.equal(m.architecture, "BertForSequenceClassification");
    assert.equal(m.dtype, "f32");
    assert.equal(m.labels.length, 1);
    // bert-tiny: max_position_embeddings and tokenizer model_max_length are both 512
    assert.equal(m.maxLength, 512);
    assert.equal(m.maxPositions, 512);
    m.dispose();
    const nli = await CrossEncoder.load(convert("bert-nli-3label", "int8", dir));
    assert.deepEqual([...nli.labels], ["contradiction", "entailment", "neutral"]);
    assert.equal(nli.dtype, "int8");
    const s = nli.predict(PAIRS);
    assert.equal(s.length, 2);
    assert.equal(s[0].length, 3);
    nli.dispose();
  });

  test("corrupt model bytes throw the C message, and loading still works", async () => {
    const flipped = new Uint8Array(bytes);
    flipped[Math.floor(flipped.length / 2)] ^= 0xff;
    const bad = [
      [new Uint8Array(0), /too short/],
      [new Uint8Array(100), /^model file: not a crossbyte model \(bad magic\)$/],
      [new Uint8Array(bytes.subarray(0, bytes.length >> 1)),
        new RegExp(`^model file: ${bytes.length >> 1} bytes but the header says ${bytes.length} \\(truncated or padded\\)$`)],
      [flipped, /checksum/i],
      [new TextEncoder().encode("{\"not\": \"a model\"}".repeat(50)), /^model file: not a crossbyte model \(bad magic\)$/],
    ];
    for (const [b, re] of bad) {
      await assert.rejects(CrossEncoder.load(b), (e) => {
        assert.ok(e instanceof Error);
        assert.match(e.message, re);
        assert.equal(e.code, CB_ERR_MODEL_FORMAT, e.message);
        return true;
      });
    }
    await assert.rejects(CrossEncoder.load(42), TypeError);
    await assert.rejects(CrossEncoder.load(`${dir}/no-such-file.cbm`), /ENOENT|no such file/);
    const m = await CrossEncoder.load(bytes);
    assert.deepEqual(m.predict(PAIRS), expected);
    m.dispose();
  });
});

describe("calls", () => {
  let m, nli, expected;
  before(async () => {
    m = await CrossEncoder.load(convert("bert-tiny", "int8", dir));
    nli = await CrossEncoder.load(convert("bert-nli-3label", "f32", dir));
    expected = m.predict(PAIRS);
  });
  after(() => {
    m.dispose();
    nli.dispose();
  });
  const usable = () => assert.deepEqual(m.predict(PAIRS), expected);

  test("non-string texts throw TypeError", () => {
    for (const bad of [42, null, undefined, {}, ["a"], Symbol.iterator]) {
      assert.throws(() => m.predict([["q", bad]]), TypeError);
      assert.throws(() => m.predict([[bad, "p"]]), TypeError);
      assert.throws(() => m.rank(bad, ["p"]), TypeError);
      assert.throws(() => m.rank("q", ["p", bad]), TypeError);
      assert.throws(() => m.tokenize([["q", bad]]), TypeError);
    }
    assert.throws(() => m.predict("q"), TypeError);
    assert.throws(() => m.predict([["only one"]]), TypeError);
    assert.throws(() => m.rank("q", "p"), TypeError);
    assert.throws(() => m.predict(PAIRS, { maxLength: 2.5 }), TypeError);
    assert.throws(() => m.predict(PAIRS, { activation: "relu" }), TypeError);
    usable();
  });

  test("a huge text throws the C error and leaves the module usable", () => {
    const huge = "a".repeat(17 * 1024 * 1024);
    assert.throws(() => m.predict([["q", huge]]), (e) => e instanceof Error && /too long|exceeds|bytes/i.test(e.message) && e.code === 10);
    assert.throws(() => m.rank(huge, ["p"]), (e) => e.code === 10);
    assert.throws(() => m.tokenize([[huge, "p"]]), (e) => e.code === 10);
    usable();
    // just under the limit works (truncated to max_length like Hugging Face)
    const big = "word ".repeat(200000);
    const [s] = m.predict([["q", big]]);
    assert.ok(Number.isFinite(s));
    assert.equal(m.tokenize([["q", big]], { maxLength: 16 })[0].inputIds.length, 16);
    usable();
  });

  test("C errors: max_length, rank on several labels, invalid UTF-8 free strings", () => {
    assert.throws(() => m.predict(PAIRS, { maxLength: 1 }), (e) => e.code === 11 && /max_length 1/.test(e.message));
    assert.throws(() => m.predict(PAIRS, { maxLength: 100000 }), (e) => e.code === 11);
    assert.throws(() => m.predict(PAIRS, { maxLength: 0 }), (e) => e instanceof RangeError && e.code === 11);
    assert.throws(() => m.rank("q", ["d"], { maxLength: 0 }), RangeError);
    assert.throws(() => m.predict(PAIRS, { batchSize: 100000 }), (e) => e.code === 1);
    assert.throws(() => nli.rank("q", ["a", "b"]), (e) => e.code === 13 && /one label/.test(e.message));
    // lone surrogates become U+FFFD in UTF-8: no error
    assert.equal(m.predict([["\ud800", "x\udfff"]]).length, 1);
    usable();
  });

  test("options: raw logits, activation, batch size, empty input", () => {
    const raw = m.predict(PAIRS, { raw: true });
    raw.forEach((r, i) => assert.ok(Math.abs(1 / (1 + Math.exp(-r)) - expected[i]) < 1e-6));
    assert.deepEqual(m.predict(PAIRS, { activation: "sigmoid" }), expected);
    assert.deepEqual(m.predict(PAIRS, { batchSize: 1 }), expected);
    assert.deepEqual(m.predict([]), []);
    assert.deepEqual(m.rank("q", []), []);
    // Each probability against the softmax (in double) of the raw logits, not
    // only their sum, which any softmax gets right.
    const soft = nli.predict(PAIRS, { activation: "softmax" });
    const logits = nli.predict(PAIRS, { raw: true });
    soft.forEach((r, i) => {
      const mx = Math.max(...logits[i]), e = logits[i].map((l) => Math.exp(l - mx)), sum = e.reduce((a, b) => a + b);
      r.forEach((p, j) => assert.ok(Math.abs(p - e[j] / sum) < 1e-6, `pair ${i} label ${j}: ${p} vs ${e[j] / sum}`));
    });
  });

  test("dispose: later calls throw, other instances unaffected", async () => {
    const other = await CrossEncoder.load(convert("bert-tiny", "int8", dir));
    other.dispose();
    other.dispose();
    assert.throws(() => other.predict(PAIRS), /disposed/);
    usable();
  });
});
