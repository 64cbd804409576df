// SentenceEncoder (bi-encoders) in the WebAssembly wrapper against the Hugging
// Face stack (tests/real/embed, tools/bench/embed_reference.py) and against the
// native CLI on the same .cbm files: all-MiniLM-L6-v2 and bge-small-en-v1.5,
// installed by tools/setup.sh (tools/deps/models.sh).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { CLI, FIXTURES, ROOT, WRAPPER, convert, convertRealModel, scratch } from "./support.mjs";

const { CrossEncoder, SentenceEncoder } = await import(WRAPPER);

const REF = join(ROOT, "tests", "real", "embed");
const dir = scratch();
const convertModel = (name, dtype) => convertRealModel(name, dtype, dir);

function jsonl(path) {
  return readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l));
}
const sentences = jsonl(join(REF, "sentences.jsonl"));

function nativeEmbed(model, texts) {
  const input = texts.map((t) => JSON.stringify(t)).join("\n") + "\n";
  return execFileSync(CLI, ["embed", model], { input, maxBuffer: 1 << 28 }).toString("utf8").trim().split("\n").map((l) => JSON.parse(l));
}

function cosine(a, b) {
  let ab = 0, aa = 0, bb = 0;
  for (let k = 0; k < a.length; k++) {
    ab += a[k] * b[k];
    aa += a[k] * a[k];
    bb += b[k] * b[k];
  }
  return ab / Math.sqrt(aa * bb);
}

for (const [name, pooling, refFile] of [["all-MiniLM-L6-v2", "mean", "minilm.jsonl"], ["bge-small-en-v1.5", "cls", "bge-small.jsonl"]]) {
  for (const dtype of ["f32", "int8"]) {
    test(`${name} ${dtype}: encode matches ${dtype === "f32" ? "the reference and " : ""}native bits`, async () => {
      const path = convertModel(name, dtype);
      const se = await SentenceEncoder.load(path);
      try {
        assert.equal(se.dimension, 384);
        assert.equal(se.pooling, pooling);
        assert.equal(se.dtype, dtype);
        const vecs = se.encode(sentences);
        assert.equal(vecs.length, sentences.length);
        const ref = jsonl(join(REF, refFile));
        let lo = 1;
        vecs.forEach((v, i) => (lo = Math.min(lo, cosine(v, ref[i].embedding))));
        assert.ok(lo >= (dtype === "f32" ? 0.99999 : 0.99), `${name} ${dtype}: min cosine ${lo}`);
        // int8: the product promise, the same bits as the native build.
        // float32: the kernels differ (FMA natively, none in wasm SIMD), so
        // the last bits do; 1e-6 bounds it (measured: below 3e-7).
        const native = nativeEmbed(path, sentences);
        let worst = 0;
        vecs.forEach((v, i) => {
          for (let k = 0; k < v.length; k++) {
            if (dtype === "int8" && v[k] !== Math.fround(native[i][k]))
              assert.fail(`${name} int8 sentence ${i} dim ${k}: wasm ${v[k]}, native ${native[i][k]}`);
            worst = Math.max(worst, Math.abs(v[k] - native[i][k]));
          }
        });
        console.log(`${name} ${dtype}: min cosine ${lo.toFixed(7)}, wasm vs native max diff ${worst}`);
        assert.ok(worst <= 1e-6, `${name} ${dtype}: wasm and native differ by ${worst}`);
        const ids = se.tokenize(sentences.slice(0, 30));
        ids.forEach((t, i) => assert.deepEqual(t, ref[i].input_ids, `sentence ${i} ids`));
      } finally {
        se.dispose();
      }
    });
  }
}

test("encode and similarity shapes; bad input; the wrong kind of model", async () => {
  const path = convertModel("all-MiniLM-L6-v2", "f32");
  const se = await SentenceEncoder.load(path);
  const q = se.encode("How many people live in Berlin?");
  assert.ok(q instanceof Float32Array && q.length === 384);
  const docs = se.encode(["Berlin has a population of 3,520,031 registered inhabitants.", "Berlin is well known for its museums."]);
  assert.equal(docs.length, 2);
  const s = se.similarity(q, docs[0]);
  assert.equal(typeof s, "number");
  assert.ok(Math.abs(s - cosine(q, docs[0])) < 1e-12);
  const m = se.similarity([q], docs);
  assert.equal(m.length, 1);
  assert.equal(m[0].length, 2);
  assert.ok(m[0][0] > m[0][1], "the population passage is closer to the question");
  const raw = se.encode("How many people live in Berlin?", { normalize: false });
  assert.ok(Math.abs(Math.hypot(...raw) - 1) > 0.05, "normalize: false keeps the mean's own length");
  assert.ok(Math.abs(Math.hypot(...q) - 1) < 1e-5, "the model's Normalize module applies by default");
  assert.deepEqual(se.encode([]), []);

  assert.throws(() => se.encode([42]), TypeError);
  assert.throws(() => se.encode("x", { normalize: "yes" }), TypeError);
  assert.throws(() => se.encode("x", { maxLength: 1 }), (e) => e.code === 11 && /max_length 1/.test(e.message));
  assert.throws(() => se.encode("x", { maxLength: 100000 }), (e) => e.code === 11);
  assert.deepEqual(se.encode("How many people live in Berlin?"), q, "still usable after errors");

  await assert.rejects(CrossEncoder.load(path), (e) => e.code === 14 && /SentenceEncoder/.test(e.message));
  const ce = convert("bert-tiny", "f32", dir);
  await assert.rejects(SentenceEncoder.load(ce), (e) => e.code === 14 && /cross-encoder/.test(e.message));
  assert.ok(existsSync(join(FIXTURES, "bert-tiny")));
  se.dispose();
  assert.throws(() => se.encode("x"), /disposed/);
});
