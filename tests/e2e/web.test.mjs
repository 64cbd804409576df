// End-to-end: web/ in headless Chromium (Debian's chromium, playwright-core).
// Loads a model by URL (float32) and by the file picker (int8), reranks, checks
// the order shown against the native CLI's `crossbyte rank` on the same file
// (float32: the same order and scores within 1e-5; int8: the same bits), checks
// that it keeps working offline, also after a reload, and that a browser
// without WebAssembly SIMD gets a clear message; that the page stays
// responsive while the worker scores 100 passages (and does not without the
// worker), with the synchronous API's bits; the model cache (sha256, evict,
// clearCache). The server sends COOP + COEP, so the page is cross-origin
// isolated and runs the threads build: it gives the single-thread build's bits
// (and native int8's); served without them the page runs the single-thread
// build, and an isolated page whose threads cannot start falls back to it.
// Screenshots go under build-wasm/e2e/.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

import { ROOT, convert, nativeRank, scratch } from "../js/support.mjs";
import { rerankWatchingFrames } from "./frames.mjs";
import { ISOLATION_HEADERS, serve } from "./server.mjs";

const CHROMIUM = process.env.CROSSBYTE_CHROMIUM || "/usr/bin/chromium";
const SHOTS = join(process.env.CROSSBYTE_WASM_BUILD || join(ROOT, "build-wasm"), "e2e");
const QUERY = "how many people live in berlin?";
const PASSAGES = [
  "Berlin has a population of 3.5 million registered inhabitants.",
  "Berlin is well known for its museums.",
  "Paris is the capital of France.",
  "The city of Berlin covers an area of 891 square kilometres.",
  "In 2023 about 3.8 million people lived in Berlin.",
  "Über 190 Nationen leben in Berlin — 多元文化 🙂",
  "Bread is made from flour, water and yeast.",
  "",
  "Berlin's zoo is the oldest in Germany.",
];

let server, plainServer, browser, profile, modelPath, int8Path, tinyPath;

before(async () => {
  const dir = scratch();
  modelPath = convert("bert-minilm-h384", "f32", dir);
  int8Path = convert("bert-minilm-h384", "int8", dir);
  tinyPath = convert("bert-tiny", "int8", dir);
  const models = { "model.cbm": modelPath, "int8.cbm": int8Path, "tiny.cbm": tinyPath };
  server = await serve(ROOT, models);
  plainServer = await serve(ROOT, models, { isolated: false }); // no COOP/COEP: not cross-origin isolated
  profile = mkdtempSync(join(tmpdir(), "crossbyte-chromium-"));
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--no-first-run"],
    viewport: { width: 1000, height: 1100 },
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
  await plainServer?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function shownOrder(page) {
  await page.waitForSelector("#results li");
  return page.$$eval("#results li", (lis) => lis.map((li) => ({ corpusId: Number(li.dataset.corpusId), score: Number(li.dataset.score), text: li.textContent })));
}

async function rerank(page, query, passages) {
  await page.fill("#query", query);
  await page.fill("#passages", passages.join("\n"));
  await page.click("#rerank");
  await page.waitForFunction(() => /Reranked \d+ passages in/.test(document.getElementById("timing").textContent));
  return shownOrder(page);
}

test("rerank in the page gives the native CLI's order, online and offline", async (t) => {
  t.after(() => browser.setOffline(false)); // the next tests are online whatever happens here
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${server.url}/web/`);
  await page.waitForSelector("body[data-ready='1']");
  assert.equal(await page.isHidden("#simd-warning"), true);

  // by URL
  await page.fill("#model-url", `${server.url}/models/model.cbm`);
  await page.click("#load-url");
  await page.waitForFunction(() => /^Loaded /.test(document.getElementById("status").textContent));
  assert.match(await page.textContent("#status"), /BertForSequenceClassification, f32, 1 label/);

  const docs = PASSAGES.filter((p) => p.trim() !== "");
  const shown = await rerank(page, QUERY, PASSAGES);
  const native = nativeRank(modelPath, QUERY, docs);
  assert.deepEqual(shown.map((r) => r.corpusId), native.map((r) => r.corpus_id), "order shown = native CLI order");
  shown.forEach((r, i) => {
    assert.ok(Math.abs(r.score - native[i].score) <= 1e-5, `score ${i}: ${r.score} vs ${native[i].score}`);
    assert.ok(r.text.includes(docs[r.corpusId]));
  });
  assert.match(await page.textContent("#timing"), /Reranked 8 passages in [\d.]+ ms/);
  await page.screenshot({ path: join(SHOTS, "web.png"), fullPage: true });

  // offline once loaded: the model is in memory, nothing is fetched
  await page.evaluate(() => navigator.serviceWorker.ready);
  await browser.setOffline(true);
  const query2 = "what is Berlin famous for?";
  const shown2 = await rerank(page, query2, PASSAGES);
  assert.deepEqual(shown2.map((r) => r.corpusId), nativeRank(modelPath, query2, docs).map((r) => r.corpus_id));

  // after a reload while offline: the page and the runtime come from the
  // service worker, the model (loaded again by the page) from the model cache
  await page.reload();
  await page.waitForSelector("body[data-ready='1']");
  await page.waitForFunction(() => /^Loaded .*f32/.test(document.getElementById("status").textContent), null, { timeout: 10000 })
    .catch(async (e) => assert.fail(`offline reload: ${await page.textContent("#status")} (${e.message})`));
  const shownOffline = await rerank(page, QUERY, PASSAGES);
  assert.deepEqual(shownOffline.map((r) => r.corpusId), native.map((r) => r.corpus_id), "offline reload: native order");
  assert.deepEqual(shownOffline.map((r) => r.score), shown.map((r) => r.score), "offline reload: the same scores");
  // ... and the model runs in the worker again: crossbyte.js starts it from a
  // blob: module, which the page's service worker controls (a worker at
  // /wasm/crossbyte-worker.js is outside web/sw.js's scope).
  const timing = await page.textContent("#timing");
  console.log(`offline reload: ${timing}`);
  assert.match(timing, /in a worker/, "offline reload: the page fell back to its main thread");

  // and the file picker, still offline
  await page.setInputFiles("#model-file", int8Path);
  await page.waitForFunction(() => /^Loaded .*int8/.test(document.getElementById("status").textContent));
  const shown3 = await rerank(page, QUERY, PASSAGES);
  const native3 = nativeRank(int8Path, QUERY, docs);
  // int8 promises the same bits as native: the page keeps the full float
  // (data-score) and the CLI prints 9 significant digits, which name one
  // float32 exactly, so both sides rounded to float32 must be equal.
  assert.deepEqual(shown3.map((r) => r.corpusId), native3.map((r) => r.corpus_id), "order = native int8's");
  shown3.forEach((r, i) => {
    assert.equal(Math.fround(r.score), Math.fround(native3[i].score), `passage ${r.corpusId}: ${r.score} vs ${native3[i].score}`);
  });
  await page.screenshot({ path: join(SHOTS, "web-offline.png"), fullPage: true });
  await browser.setOffline(false);

  // a corrupt model file: the C message is shown, the loaded model stays
  await page.setInputFiles("#model-file", { name: "bad.cbm", mimeType: "application/octet-stream", buffer: Buffer.from("not a model at all, just text".repeat(10)) });
  await page.waitForFunction(() => document.getElementById("status").classList.contains("error"));
  assert.match(await page.textContent("#status"), /Could not load bad\.cbm: .+/);
  assert.equal(await page.isEnabled("#rerank"), true);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a browser without WebAssembly SIMD is told so", async () => {
  const page = await browser.newPage();
  // Pretend the engine rejects SIMD: validate() is what the page asks.
  await page.addInitScript(() => {
    const validate = WebAssembly.validate;
    WebAssembly.validate = (bytes) => (new Uint8Array(bytes).includes(253) ? false : validate(bytes));
  });
  await page.goto(`${server.url}/web/index.html`);
  await page.waitForSelector("#simd-warning:not([hidden])");
  assert.match(await page.textContent("#simd-warning"), /lacks WebAssembly SIMD/);
  assert.equal(await page.isDisabled("#rerank"), true);
  await page.screenshot({ path: join(SHOTS, "web-no-simd.png") });
  await page.close();
});

// The benchmark's workload: a query and 100 passages of ~180 tokens (one per line here).
const WORKLOAD = JSON.parse(readFileSync(join(ROOT, "tools", "bench", "workload.json"), "utf8"));
const LONG_PASSAGES = WORKLOAD.passages.map((p) => p.replace(/\s+/g, " ").trim());

/** float32 bit patterns of a list of scores. */
const bits = (scores) => Array.from(new Uint32Array(Float32Array.from(scores).buffer));

async function openWithModel(search, url, origin = server.url) {
  const page = await browser.newPage();
  await page.goto(`${origin}/web/${search}`);
  await page.waitForSelector("body[data-ready='1']");
  await page.fill("#model-url", url);
  await page.click("#load-url");
  await page.waitForFunction(() => /^Loaded .*int8/.test(document.getElementById("status").textContent));
  return page;
}

test("the page stays responsive while the worker scores 100 passages, with the synchronous API's bits", async () => {
  const url = `${server.url}/models/int8.cbm`;
  const page = await openWithModel("", url);
  const worker = await rerankWatchingFrames(page, WORKLOAD.query, LONG_PASSAGES);
  console.log(`worker: ${worker.ms.toFixed(0)} ms for 100 passages, ${worker.frames} frames, longest gap ${worker.maxGapMs.toFixed(1)} ms`);
  assert.ok(worker.ms > 500, `long enough to matter: ${worker.ms} ms`);
  assert.ok(worker.maxGapMs <= 100, `longest frame gap ${worker.maxGapMs} ms`);
  assert.ok(worker.frames >= worker.ms / 50, `${worker.frames} frames in ${worker.ms} ms`);
  // the synchronous API in the same page, on the same file: the same bits
  const sync = await page.evaluate(async ([u, q, docs]) => {
    const { CrossEncoder } = await import("/wasm/crossbyte.js");
    const m = await CrossEncoder.load(u);
    return m.rank(q, docs);
  }, [url, WORKLOAD.query, LONG_PASSAGES]);
  assert.deepEqual(worker.order, sync.map((r) => r.corpusId));
  assert.deepEqual(bits(worker.scores), bits(sync.map((r) => r.score)));
  // and native int8's bits
  const native = nativeRank(int8Path, WORKLOAD.query, LONG_PASSAGES);
  assert.deepEqual(bits(worker.scores), bits(native.map((r) => r.score)));
  await page.screenshot({ path: join(SHOTS, "web-worker.png"), fullPage: true });
  await page.close();

  // The measurement can fail: on the main thread (?worker=0) the page freezes.
  const frozen = await openWithModel("?worker=0", url);
  const main = await rerankWatchingFrames(frozen, WORKLOAD.query, LONG_PASSAGES);
  console.log(`main thread: ${main.ms.toFixed(0)} ms, ${main.frames} frames, longest gap ${main.maxGapMs.toFixed(1)} ms`);
  assert.ok(main.maxGapMs > 0.9 * main.ms, `frozen for the whole call: gap ${main.maxGapMs} ms of ${main.ms} ms`);
  assert.deepEqual(bits(main.scores), bits(worker.scores));
  await frozen.close();
});

test("the model cache: stored once it loads, sha256 checked, evicted on a mismatch, cleared", async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/web/index.html`);
  await page.waitForSelector("body[data-ready='1']");
  const url = `${server.url}/models/tiny.cbm`;
  const sha256 = createHash("sha256").update(readFileSync(tinyPath)).digest("hex");
  const fetches = () => server.hits.get("/models/tiny.cbm") ?? 0;
  // Runs in the page: each step's outcome, and whether the cache holds the file after it.
  const step = (what, options = {}) => page.evaluate(async ([u, w, o]) => {
    const { CrossEncoder, clearCache } = await import("/wasm/crossbyte.js");
    const store = await caches.open("crossbyte-models-v1");
    let outcome = "loaded";
    try {
      if (w === "clear one") outcome = String(await clearCache(u));
      else if (w === "clear all") outcome = String(await clearCache());
      else if (w === "corrupt") await store.put(u, new Response(new Uint8Array(300).fill(1)));
      else {
        const m = await CrossEncoder.load(u, o);
        outcome = `loaded ${(await m.predict([["a", "b"]])).length}`;
        m.dispose();
      }
    } catch (e) {
      outcome = `code ${e.code}: ${e.message}`;
    }
    // opened again: clearCache() may have deleted the cache `store` was
    return { outcome, cached: (await (await caches.open("crossbyte-models-v1")).match(u)) !== undefined };
  }, [url, what, options]);

  await step("clear all");
  const wrong = sha256.replace(/^./, (c) => (c === "0" ? "1" : "0"));
  let r = await step("load", { sha256: wrong });
  assert.match(r.outcome, /^code 4: .*SHA-256 is [0-9a-f]{64}, expected/);
  assert.equal(r.cached, false, "a file that fails its checksum is not stored");
  assert.equal(fetches(), 1);
  r = await step("load", { sha256 });
  assert.deepEqual(r, { outcome: "loaded 1", cached: true });
  assert.equal(fetches(), 2);
  assert.deepEqual([await step("load", { sha256, worker: true }), fetches()], [{ outcome: "loaded 1", cached: true }, 2],
    "a worker reads the same cache");
  assert.deepEqual([await step("load"), fetches()], [{ outcome: "loaded 1", cached: true }, 2], "the second load needs no network");
  // a cached copy that fails: the checksum, or loading at all, evicts it
  await step("corrupt");
  r = await step("load", { sha256 });
  assert.match(r.outcome, /^code 4: .*SHA-256/);
  assert.equal(r.cached, false, "evicted");
  await step("corrupt");
  r = await step("load");
  assert.match(r.outcome, /^code 4: /, "not a .cbm file: the C library's error");
  assert.equal(r.cached, false, "evicted");
  assert.equal(fetches(), 2);
  assert.deepEqual(await step("load"), { outcome: "loaded 1", cached: true }, "fetched again");
  assert.equal(fetches(), 3);
  await step("load", { cache: false });
  assert.equal(fetches(), 4, "cache: false fetches");
  assert.deepEqual(await step("clear one"), { outcome: "true", cached: false });
  assert.deepEqual(await step("clear one"), { outcome: "false", cached: false });
  await step("load");
  assert.deepEqual(await step("clear all"), { outcome: "true", cached: false });
  await page.close();
});

test("long passages read whole: the page ranks by the best window and highlights it, as the native CLI", async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/web/`);
  await page.waitForSelector("body[data-ready='1']");
  await page.fill("#model-url", `${server.url}/models/tiny.cbm`);
  await page.click("#load-url");
  await page.waitForFunction(() => /^Loaded /.test(document.getElementById("status").textContent));
  // two passages far longer than max_length, one short
  const filler = Array.from({ length: 700 }, (_, i) => `word${i % 50} and more`).join(" ");
  const passages = [`${filler} Berlin has 3.5 million inhabitants.`, filler, "Berlin is well known for its museums."];
  await page.check("#long-document");
  const shown = await rerank(page, QUERY, passages);
  const native = nativeRank(tinyPath, QUERY, passages, ["--long-document", "chunk"]);
  assert.deepEqual(shown.map((r) => r.corpusId), native.map((r) => r.corpus_id), "order shown = native CLI order");
  shown.forEach((r, i) => assert.ok(Math.abs(r.score - native[i].score) <= 1e-6, `score ${i}: ${r.score} vs ${native[i].score}`));
  const marks = await page.$$eval("#results li", (lis) => lis.map((li) => ({
    id: Number(li.dataset.corpusId), mark: li.querySelector("mark")?.textContent ?? null,
    note: li.querySelector(".window")?.textContent ?? null })));
  for (const m of marks) {
    const w = native.find((r) => r.corpus_id === m.id).window;
    if (w.count === 1) {
      assert.equal(m.mark, null, `passage ${m.id} fits: nothing highlighted`);
      continue;
    }
    const want = new TextDecoder().decode(new TextEncoder().encode(passages[m.id]).subarray(w.begin, w.end));
    assert.equal(m.mark, want, `passage ${m.id}: the highlighted window is the CLI's`);
    assert.equal(m.note, ` (window ${w.index + 1} of ${w.count})`);
  }
  assert.ok(marks.filter((m) => m.mark !== null).length === 2, "both long passages were read in windows");
  await page.screenshot({ path: join(SHOTS, "web-long.png"), fullPage: true });
  await page.close();
});

/** In the page: rank with the synchronous API on each build; {label: {threads, numThreads, order, scores}}. */
function rankEachBuild(page, url, builds) {
  return page.evaluate(async ([u, q, docs, list]) => {
    const { CrossEncoder } = await import("/wasm/crossbyte.js");
    const out = {};
    for (const [label, options] of list) {
      const m = await CrossEncoder.load(u, options);
      const ranked = m.rank(q, docs);
      out[label] = { threads: m.threads, numThreads: m.numThreads, order: ranked.map((r) => r.corpusId), scores: ranked.map((r) => r.score) };
      m.dispose();
    }
    return out;
  }, [url, WORKLOAD.query, LONG_PASSAGES, builds]);
}

test("cross-origin isolated: the page runs the threads build and gives the single-thread build's bits", async () => {
  const url = `${server.url}/models/int8.cbm`;
  const native = nativeRank(int8Path, WORKLOAD.query, LONG_PASSAGES);
  for (const search of ["", "?worker=0"]) { // the model in the page's worker, then on its main thread
    const page = await openWithModel(search, url);
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, "the headers isolate the page");
    const status = await page.textContent("#status");
    assert.match(status, /\(threads build, \d+ threads\)/, `the page loaded the threads build: ${status}`);
    const shown = await rerankWatchingFrames(page, WORKLOAD.query, LONG_PASSAGES);
    console.log(`isolated${search}: ${await page.textContent("#timing")}`);
    assert.match(await page.textContent("#timing"), /\d+ threads, /);
    const builds = await rankEachBuild(page, url, [
      ["single", { threads: false }], ["t1", { threads: true, numThreads: 1 }], ["t2", { threads: true, numThreads: 2 }],
      ["t4", { threads: true, numThreads: 4 }], ["auto", {}]]);
    assert.deepEqual([builds.single.threads, builds.t2.threads, builds.t2.numThreads, builds.auto.threads], [false, true, 2, true]);
    for (const [label, r] of Object.entries(builds)) {
      assert.deepEqual(r.order, builds.single.order, `${label}: order`);
      assert.deepEqual(bits(r.scores), bits(builds.single.scores), `${label}: the single-thread build's bits`);
    }
    assert.deepEqual(shown.order, builds.single.order, "the page's ranking");
    assert.deepEqual(bits(shown.scores), bits(builds.single.scores), "the page's scores: the single-thread build's bits");
    assert.deepEqual(bits(shown.scores), bits(native.map((r) => r.score)), "and native int8's");
    if (!search) await page.screenshot({ path: join(SHOTS, "web-threads.png"), fullPage: true });
    await page.close();
  }
});

test("not cross-origin isolated: the page runs the single-thread build, with the same bits", async () => {
  const url = `${plainServer.url}/models/int8.cbm`;
  const page = await openWithModel("", url, plainServer.url);
  assert.equal(await page.evaluate(() => crossOriginIsolated), false);
  assert.match(await page.textContent("#status"), /\(single-thread build\)/);
  const shown = await rerankWatchingFrames(page, WORKLOAD.query, LONG_PASSAGES);
  assert.match(await page.textContent("#timing"), /1 thread, in a worker/);
  const native = nativeRank(int8Path, WORKLOAD.query, LONG_PASSAGES);
  assert.deepEqual(bits(shown.scores), bits(native.map((r) => r.score)));
  // asking for threads where they cannot run is an error, not a silent fallback
  const asked = await page.evaluate(async (u) => {
    const { CrossEncoder, threadsSupported } = await import("/wasm/crossbyte.js");
    try {
      await CrossEncoder.load(u, { threads: true });
      return { supported: threadsSupported(), error: null };
    } catch (e) {
      return { supported: threadsSupported(), error: e.message };
    }
  }, url);
  assert.equal(asked.supported, false);
  assert.match(asked.error, /needs SharedArrayBuffer/);
  await page.close();
});

test("cross-origin isolated, but the threads' Worker script does not load: the single-thread build instead", async () => {
  const page = await browser.newPage();
  await page.route("**/crossbyte-core-threads.worker.js", (route) => route.fulfill({ status: 404, headers: ISOLATION_HEADERS, body: "gone" }));
  await page.goto(`${server.url}/web/?worker=0`);
  await page.waitForSelector("body[data-ready='1']");
  const url = `${server.url}/models/int8.cbm`;
  const r = await page.evaluate(async (u) => {
    const { CrossEncoder } = await import("/wasm/crossbyte.js");
    const m = await CrossEncoder.load(u, { numThreads: 2 });
    let forced = null;
    try {
      await CrossEncoder.load(u, { threads: true, numThreads: 2 });
    } catch (e) {
      forced = e.message;
    }
    return { threads: m.threads, numThreads: m.numThreads, score: m.predict([["a", "b"]])[0], forced };
  }, url);
  assert.deepEqual([r.threads, r.numThreads], [false, 1], "fell back to the single-thread build");
  assert.equal(typeof r.score, "number");
  assert.match(r.forced, /Worker did not start/, "threads: true reports the failure");
  await page.close();
});
