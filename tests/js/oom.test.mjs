// Out of memory inside the WebAssembly heap: the build caps growth at 2 GB
// (-sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=2GB) and makes malloc return NULL
// there instead of aborting (-sABORTING_MALLOC=0), so the C library's own
// out-of-memory paths run. One predict call whose batch needs more than the
// limit must throw an Error with code CB_ERR_OUT_OF_MEMORY and the library's
// message, and the same module and model must then score the next pairs with
// the same bits as before.
import assert from "node:assert/strict";
import { test } from "node:test";

import { WRAPPER, convert, scratch } from "./support.mjs";

const { CrossEncoder } = await import(WRAPPER);
const CB_ERR_OUT_OF_MEMORY = 2; // crossbyte.h
const PAIRS = [
  ["how many people live in berlin?", "Berlin has 3.5 million inhabitants."],
  ["how many people live in berlin?", "Berlin is known for its museums."],
];

test("a batch past the 2 GB heap limit throws CB_ERR_OUT_OF_MEMORY and the model keeps working", { timeout: 60_000 }, async () => {
  const m = await CrossEncoder.load(convert("bert-tiny", "f32", scratch()));
  const before = m.predict(PAIRS);

  // bert-tiny (hidden 128, feed-forward 512) keeps 4 (3 H + 3 H + F) = 5 KB
  // of activations per token of a batch (runtime/src/encoder.c, reserve):
  // 4,096 pairs of 128 tokens in one batch are 524,288 tokens, 2.7 GB: more
  // than the heap may ever hold, while the texts themselves take 3 MB.
  const words = "the city of berlin has many museums and more than three million people live there".split(" ");
  const doc = Array.from({ length: 140 }, (_, i) => words[i % words.length]).join(" ");
  const big = Array.from({ length: 4096 }, () => ["how many people live in berlin?", doc]);
  assert.throws(
    () => m.predict(big, { batchSize: 4096, maxLength: 128 }),
    (e) => {
      assert.ok(e instanceof Error);
      assert.equal(e.code, CB_ERR_OUT_OF_MEMORY, `code ${e.code}: ${e.message}`);
      // reserve()'s message: how many floats the failed buffer needed
      assert.match(e.message, /^out of memory for \d+ activations$/);
      const floats = Number(e.message.match(/\d+/)[0]);
      const tokens = 4096 * 128;
      assert.ok([tokens * 128, tokens * 3 * 128, tokens * 512].includes(floats), `${floats} floats is none of the buffers`);
      return true;
    });

  // The same model object, the same module: the same bits as before.
  assert.deepEqual(m.predict(PAIRS), before);
  // and a second failure does not change that
  assert.throws(() => m.predict(big, { batchSize: 4096, maxLength: 128 }), (e) => e.code === CB_ERR_OUT_OF_MEMORY);
  assert.deepEqual(m.predict(PAIRS), before);
  m.dispose();
});
