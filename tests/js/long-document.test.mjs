// Long documents in WebAssembly (longDocument: "chunk"), on the real trained
// reranker and tests/real/long-document.json: a relevant passage planted after
// 1,065 word pieces of unrelated text is missed by truncation (the planted and
// the control document score alike) and found by chunking (a window inside
// the planted passage, well above the control); the same scores and windows as
// the native CLI's `rank --long-document chunk`; also through the worker; and
// the options' errors.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { CLI, ROOT, WRAPPER, requireNative, scratch } from "./support.mjs";

const { CrossEncoder } = await import(WRAPPER);
const REAL = join(ROOT, "tests", "real");
const doc = JSON.parse(readFileSync(join(REAL, "long-document.json"), "utf8"));
const docs = [doc.planted, doc.control, doc.relevant];
const maxLength = 256; // the length the reranker was fine-tuned at
let model, path;

before(async () => {
  requireNative();
  path = join(scratch(), "real-int8.cbm");
  execFileSync(CLI, ["convert", join(REAL, "rerank-minilm-l6-dl20"), "-o", path, "--dtype", "int8"], { stdio: "ignore" });
  model = await CrossEncoder.load(path);
});
after(() => model?.dispose());

const byId = (ranked) => Object.fromEntries(ranked.map((r) => [r.corpusId, r]));

test("truncate misses the planted passage, chunk finds it", () => {
  const t = byId(model.rank(doc.query, docs, { maxLength }));
  const c = byId(model.rank(doc.query, docs, { maxLength, longDocument: "chunk" }));
  assert.equal(t[0].window, undefined);
  assert.equal(t[0].score, t[1].score, "truncation read past the filler");
  assert.ok(c[0].score > c[1].score + 0.5, `chunk: planted ${c[0].score}, control ${c[1].score}`);
  const w = c[0].window;
  assert.ok(w.end > doc.planted_begin && w.begin < doc.planted_end, `best window ${w.begin}-${w.end}`);
  assert.equal(w.text, new TextDecoder().decode(new TextEncoder().encode(doc.planted).subarray(w.begin, w.end)));
  assert.ok(w.count > 4 && w.index >= 0 && w.index < w.count);
  // a pair that fits: the same bits as truncation
  assert.equal(c[2].score, t[2].score);
  assert.equal(c[2].window.count, 1);
  // predict agrees with rank
  const s = model.predict(docs.map((d) => [doc.query, d]), { maxLength, longDocument: "chunk" });
  assert.deepEqual(s, [0, 1, 2].map((i) => c[i].score));
  const mean = model.predict([[doc.query, doc.planted]], { maxLength, longDocument: "chunk", aggregate: "mean" })[0];
  assert.ok(mean < c[0].score);
});

test("the same scores and windows as the native CLI", () => {
  const out = execFileSync(CLI, ["rank", path, "--query", doc.query, "--max-length", String(maxLength), "--long-document", "chunk"],
    { input: docs.join("\n") + "\n" }).toString().trim().split("\n").map((l) => JSON.parse(l));
  const got = model.rank(doc.query, docs, { maxLength, longDocument: "chunk" });
  assert.deepEqual(got.map((r) => r.corpusId), out.map((r) => r.corpus_id));
  got.forEach((r, i) => {
    assert.ok(Math.abs(r.score - out[i].score) <= 1e-6, `${r.score} vs native ${out[i].score}`);
    assert.deepEqual([r.window.begin, r.window.end, r.window.index, r.window.count],
      [out[i].window.begin, out[i].window.end, out[i].window.index, out[i].window.count]);
  });
});

test("through the worker, the same results", async () => {
  const w = await CrossEncoder.load(path, { worker: true });
  try {
    const got = await w.rank(doc.query, docs, { maxLength, longDocument: "chunk", batchSize: 2 });
    const want = model.rank(doc.query, docs, { maxLength, longDocument: "chunk", batchSize: 2 });
    assert.deepEqual(got, want);
  } finally {
    w.dispose();
  }
});

test("bad options throw", () => {
  assert.throws(() => model.predict([["a", "b"]], { longDocument: "split" }), /longDocument must be "truncate" or "chunk"/);
  assert.throws(() => model.predict([["a", "b"]], { longDocument: "chunk", aggregate: "median" }), /aggregate must be "max", "first" or "mean"/);
  assert.throws(() => model.predict([["a", "b"]], { maxLength, longDocument: "chunk", stride: 200 }),
    (e) => e.code === 1 && /^stride 200: windows of max_length 256 may share at most 125 word pieces$/.test(e.message));
  assert.deepEqual(model.predict([["a", "b"]], { longDocument: "chunk", stride: 0 }), model.predict([["a", "b"]]));
});
