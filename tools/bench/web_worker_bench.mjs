#!/usr/bin/env node
// web_worker_bench.mjs: how frozen web/ gets while it reranks tools/bench/workload.json
// (query × 100 passages), with the model in a worker and on the main thread
// (?worker=0): the longest gap between requestAnimationFrame callbacks and the
// frames painted, in headless Chromium, median of --repeats fresh pages.
//
//   node tools/bench/web_worker_bench.mjs [--repeats 3] [--isolated]
//
// The page is served without COOP/COEP, so it runs the single-thread build;
// --isolated sends them (tests/e2e/server.mjs) and the page runs the threads build.
//
// Needs build/crossbyte (to convert the model), wasm/dist and tests/e2e's
// playwright-core (tools/setup.sh). Model: tests/fixtures/bert-minilm-h384 int8.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { ROOT, convert, scratch } from "../../tests/js/support.mjs";
import { rerankWatchingFrames } from "../../tests/e2e/frames.mjs";
import { serve } from "../../tests/e2e/server.mjs";

const { chromium } = createRequire(join(ROOT, "tests", "e2e", "package.json"))("playwright-core");
const repeats = Number(process.argv[process.argv.indexOf("--repeats") + 1]) || 3;
const workload = JSON.parse(readFileSync(join(ROOT, "tools", "bench", "workload.json"), "utf8"));
const passages = workload.passages.map((p) => p.replace(/\s+/g, " ").trim());
const model = convert("bert-minilm-h384", "int8", scratch());
const isolated = process.argv.includes("--isolated");
const server = await serve(ROOT, { "int8.cbm": model }, { isolated });
const profile = mkdtempSync(join(tmpdir(), "crossbyte-bench-"));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CROSSBYTE_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu"],
});
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
try {
  console.log("| where the model runs | rerank 100, ms | frames painted | longest rAF gap, ms |");
  console.log("|---|---|---|---|");
  for (const [label, search] of [["Web Worker (`{ worker: true }`)", ""], ["main thread (`?worker=0`)", "?worker=0"]]) {
    const runs = [];
    for (let i = 0; i < repeats; i++) {
      const page = await browser.newPage();
      await page.goto(`${server.url}/web/${search}`);
      await page.waitForSelector("body[data-ready='1']");
      await page.fill("#model-url", `${server.url}/models/int8.cbm`);
      await page.click("#load-url");
      await page.waitForFunction(() => /^Loaded .*int8/.test(document.getElementById("status").textContent));
      const build = await page.textContent("#status");
      if (/threads build/.test(build) !== isolated) throw new Error(`unexpected build: ${build}`);
      runs.push(await rerankWatchingFrames(page, workload.query, passages));
      await page.close();
    }
    const m = (k) => median(runs.map((r) => r[k]));
    console.log(`| ${label} | ${m("ms").toFixed(0)} | ${m("frames")} | ${m("maxGapMs").toFixed(1)} (runs: ${runs.map((r) => r.maxGapMs.toFixed(1)).join(", ")}) |`);
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
