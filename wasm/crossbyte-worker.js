// crossbyte-worker.js: the worker behind load(src, { worker: true }) in
// crossbyte.js (a Web Worker, or a worker_threads Worker in Node). It holds one
// model and answers {id, method, args} requests one at a time with {id, value}
// or {id, error}; the batching, progress and cancellation are the caller's side.
import { CrossEncoder, SentenceEncoder } from "./crossbyte.js";

const node = typeof process === "object" && typeof process.versions?.node === "string";
const port = node ? (await import("node:worker_threads")).parentPort : self;

let model = null;
const METHODS = new Set(["predict", "rank", "tokenize", "encode", "similarity"]);

async function run(method, args) {
  if (method === "load") {
    const [kind, source, options] = args;
    model = await (kind === "SentenceEncoder" ? SentenceEncoder : CrossEncoder).load(source, options);
    const info = { ...model }; // architecture, dtype, lengths (and dimension, pooling)
    if (model.labels) info.labels = [...model.labels];
    return info;
  }
  if (!METHODS.has(method)) throw new Error(`crossbyte: the worker has no method ${method}`);
  return model[method](...args);
}

// Vectors go back by transfer, not copy.
function buffersOf(value) {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v) => v instanceof Float32Array).map((v) => v.buffer);
}

async function onRequest({ id, method, args }) {
  try {
    const value = await run(method, args);
    port.postMessage({ id, value }, buffersOf(value));
  } catch (e) {
    // `code` (the cb_status) does not survive structured cloning of an Error.
    port.postMessage({ id, error: { name: e?.name ?? "Error", message: e?.message ?? String(e), code: e?.code } });
  }
}

if (node) port.on("message", onRequest);
else port.onmessage = (e) => onRequest(e.data);
port.postMessage({ ready: true });
