// load(src, { worker: true }): the model in a worker_threads Worker. The same
// bits as the synchronous API, progress per batch, cancellation with an
// AbortSignal, errors with the synchronous API's code and message, dispose.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { WRAPPER, convert, convertRealModel, scratch } from "./support.mjs";

const { CrossEncoder, CrossEncoderWorker, SentenceEncoder } = await import(WRAPPER);
const dir = scratch();
const QUERY = "how many people live in berlin?";
// 100 documents of different lengths: 4 batches of 32 (the last one short).
const DOCS = Array.from({ length: 100 }, (_, i) =>
  `Passage ${i}: Berlin ${["has 3.5 million inhabitants", "is known for its museums", "lies on the Spree"][i % 3]}${" and more".repeat(i % 9)}.`);
const PAIRS = DOCS.map((d) => [QUERY, d]);

/** float32 bit patterns of a (possibly nested) list of scores. */
const bits = (scores) => Array.from(new Uint32Array(Float32Array.from(scores.flat()).buffer));

/** Expects a rejection carrying exactly the synchronous call's error. */
async function sameError(promise, syncCall) {
  let want = null;
  try {
    syncCall();
  } catch (e) {
    want = e;
  }
  assert.ok(want, "the synchronous call throws");
  await assert.rejects(promise, (e) => {
    assert.equal(e.constructor, want.constructor);
    assert.equal(e.message, want.message);
    assert.equal(e.code, want.code);
    return true;
  });
}

describe("CrossEncoder in a worker", () => {
  let sync, worker, nliSync, nli;
  before(async () => {
    const path = convert("bert-minilm-h384", "int8", dir);
    sync = await CrossEncoder.load(path);
    // bytes transferred, not copied: the caller's buffer is detached
    const bytes = readFileSync(path);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    worker = await CrossEncoder.load(buffer, { worker: true });
    assert.equal(buffer.byteLength, 0, "the model's ArrayBuffer was transferred to the worker");
    const view = new Uint8Array(bytes);
    (await CrossEncoder.load(view, { worker: true })).dispose();
    assert.equal(view.byteLength, 0, "a Uint8Array over its whole buffer too");
    // a view of part of a buffer is copied: the rest is not the caller's to give away
    const part = new Uint8Array(bytes.length + 8).fill(7);
    part.set(bytes, 8);
    (await CrossEncoder.load(part.subarray(8), { worker: true })).dispose();
    assert.equal(part.byteLength, bytes.length + 8);
    const nliPath = convert("bert-nli-3label", "f32", dir);
    nliSync = await CrossEncoder.load(nliPath);
    nli = await CrossEncoder.load(nliPath, { worker: true });
  });
  after(() => {
    for (const m of [sync, worker, nliSync, nli]) m?.dispose();
  });

  test("what the model is", () => {
    assert.ok(worker instanceof CrossEncoderWorker);
    for (const k of ["architecture", "dtype", "maxLength", "maxPositions"]) assert.equal(worker[k], sync[k], k);
    assert.deepEqual([...nli.labels], [...nliSync.labels]);
  });

  test("predict, rank and tokenize give the synchronous API's bits", async () => {
    assert.deepEqual(bits(await worker.predict(PAIRS)), bits(sync.predict(PAIRS)));
    assert.deepEqual(bits(await worker.predict(PAIRS, { raw: true, batchSize: 7 })), bits(sync.predict(PAIRS, { raw: true })));
    assert.deepEqual(bits(await nli.predict(PAIRS.slice(0, 40), { activation: "softmax" })),
      bits(nliSync.predict(PAIRS.slice(0, 40), { activation: "softmax" })));
    for (const opts of [{}, { topK: 5, returnDocuments: true }, { batchSize: 10, maxLength: 16 }, { topK: 0 }]) {
      const want = sync.rank(QUERY, DOCS, opts), got = await worker.rank(QUERY, DOCS, opts);
      assert.deepEqual(got.map((r) => r.corpusId), want.map((r) => r.corpusId), JSON.stringify(opts));
      assert.deepEqual(bits(got.map((r) => r.score)), bits(want.map((r) => r.score)));
      assert.deepEqual(got, want);
    }
    // ties keep document order across batches too
    const same = Array(70).fill("the same passage");
    assert.deepEqual(await worker.rank(QUERY, same), sync.rank(QUERY, same));
    assert.deepEqual(await worker.tokenize(PAIRS.slice(0, 3), { maxLength: 12 }), sync.tokenize(PAIRS.slice(0, 3), { maxLength: 12 }));
    assert.deepEqual(await worker.predict([]), []);
    assert.deepEqual(await worker.rank(QUERY, []), []);
  });

  test("progress: once per batch, increasing, ending at the total", async () => {
    const seen = [];
    await worker.predict(PAIRS, { onProgress: (done, total) => seen.push([done, total]) });
    assert.deepEqual(seen, [[32, 100], [64, 100], [96, 100], [100, 100]]);
    seen.length = 0;
    await worker.rank(QUERY, DOCS.slice(0, 25), { batchSize: 10, onProgress: (done, total) => seen.push([done, total]) });
    assert.deepEqual(seen, [[10, 25], [20, 25], [25, 25]]);
  });

  test("abort: AbortError, the rest of the call and the calls queued with it dropped, the worker keeps working", async () => {
    const controller = new AbortController();
    const seen = [];
    const first = worker.predict(PAIRS, {
      signal: controller.signal,
      onProgress: (done) => {
        seen.push(done);
        if (done === 32) controller.abort();
      },
    });
    const queued = worker.rank(QUERY, DOCS, { signal: controller.signal, onProgress: () => assert.fail("a dropped call made progress") });
    await assert.rejects(first, { name: "AbortError" });
    await assert.rejects(queued, { name: "AbortError" });
    await assert.rejects(worker.predict(PAIRS, { signal: controller.signal }), { name: "AbortError" }, "an aborted signal is refused at once");
    assert.deepEqual(bits(await worker.predict(PAIRS)), bits(sync.predict(PAIRS)), "still usable, same bits");
    assert.deepEqual(seen, [32], "no batch after the abort");
  });

  test("errors carry the synchronous API's class, code and message", async () => {
    await sameError(worker.predict(PAIRS, { maxLength: 1 }), () => sync.predict(PAIRS, { maxLength: 1 }));
    await sameError(worker.predict(PAIRS, { maxLength: 0 }), () => sync.predict(PAIRS, { maxLength: 0 }));
    await sameError(worker.predict(PAIRS, { batchSize: 100000 }), () => sync.predict(PAIRS, { batchSize: 100000 }));
    await sameError(worker.rank(QUERY, [...DOCS.slice(0, 50), 42]), () => sync.rank(QUERY, [...DOCS.slice(0, 50), 42]));
    await sameError(worker.predict("q"), () => sync.predict("q"));
    await sameError(nli.rank(QUERY, DOCS), () => nliSync.rank(QUERY, DOCS));
    // a C error in the third batch names the caller's pair, not the batch's
    const huge = PAIRS.slice();
    huge[70] = [QUERY, "a".repeat(17 * 1024 * 1024)];
    await sameError(worker.predict(huge), () => sync.predict(huge));
    await assert.rejects(worker.predict(huge), /^Error: pair 70: text b has/);
    assert.deepEqual(bits(await worker.predict(PAIRS.slice(0, 5))), bits(sync.predict(PAIRS.slice(0, 5))));
  });

  test("dispose: the call in flight and later ones reject with a clear Error", async () => {
    const m = await CrossEncoder.load(convert("bert-minilm-h384", "int8", dir), { worker: true });
    const inFlight = m.predict(PAIRS);
    m.dispose();
    await assert.rejects(inFlight, /this CrossEncoder was disposed/);
    await assert.rejects(m.rank(QUERY, DOCS), /this CrossEncoder was disposed/);
    m.dispose(); // twice is fine
  });

  test("loading errors are the synchronous ones", async () => {
    const junk = new Uint8Array(200);
    let want;
    await CrossEncoder.load(junk).catch((e) => (want = e));
    await assert.rejects(CrossEncoder.load(new Uint8Array(200), { worker: true }), (e) => e.message === want.message && e.code === want.code);
    await assert.rejects(CrossEncoder.load(join(dir, "missing.cbm"), { worker: true }), /ENOENT|no such file/);
    await assert.rejects(CrossEncoder.load(convertRealModel("all-MiniLM-L6-v2", "int8", dir), { worker: true }), (e) => e.code === 14);
  });

  test("an undisposed worker does not keep Node running", () => {
    const script = join(dir, "exit.mjs");
    writeFileSync(script, `import { CrossEncoder } from ${JSON.stringify(WRAPPER)};
const m = await CrossEncoder.load(${JSON.stringify(convert("bert-tiny", "int8", dir))}, { worker: true });
console.log((await m.predict([["a", "b"]])).length);`);
    assert.equal(execFileSync(process.execPath, [script], { encoding: "utf8", timeout: 20000 }).trim(), "1");
  });
});

test("SentenceEncoder in a worker: encode, similarity and tokenize as the synchronous API", async () => {
  const path = convertRealModel("all-MiniLM-L6-v2", "int8", dir);
  const sync = await SentenceEncoder.load(path);
  const worker = await SentenceEncoder.load(path, { worker: true });
  try {
    assert.equal(worker.dimension, sync.dimension);
    assert.equal(worker.pooling, sync.pooling);
    const texts = DOCS.slice(0, 40), seen = [];
    const got = await worker.encode(texts, { batchSize: 16, onProgress: (done) => seen.push(done) });
    const want = sync.encode(texts);
    assert.deepEqual(seen, [16, 32, 40]);
    assert.ok(got.every((v) => v instanceof Float32Array));
    assert.deepEqual(got.map((v) => bits([...v])), want.map((v) => bits([...v])));
    const q = await worker.encode(QUERY);
    assert.deepEqual(q, sync.encode(QUERY));
    assert.deepEqual(await worker.similarity([q], got.slice(0, 3)), sync.similarity([q], want.slice(0, 3)));
    assert.deepEqual(await worker.tokenize(texts.slice(0, 2)), sync.tokenize(texts.slice(0, 2)));
    await sameError(worker.encode("x", { maxLength: 1 }), () => sync.encode("x", { maxLength: 1 }));
  } finally {
    sync.dispose();
    worker.dispose();
  }
});
