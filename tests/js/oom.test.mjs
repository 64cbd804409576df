// Out of memory inside the WebAssembly heap: the build caps growth at 2 GB
// (-sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=2GB) and makes malloc return NULL
// there instead of aborting (-sABORTING_MALLOC=0), so the C library's own
// out-of-memory paths run. A batch's activations no longer grow with the
// batch (the encoder runs it in parts of at most 6 MiB:
// runtime/src/nn/encoder.c, PART_BYTES), so the heap is filled first with
// other models (one module, one heap); then a predict call whose parts need
// more room than is left must throw an Error with code CB_ERR_OUT_OF_MEMORY
// and the library's message, and once the other models are freed the same
// model must score the next pairs with the same bits as before.
import assert from "node:assert/strict";
import { test } from "node:test";

import { WRAPPER, convert, scratch } from "./support.mjs";

const { CrossEncoder } = await import(WRAPPER);
const CB_ERR_OUT_OF_MEMORY = 2; // crossbyte.h
const PAIRS = [
  ["how many people live in berlin?", "Berlin has 3.5 million inhabitants."],
  ["how many people live in berlin?", "Berlin is known for its museums."],
];
const words = "the city of berlin has many museums and more than three million people live there".split(" ");
const doc = Array.from({ length: 140 }, (_, i) => words[i % words.length]).join(" ");
// 64 pairs of 128 tokens: one 6 MiB part of bert-tiny's activations, more
// than the few MiB a full heap has left.
const big = Array.from({ length: 64 }, () => ["how many people live in berlin?", doc]);

/** Loads models (the largest fixture, then bert-tiny) until the heap is full. */
async function fillHeap(dir) {
  const filler = [];
  for (const name of ["bert-h312-heads26", "bert-tiny"]) {
    const path = convert(name, "f32", dir);
    for (;;) {
      try {
        filler.push(await CrossEncoder.load(path, { skipChecksum: true }));
      } catch (e) {
        assert.equal(e.code, CB_ERR_OUT_OF_MEMORY, `loading filler: code ${e.code}: ${e.message}`);
        break;
      }
    }
  }
  return filler;
}

test("a batch's memory does not grow with the batch: 4,096 pairs score as 64 do", { timeout: 120_000 }, async () => {
  const m = await CrossEncoder.load(convert("bert-tiny", "f32", scratch()));
  const many = Array.from({ length: 4096 }, (_, i) => big[i % big.length]);
  // 4,096 x 128 tokens in one batch would need 2.7 GB of activations: more
  // than the heap may ever hold. In parts it scores, each pair as alone.
  const got = m.predict(many, { batchSize: 4096, maxLength: 128 });
  const want = m.predict(big.slice(0, 1), { maxLength: 128 })[0];
  assert.equal(got.length, 4096);
  assert.ok(got.every((x) => x === want), "every pair scores as it does alone");
  m.dispose();
});

test("out of memory in the heap throws CB_ERR_OUT_OF_MEMORY and the model keeps working", { timeout: 120_000 }, async () => {
  const dir = scratch();
  const m = await CrossEncoder.load(convert("bert-tiny", "f32", dir));
  const before = m.predict(PAIRS);
  for (let round = 0; round < 2; round++) {
    const filler = await fillHeap(dir);
    assert.ok(filler.length > 0, "no filler model fitted");
    assert.throws(
      () => m.predict(big, { batchSize: 64, maxLength: 128 }),
      (e) => {
        assert.ok(e instanceof Error);
        assert.equal(e.code, CB_ERR_OUT_OF_MEMORY, `code ${e.code}: ${e.message}`);
        assert.match(e.message, /^out of memory for /);
        return true;
      });
    for (const f of filler) f.dispose();
    // The same model object, the same module: the same bits as before.
    assert.deepEqual(m.predict(PAIRS), before);
  }
  m.dispose();
});
