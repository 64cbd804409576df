// The reranking page: load a .cbm model (file or URL), rank passages for a query.
// The model runs in a worker so the page stays responsive while it scores;
// ?worker=0 runs it on the main thread instead (to compare, see docs/benchmarks.md).
import { CrossEncoder, clearCache, simdSupported } from "../wasm/crossbyte.js";

const $ = (id) => document.getElementById(id);
const inWorker = new URLSearchParams(location.search).get("worker") !== "0";
const LAST_URL = "crossbyte-model-url"; // localStorage: the model to load on the next visit
let model = null;
let loads = 0; // the latest load wins when two overlap (e.g. a restored URL, then a file)
let running = null; // the AbortController of the rerank in progress
let fallback = false; // the worker could not start: the model runs on the main thread

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

// The runtime picks its threads build when the page is cross-origin isolated
// (served with COOP and COEP, see README.md), the single-thread one otherwise.
const threadsText = (m) => (m.numThreads === 1 ? "1 thread" : `${m.numThreads} threads`);

function describe(m, bytes, ms) {
  const labels = m.labels.length === 1 ? "1 label" : `${m.labels.length} labels (${m.labels.join(", ")})`;
  const size = bytes ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB ` : "";
  const build = m.threads ? `threads build, ${threadsText(m)}` : "single-thread build";
  return `Loaded ${m.architecture}, ${m.dtype}, ${labels}, max length ${m.maxLength} (${build}): ${size}in ${ms.toFixed(0)} ms.`;
}

/** source: a File or a URL string (fetched once, then from crossbyte's model cache). */
async function load(source, name) {
  const ticket = ++loads;
  $("rerank").disabled = true;
  setStatus(`Loading ${name}…`);
  try {
    const t0 = performance.now();
    const bytes = source instanceof Blob ? source.size : 0;
    const next = await CrossEncoder.load(source, { worker: inWorker }).catch((e) => {
      // A worker that cannot start (a strict Content-Security-Policy, an old
      // browser): score on the main thread rather than not at all.
      if (!inWorker || !/worker failed/.test(e.message)) throw e;
      fallback = true;
      return CrossEncoder.load(source);
    });
    if (ticket !== loads) return next.dispose();
    model?.dispose();
    model = next;
    if (typeof source === "string") localStorage.setItem(LAST_URL, source);
    setStatus(describe(model, bytes, performance.now() - t0));
  } catch (e) {
    if (ticket === loads) setStatus(`Could not load ${name}: ${e.message}`, true);
  } finally {
    if (ticket === loads) $("rerank").disabled = model === null;
  }
}

/** The passage with the window its score came from in a <mark>, and which window it was. */
function highlighted(text, w) {
  const bytes = new TextEncoder().encode(text), dec = new TextDecoder();
  const mark = document.createElement("mark");
  mark.textContent = w.text;
  const note = document.createElement("span");
  note.className = "window";
  note.textContent = ` (window ${w.index + 1} of ${w.count})`;
  return [dec.decode(bytes.subarray(0, w.begin)), mark, dec.decode(bytes.subarray(w.end)), note];
}

async function rerank() {
  if (!model) return;
  const query = $("query").value;
  const docs = $("passages").value.split(/\r?\n/).filter((line) => line.trim() !== "");
  const list = $("results");
  list.replaceChildren();
  if (docs.length === 0) {
    $("timing").textContent = "Type at least one passage.";
    return;
  }
  $("rerank").disabled = true;
  $("cancel").hidden = !inWorker || fallback; // the main thread cannot be interrupted
  running = new AbortController();
  $("timing").textContent = `Reranking ${docs.length} passages…`;
  await new Promise((r) => setTimeout(r, 0)); // let the status paint
  try {
    const t0 = performance.now();
    const chunk = $("long-document").checked;
    const ranked = await model.rank(query, docs, {
      longDocument: chunk ? "chunk" : "truncate",
      signal: running.signal,
      onProgress: (done, total) => ($("timing").textContent = `Reranking ${total} passages… ${done} done`),
    });
    const ms = performance.now() - t0;
    for (const r of ranked) {
      const li = document.createElement("li");
      li.dataset.corpusId = String(r.corpusId);
      li.dataset.score = String(r.score);
      const score = document.createElement("span");
      score.className = "score";
      score.textContent = r.score.toFixed(4);
      li.append(score, " ");
      if (r.window && r.window.count > 1) li.append(...highlighted(docs[r.corpusId], r.window));
      else li.append(docs[r.corpusId]);
      list.append(li);
    }
    const where = inWorker && !fallback ? "in a worker" : "on the main thread";
    $("timing").textContent = `Reranked ${docs.length} passages in ${ms.toFixed(1)} ms (${model.dtype}, ${threadsText(model)}, ${where}).`;
  } catch (e) {
    $("timing").textContent = e.name === "AbortError" ? "Cancelled." : `Error: ${e.message}`;
  } finally {
    running = null;
    $("cancel").hidden = true;
    $("rerank").disabled = false;
  }
}

function init() {
  if (!simdSupported()) {
    $("simd-warning").hidden = false;
    for (const id of ["model-file", "model-url", "load-url", "rerank"]) $(id).disabled = true;
    setStatus("This browser cannot run crossbyte: WebAssembly SIMD is missing.", true);
    return;
  }
  $("model-file").addEventListener("change", (e) => {
    const file = e.target.files?.[0];
    if (file) load(file, file.name);
  });
  $("load-url").addEventListener("click", () => {
    const url = $("model-url").value.trim();
    if (url) load(new URL(url, location.href).href, url);
  });
  $("model-url").addEventListener("keydown", (e) => {
    if (e.key === "Enter") $("load-url").click();
  });
  $("rerank").addEventListener("click", rerank);
  $("cancel").addEventListener("click", () => running?.abort());
  $("clear-cache").addEventListener("click", async () => {
    localStorage.removeItem(LAST_URL);
    setStatus((await clearCache()) ? "Cached models removed." : "No cached models.");
  });
  // Offline use: a service worker keeps the page and the runtime, crossbyte's
  // model cache the models loaded by URL; the last one is loaded again.
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("sw.js").catch(() => {});
  }
  const last = localStorage.getItem(LAST_URL);
  if (last) {
    $("model-url").value = last;
    load(last, last);
  }
  document.body.dataset.ready = "1";
}

init();
