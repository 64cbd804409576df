// How responsive the page's main thread stays while it reranks: a
// requestAnimationFrame loop runs from just before the Rerank click until the
// results are shown; the longest gap between two frames is how long the page
// was frozen. Used by web.test.mjs and tools/bench/web_worker_bench.mjs.

/** Reranks `passages` through the page's form; resolves to {maxGapMs, frames, ms, scores, order}. */
export async function rerankWatchingFrames(page, query, passages) {
  await page.fill("#query", query);
  await page.fill("#passages", passages.join("\n"));
  await page.evaluate(() => {
    const watch = (window.crossbyteFrames = { times: [], on: true });
    const tick = (t) => {
      watch.times.push(t);
      if (watch.on) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.click("#rerank");
  await page.waitForFunction(() => /^Reranked \d+ passages in/.test(document.getElementById("timing").textContent),
    null, { timeout: 300000 });
  return page.evaluate(() => {
    const watch = window.crossbyteFrames;
    watch.on = false;
    const t = watch.times, gaps = t.slice(1).map((x, i) => x - t[i]);
    const lis = [...document.querySelectorAll("#results li")];
    return {
      maxGapMs: Math.max(...gaps),
      frames: t.length,
      ms: Number(/in ([\d.]+) ms/.exec(document.getElementById("timing").textContent)[1]),
      order: lis.map((li) => Number(li.dataset.corpusId)),
      scores: lis.map((li) => Number(li.dataset.score)),
    };
  });
}
