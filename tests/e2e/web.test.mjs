// End-to-end: web/ in headless Chromium (Debian's chromium, playwright-core).
// Loads a model by URL (float32) and by the file picker (int8), reranks, checks
// the order shown against the native CLI's `crossbyte rank` on the same file
// (float32: the same order and scores; int8: the same best passage, scores
// within int8's requantisation noise, see tests/js/fixtures.test.mjs), checks that it keeps working
// offline and that a browser without WebAssembly SIMD gets a clear message,
// and saves screenshots under build-wasm/e2e/.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

import { ROOT, convert, nativeRank, scratch } from "../js/support.mjs";
import { serve } from "./server.mjs";

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

let server, browser, profile, modelPath, int8Path;

before(async () => {
  const dir = scratch();
  modelPath = convert("bert-minilm-h384", "f32", dir);
  int8Path = convert("bert-minilm-h384", "int8", dir);
  server = await serve(ROOT, { "model.cbm": modelPath });
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

test("rerank in the page gives the native CLI's order, online and offline", async () => {
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

  // and after a reload while offline (service worker cache), with the file picker
  await page.reload();
  await page.waitForSelector("body[data-ready='1']");
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
