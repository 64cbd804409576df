// How responsive the page's main thread stays while it reranks: a
// requestAnimationFrame loop runs from just before the Rerank click until the
// results are shown; the longest gap between two frames is how long the page
// was frozen. Used by web.test.mjs and tools/bench/web_worker_bench.mjs.

/** Reranks `passages` through the page's form; resolves to {maxGapMs, frames, ms, scores, order}. */
export async function rerankWatchingFrames(page, query, passages) {
  await page.fill("#query", query);
  await page.fill("#passages", passages.join("\n"));
  await page.evaluate(() => {
    const watch = (window.crossbyteFrames = { times: [], on: true, end: null });
    const tick = (t) => {
      watch.times.push(t);
      if (watch.on) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    // The moment the results are shown closes the last gap: a page frozen
    // until then may paint no frame between the freeze and the check below,
    // and the gap before the results would go uncounted.
    const timing = document.getElementById("timing");
    new MutationObserver((_, obs) => {
      if (/^Reranked \d+ passages in/.test(timing.textContent)) {
        watch.end = performance.now();
        obs.disconnect();
      }
    }).observe(timing, { childList: true, characterData: true, subtree: true });
  });
  await page.click("#rerank");
  await page.waitForFunction(() => /^Reranked \d+ passages in/.test(document.getElementById("timing").textContent),
    null, { timeout: 300000 });
  return page.evaluate(() => {
    const watch = window.crossbyteFrames;
    watch.on = false;
    const t = watch.times.filter((x) => x <= watch.end);
    t.push(watch.end);
    const gaps = t.slice(1).map((x, i) => x - t[i]);
    const lis = [...document.querySelectorAll("#results li")];
    return {
      maxGapMs: Math.max(...gaps),
      frames: t.length - 1,
      ms: Number(/in ([\d.]+) ms/.exec(document.getElementById("timing").textContent)[1]),
      order: lis.map((li) => Number(li.dataset.corpusId)),
      scores: lis.map((li) => Number(li.dataset.score)),
    };
  });
}
