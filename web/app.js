// The reranking page: load a .cbm model (file or URL), rank passages for a query.
import { CrossEncoder, simdSupported } from "../wasm/crossbyte.js";

const $ = (id) => document.getElementById(id);
let model = null;

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

function describe(m, bytes, ms) {
  const labels = m.labels.length === 1 ? "1 label" : `${m.labels.length} labels (${m.labels.join(", ")})`;
  const mb = (bytes / (1024 * 1024)).toFixed(1);
  return `Loaded ${m.architecture}, ${m.dtype}, ${labels}, max length ${m.maxLength}: ${mb} MiB in ${ms.toFixed(0)} ms.`;
}

async function load(source, name) {
  $("rerank").disabled = true;
  setStatus(`Loading ${name}…`);
  try {
    const t0 = performance.now();
    const bytes = source instanceof Blob ? new Uint8Array(await source.arrayBuffer()) : source;
    const next = await CrossEncoder.load(bytes);
    model?.dispose();
    model = next;
    setStatus(describe(model, bytes.byteLength ?? 0, performance.now() - t0));
    $("rerank").disabled = false;
  } catch (e) {
    setStatus(`Could not load ${name}: ${e.message}`, true);
    $("rerank").disabled = model === null;
  }
}

async function fetchModel(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
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
  $("timing").textContent = `Reranking ${docs.length} passages…`;
  await new Promise((r) => setTimeout(r, 0)); // let the status paint
  try {
    const t0 = performance.now();
    const ranked = model.rank(query, docs);
    const ms = performance.now() - t0;
    for (const r of ranked) {
      const li = document.createElement("li");
      li.dataset.corpusId = String(r.corpusId);
      li.dataset.score = String(r.score);
      const score = document.createElement("span");
      score.className = "score";
      score.textContent = r.score.toFixed(4);
      li.append(score, " ", docs[r.corpusId]);
      list.append(li);
    }
    $("timing").textContent = `Reranked ${docs.length} passages in ${ms.toFixed(1)} ms (${model.dtype}, 1 thread).`;
  } catch (e) {
    $("timing").textContent = `Error: ${e.message}`;
  } finally {
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
  $("load-url").addEventListener("click", async () => {
    const url = $("model-url").value.trim();
    if (!url) return;
    try {
      setStatus(`Downloading ${url}…`);
      await load(await fetchModel(new URL(url, location.href)), url);
    } catch (e) {
      setStatus(`Could not download ${url}: ${e.message}`, true);
    }
  });
  $("model-url").addEventListener("keydown", (e) => {
    if (e.key === "Enter") $("load-url").click();
  });
  $("rerank").addEventListener("click", rerank);
  // Offline use: a service worker keeps the page, the runtime and fetched models.
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("sw.js").catch(() => {});
  }
  document.body.dataset.ready = "1";
}

init();
