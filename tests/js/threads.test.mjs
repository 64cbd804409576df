// The pthreads build (wasm/dist/crossbyte-core-threads.*, issue 17): at 1, 2
// and 4 threads every fixture gives the single-thread build's bits, int8 and
// float32, and int8 gives the native CLI's bits; which build a load picks and
// the options that choose it; the worker API on the threads build; and a model
// that asks for threads with no Worker ready fails instead of hanging.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpus } from "node:os";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { ALL_FIXTURES, WRAPPER, convert, convertRealModel, nativePredict, reference, scratch } from "./support.mjs";

const { CrossEncoder, SentenceEncoder, threadsSupported } = await import(WRAPPER);
const dir = scratch();
const THREADS = [1, 2, 4];

/** float32 bit patterns of a (possibly nested) list of scores. */
const bits = (scores) => Array.from(new Uint32Array(Float32Array.from(scores.flat()).buffer));

test("Node runs the threads build", () => assert.equal(threadsSupported(), true));

for (const name of ALL_FIXTURES) {
  describe(name, () => {
    const ref = reference(name);
    const models = {}; // dtype -> { single, 1: ..., 2: ..., 4: ... }
    let int8Path;
    before(async () => {
      for (const dtype of ["int8", "f32"]) {
        const path = convert(name, dtype, dir);
        if (dtype === "int8") int8Path = path;
        const m = { single: await CrossEncoder.load(path, { threads: false }) };
        for (const n of THREADS) m[n] = await CrossEncoder.load(path, { threads: true, numThreads: n });
        models[dtype] = m;
      }
    });
    after(() => {
      for (const m of Object.values(models)) for (const x of Object.values(m)) x.dispose();
    });

    test("the builds loaded are the ones asked for", () => {
      assert.deepEqual([models.int8.single.threads, models.int8.single.numThreads], [false, 1]);
      for (const n of THREADS) assert.deepEqual([models.int8[n].threads, models.int8[n].numThreads], [true, n]);
    });

    for (const c of ref.cases) {
      test(`max_length ${c.max_length}: int8 at 1, 2, 4 threads = the single-thread build = native, bit for bit`, () => {
        const single = bits(models.int8.single.predict(c.pairs, { maxLength: c.max_length }));
        // The CLI prints 9 significant digits, which name one float32 exactly.
        const native = bits(nativePredict(int8Path, c.pairs, c.max_length).flat().map(Math.fround));
        assert.deepEqual(single, native, "single-thread build = native CLI");
        for (const n of THREADS) {
          assert.deepEqual(bits(models.int8[n].predict(c.pairs, { maxLength: c.max_length })), single, `${n} threads`);
        }
      });

      test(`max_length ${c.max_length}: float32 at 1, 2, 4 threads = the single-thread build, bit for bit`, () => {
        // Each output is computed by one thread in the same order whatever the
        // split, so float32 does not move either (measured; native float32 is
        // only promised within 1e-6 of wasm, FMA and kernels differ there).
        const single = bits(models.f32.single.predict(c.pairs, { maxLength: c.max_length }));
        for (const n of THREADS) {
          assert.deepEqual(bits(models.f32[n].predict(c.pairs, { maxLength: c.max_length })), single, `${n} threads`);
        }
      });
    }

    test("rank at 2 threads = the single-thread build", () => {
      const c = ref.cases[0];
      if (!c.ce_predict.every((s) => typeof s === "number")) return; // rank needs one label
      const docs = c.pairs.map((p) => p[1]);
      const want = models.int8.single.rank(c.pairs[0][0], docs);
      assert.deepEqual(models.int8[2].rank(c.pairs[0][0], docs), want);
    });
  });
}

describe("choosing the build", () => {
  let path;
  before(() => {
    path = convert("bert-tiny", "int8", dir);
  });

  test("by default Node gets the threads build with min(4, cores) threads; one thread means the single-thread build", async () => {
    const want = Math.min(4, cpus().length);
    const auto = await CrossEncoder.load(path);
    assert.deepEqual([auto.threads, auto.numThreads], want > 1 ? [true, want] : [false, 1]);
    auto.dispose();
    const one = await CrossEncoder.load(path, { numThreads: 1 });
    assert.deepEqual([one.threads, one.numThreads], [false, 1]);
    one.dispose();
    const three = await CrossEncoder.load(path, { numThreads: 3 });
    assert.deepEqual([three.threads, three.numThreads], [true, 3]);
    three.dispose();
    // wasmUrl moves the single-thread build's wasm: it keeps that build
    const moved = await CrossEncoder.load(path, { wasmUrl: new URL("../../wasm/dist/crossbyte-core.wasm", import.meta.url) });
    assert.deepEqual([moved.threads, moved.numThreads], [false, 1]);
    moved.dispose();
  });

  test("bad options are refused before anything loads", async () => {
    await assert.rejects(CrossEncoder.load(path, { threads: "yes" }), (e) => e instanceof TypeError && /threads must be/.test(e.message));
    for (const n of [0, 1.5, -2, 257, "2"]) {
      await assert.rejects(CrossEncoder.load(path, { numThreads: n }), (e) => e instanceof TypeError && /numThreads must be/.test(e.message), String(n));
    }
    await assert.rejects(CrossEncoder.load(path, { threads: false, numThreads: 2 }), (e) => e instanceof RangeError && /needs the threads build/.test(e.message));
  });

  test("models on the threads build come and go: 12 loads and disposes of 4 threads each, then 3 at once", async () => {
    const pairs = [["how many people live in berlin?", "Berlin has 3.5 million inhabitants."], ["a", "b"]];
    const single = await CrossEncoder.load(path, { threads: false });
    const want = bits(single.predict(pairs));
    for (let i = 0; i < 12; i++) {
      const m = await CrossEncoder.load(path, { threads: true, numThreads: 4 });
      assert.deepEqual(bits(m.predict(pairs)), want, `load ${i}`);
      m.dispose();
    }
    // loads that overlap each get their threads (the wrapper reserves Workers one load at a time)
    const many = await Promise.all([2, 3, 4].map((n) => CrossEncoder.load(path, { threads: true, numThreads: n })));
    for (const m of many) assert.deepEqual(bits(m.predict(pairs)), want);
    many.forEach((m) => m.dispose());
    single.dispose();
  });

  test("the worker API on the threads build gives the single-thread build's bits", async () => {
    const p = convert("bert-minilm-h384", "int8", dir);
    const docs = Array.from({ length: 70 }, (_, i) => `Passage ${i}: Berlin ${"and more ".repeat(i % 7)}has people.`);
    const single = await CrossEncoder.load(p, { threads: false });
    const w = await CrossEncoder.load(p, { worker: true, threads: true, numThreads: 2 });
    assert.deepEqual([w.threads, w.numThreads], [true, 2]);
    const pairs = docs.map((d) => ["how many people live in berlin?", d]);
    assert.deepEqual(bits(await w.predict(pairs)), bits(single.predict(pairs)));
    assert.deepEqual(await w.rank("how many people live in berlin?", docs), single.rank("how many people live in berlin?", docs));
    w.dispose();
    single.dispose();
  });

  test("SentenceEncoder on the threads build: the single-thread build's vectors", async () => {
    const p = convertRealModel("all-MiniLM-L6-v2", "int8", dir);
    const texts = ["How many people live in Berlin?", "Berlin is well known for its museums.", "The Eiffel Tower is in Paris."];
    const single = await SentenceEncoder.load(p, { threads: false });
    const threaded = await SentenceEncoder.load(p, { threads: true, numThreads: 2 });
    assert.deepEqual(bits(threaded.encode(texts).map((v) => Array.from(v))), bits(single.encode(texts).map((v) => Array.from(v))));
    single.dispose();
    threaded.dispose();
  });
});

test("threads with no Worker ready: the load fails with the C message instead of hanging", () => {
  // The module alone, without the wrapper (which reserves Workers first): the
  // model's pthread_create finds none (PTHREAD_POOL_SIZE_STRICT=2), and the
  // patched pthreadpool_create gives up instead of waiting for threads that
  // never start (tools/deps/patches/wasm-threads). In a child process with a
  // time limit: a hang would block this one for good.
  const script = join(dir, "no-workers.mjs");
  const dist = new URL("../../wasm/dist/", import.meta.url);
  writeFileSync(script, `
import { readFileSync } from "node:fs";
const factory = (await import(${JSON.stringify(new URL("crossbyte-core-threads.js", dist).href)})).default;
const wasm = readFileSync(new URL(${JSON.stringify(new URL("crossbyte-core-threads.wasm", dist).href)}));
const core = await factory({
  instantiateWasm(imports, receive) {
    WebAssembly.instantiate(wasm, imports).then((r) => receive(r.instance, r.module));
    return {};
  },
  print() {}, printErr() {},
});
const bytes = readFileSync(${JSON.stringify(convert("bert-tiny", "int8", dir))});
const image = core._cbw_image_alloc(bytes.length);
core.HEAPU8.set(bytes, image);
const h = core._cbw_load_threads(image, bytes.length, 0, 3);
console.log(JSON.stringify({ handle: h, code: core._cbw_status(), message: core.UTF8ToString(core._cbw_message()) }));
process.exit(0);
`);
  const r = spawnSync(process.execPath, [script], { encoding: "utf8", timeout: 60000 });
  assert.equal(r.signal, null, `the load hung (killed after 60 s): ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").pop());
  assert.equal(out.handle, 0);
  assert.equal(out.code, 2, "CB_ERR_OUT_OF_MEMORY");
  assert.match(out.message, /cannot start 3 threads/);
});
