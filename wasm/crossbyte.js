// crossbyte.js: sentence-transformers cross-encoders and bi-encoders in the
// browser and in Node, on crossbyte's C runtime compiled to WebAssembly (SIMD128).
//
//   import { CrossEncoder, SentenceEncoder } from "crossbyte";
//   const ce = await CrossEncoder.load("model.cbm");      // URL, bytes, or (Node) a path
//   ce.predict([["query", "passage"]]);                   // [0.93]
//   ce.rank("query", ["passage 1", "passage 2"]);         // [{corpusId, score}, ...] best first
//   ce.dispose();
//   const se = await SentenceEncoder.load("all-MiniLM-L6-v2.cbm");
//   const [q, p] = se.encode(["query", "passage"]);       // Float32Array each
//   se.similarity(q, p);                                  // cosine
//   const w = await CrossEncoder.load(url, { worker: true });   // off the main thread:
//   await w.rank("query", docs, { signal, onProgress });  // the same methods, as Promises
//
// The wrapper only moves texts and numbers across the boundary: tokenizing,
// batching, the encoder, activations, ranking and every error message are the
// C library's (wasm/crossbyte_wasm.c over runtime/include/crossbyte.h).
import createCrossbyteCore from "./dist/crossbyte-core.js";

const isNode = typeof process === "object" && process !== null && typeof process.versions?.node === "string";

// cb_activation in crossbyte.h
const ACTIVATION = { default: 0, none: 1, sigmoid: 2, softmax: 3 };

// The 4 bytes of "\0asm", version 1, and a function using a v128 value: the
// smallest module that only validates where WebAssembly SIMD is supported.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/** True when this JavaScript engine runs WebAssembly with 128-bit SIMD. */
export function simdSupported() {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * True when this engine can run the threads build: SharedArrayBuffer and
 * shared WebAssembly memory, which browsers give only to cross-origin
 * isolated pages (the COOP and COEP headers, see web/README.md) and their
 * workers; Node always.
 */
export function threadsSupported() {
  if (typeof SharedArrayBuffer !== "function" || typeof Atomics !== "object") return false;
  if (!isNode && globalThis.crossOriginIsolated !== true) return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

// More threads than this are not used unless asked for: each is a Worker
// holding its own instance of the module, and the rerankers' batches gain
// little past four.
const DEFAULT_MAX_THREADS = 4;

async function hardwareThreads() {
  if (isNode) {
    const os = await import("node:os");
    return os.availableParallelism?.() ?? os.cpus().length;
  }
  return globalThis.navigator?.hardwareConcurrency || 1;
}

/**
 * Which build a load uses and with how many threads: { threads, numThreads }.
 * threads: true insists on the threads build, false on the single-thread one;
 * by default the threads build where threadsSupported() and more than one
 * thread is wanted (numThreads, default the hardware's, at most 4), else the
 * single-thread build with one. A wasmUrl (which moves the single-thread
 * build's wasm) keeps the single-thread build unless threads is true.
 */
async function chooseBuild(options) {
  const { threads } = options;
  if (threads !== undefined && typeof threads !== "boolean") throw new TypeError("crossbyte: threads must be true, false or omitted");
  let n = options.numThreads;
  if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 256)) {
    throw new TypeError(`crossbyte: numThreads must be a whole number from 1 to 256, got ${n}`);
  }
  if (threads === false) {
    if (n > 1) throw new RangeError(`crossbyte: numThreads ${n} needs the threads build (threads: false was given)`);
    return { threads: false, numThreads: 1 };
  }
  if (threads === true) {
    if (!threadsSupported()) {
      throw new Error("crossbyte: the threads build needs SharedArrayBuffer: a cross-origin isolated page (COOP and COEP headers) or Node");
    }
    return { threads: true, numThreads: n ?? Math.min(DEFAULT_MAX_THREADS, await hardwareThreads()) };
  }
  if (options.wasmUrl !== undefined || !threadsSupported()) return { threads: false, numThreads: 1 };
  n ??= Math.min(DEFAULT_MAX_THREADS, await hardwareThreads());
  return n > 1 ? { threads: true, numThreads: n } : { threads: false, numThreads: 1 };
}

// The two builds of the runtime: dist/crossbyte-core.{js,wasm} and, with
// Emscripten's pthreads, dist/crossbyte-core-threads.{js,wasm} (+ .worker.js,
// which its threads run). The threads build is imported only when used.
const BUILDS = {
  single: { factory: async () => createCrossbyteCore, wasm: "./dist/crossbyte-core.wasm" },
  threads: {
    factory: async () => (await import("./dist/crossbyte-core-threads.js")).default,
    wasm: "./dist/crossbyte-core-threads.wasm",
  },
};
const cores = new Map(); // build name -> Promise of its module, loaded once and shared

async function readNodeFile(pathOrUrl) {
  const { readFile } = await import("node:fs/promises");
  return readFile(pathOrUrl);
}

async function wasmBytesOrResponse(url) {
  if (isNode && url.protocol === "file:") return readNodeFile(url);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`crossbyte: cannot fetch ${url}: HTTP ${response.status}`);
  return response;
}

// Node has no Worker: the threads build starts its pthreads on this adapter,
// a worker_threads Worker made to look like a Web Worker on both sides (the
// pthread script, dist/crossbyte-core-threads.worker.js, is written for one).
// Messages that arrive before that script has set self.onmessage wait, in order.
const NODE_THREAD_BOOT = `
const { parentPort, workerData } = require("node:worker_threads");
globalThis.self = globalThis;
globalThis.postMessage = (message, transfer) => parentPort.postMessage(message, transfer);
let ready = false;
const early = [];
parentPort.on("message", (data) => (ready ? self.onmessage({ data }) : early.push(data)));
import(workerData).then(() => {
  for (const data of early) self.onmessage({ data });
  ready = true;
}, (e) => { throw e; });
`;

async function nodeWorkerClass() {
  const { Worker } = await import("node:worker_threads");
  return class NodeThreadWorker {
    #worker;
    constructor(url) {
      this.#worker = new Worker(NODE_THREAD_BOOT, { eval: true, workerData: String(url) });
      this.#worker.on("message", (data) => {
        // Once it has loaded the module the Worker no longer keeps Node
        // running: while a call uses it the caller is busy anyway, and an
        // idle one must not hold the process. Until then a load awaits it.
        if (data?.cmd === "loaded") this.#worker.unref();
        this.onmessage?.({ data });
      });
      this.#worker.on("error", (e) => this.onerror?.(e));
    }
    postMessage(message, transfer) {
      this.#worker.postMessage(message, transfer);
    }
    terminate() {
      this.#worker.terminate();
    }
  };
}

/** Loads a build of the WebAssembly module once; later calls share it. */
function loadCore(build, wasmUrl) {
  if (cores.has(build)) return cores.get(build);
  if (!simdSupported()) {
    return Promise.reject(new Error("crossbyte: this JavaScript engine lacks WebAssembly SIMD (128-bit), which crossbyte needs"));
  }
  const url = wasmUrl
    ? new URL(wasmUrl, isNode ? undefined : globalThis.location?.href)
    : new URL(BUILDS[build].wasm, import.meta.url);
  const promise = (async () => {
    const [factory, NodeWorker] = await Promise.all([
      BUILDS[build].factory(),
      build === "threads" && isNode ? nodeWorkerClass() : undefined,
    ]);
    return new Promise((resolve, reject) => {
      factory({
        // Hand Emscripten the instance ourselves: no Node-specific loader code
        // and no dependence on Node's experimental fetch.
        instantiateWasm(imports, receive) {
          wasmBytesOrResponse(url)
            .then(async (src) => {
              if (typeof Response === "function" && src instanceof Response) {
                if (typeof WebAssembly.instantiateStreaming === "function") {
                  try {
                    return await WebAssembly.instantiateStreaming(src.clone(), imports);
                  } catch {
                    // a server without the application/wasm type: fall back below
                  }
                }
                src = await src.arrayBuffer();
              }
              return WebAssembly.instantiate(src, imports);
            })
            .then((result) => receive(result.instance, result.module), reject);
          return {};
        },
        crossbyteWorker: NodeWorker, // the threads build in Node (wasm/threads-pre.js)
        print: () => {},
        printErr: () => {},
      }).then(resolve, reject);
    });
  })().catch((e) => {
    cores.delete(build);
    throw e instanceof Error ? e : new Error(`crossbyte: cannot start the WebAssembly module: ${e}`);
  });
  cores.set(build, promise);
  return promise;
}

/**
 * Emscripten updates the module's HEAP views when the thread calling in grows
 * the memory; in the threads build another thread could have grown it, so
 * the views are renewed if the memory moved on (wasm/threads-post.js).
 */
function views(core) {
  core.crossbyteViews?.();
  return core;
}

// Models fetched over http(s) are kept here (the Cache API, where there is
// one: browsers, their workers) so a page loads them again without the network.
const MODEL_CACHE = "crossbyte-models-v1";

async function modelCache(url, options) {
  if (options.cache === false || !/^https?:$/.test(url.protocol) || typeof globalThis.caches !== "object") return null;
  try {
    return await globalThis.caches.open(MODEL_CACHE);
  } catch {
    return null; // e.g. storage disabled: load without caching
  }
}

/**
 * The model's bytes, and for a URL with the cache on what to do once it is
 * known whether they load: keep (store a fresh download) or evict (drop a
 * cached copy), so the cache only ever holds a file that loaded.
 */
async function readSource(source, options) {
  if (source instanceof Uint8Array) return { bytes: source };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source) };
  if (ArrayBuffer.isView(source)) return { bytes: new Uint8Array(source.buffer, source.byteOffset, source.byteLength) };
  if (typeof Blob === "function" && source instanceof Blob) return { bytes: new Uint8Array(await source.arrayBuffer()) };
  let url = null;
  if (source instanceof URL) url = source;
  else if (typeof source === "string") {
    if (/^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(source) && !/^[a-zA-Z]:[\\/]/.test(source)) url = new URL(source);
    else if (isNode) return { bytes: new Uint8Array(await readNodeFile(source)) };
    else url = new URL(source, globalThis.location?.href);
  } else {
    throw new TypeError("crossbyte: CrossEncoder.load needs a URL, an ArrayBuffer, a Uint8Array or (in Node) a file path");
  }
  if (isNode && url.protocol === "file:") return { bytes: new Uint8Array(await readNodeFile(url)) };
  const store = await modelCache(url, options);
  const hit = await store?.match(url.href);
  if (hit) return { bytes: new Uint8Array(await hit.arrayBuffer()), evict: () => store.delete(url.href) };
  const response = await fetch(url);
  if (!response.ok) throw new Error(`crossbyte: cannot fetch ${url}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const keep = store && (() => store.put(url.href, new Response(bytes, { headers: { "content-type": "application/octet-stream" } })));
  return { bytes, keep };
}

async function checkSha256(bytes, want) {
  if (typeof want !== "string" || !/^[0-9a-fA-F]{64}$/.test(want)) throw new TypeError("crossbyte: sha256 must be 64 hex digits");
  if (!globalThis.crypto?.subtle) throw new Error("crossbyte: sha256 needs crypto.subtle (a secure context: https or localhost)");
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes));
  const got = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  if (got !== want.toLowerCase()) {
    throw Object.assign(new Error(`crossbyte: the model's SHA-256 is ${got}, expected ${want.toLowerCase()}`), { code: MODEL_FORMAT });
  }
}

/**
 * Removes models cached by load: the one fetched from `url`, or all of them.
 * Resolves to whether anything was removed (false where there is no Cache API).
 */
export async function clearCache(url) {
  if (typeof globalThis.caches !== "object") return false;
  if (url === undefined) return globalThis.caches.delete(MODEL_CACHE);
  const store = await globalThis.caches.open(MODEL_CACHE);
  return store.delete(new URL(url, globalThis.location?.href).href);
}

const encoder = new TextEncoder();

function checkText(t, where) {
  if (typeof t !== "string") throw new TypeError(`crossbyte: ${where} must be a string, got ${t === null ? "null" : typeof t}`);
  return t;
}

function checkInt(v, name) {
  if (v === undefined || v === null) return 0;
  if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw new TypeError(`crossbyte: ${name} must be a whole number >= 0, got ${v}`);
  return v;
}

// maxLength: undefined means the model's default; 0 is not a length (the C
// API reads 0 as "default", so it is refused here rather than passed on).
function checkLength(v) {
  if (v === 0) throw Object.assign(new RangeError("crossbyte: maxLength 0 is not a length (omit it for the model's default)"), { code: 11 });
  return checkInt(v, "maxLength");
}

function activationOf(opts) {
  if (opts.raw) return ACTIVATION.none;
  if (opts.activation === undefined || opts.activation === null) return ACTIVATION.default;
  const a = ACTIVATION[opts.activation];
  if (a === undefined) throw new TypeError(`crossbyte: activation must be one of ${Object.keys(ACTIVATION).join(", ")}`);
  return a;
}

// The checks below are shared by the synchronous classes and the worker ones,
// which run them before sending anything: the same errors, in the same order.

/** The texts of [a, b] pairs, flattened. */
function pairTexts(pairs, method) {
  if (!Array.isArray(pairs)) throw new TypeError(`crossbyte: ${method} needs an array of [text a, text b] pairs`);
  const texts = [];
  pairs.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2) throw new TypeError(`crossbyte: pair ${i} must be [text a, text b]`);
    texts.push(checkText(p[0], `pair ${i} text a`), checkText(p[1], `pair ${i} text b`));
  });
  return texts;
}

// Long documents: cb_long_document, cb_aggregate and the stride in crossbyte.h.
const LONG_DOCUMENT = { truncate: 0, chunk: 1 };
const AGGREGATE = { max: 0, first: 1, mean: 2 };

function longOptions(options) {
  const mode = LONG_DOCUMENT[options.longDocument ?? "truncate"];
  if (mode === undefined) throw new TypeError(`crossbyte: longDocument must be "truncate" or "chunk", got ${options.longDocument}`);
  const aggregate = AGGREGATE[options.aggregate ?? "max"];
  if (aggregate === undefined) throw new TypeError(`crossbyte: aggregate must be "max", "first" or "mean", got ${options.aggregate}`);
  // stride: undefined = the library's default (a quarter of the window), 0 = none (CB_STRIDE_NONE)
  const s = options.stride === undefined || options.stride === null ? undefined : checkInt(options.stride, "stride");
  return { longDocument: mode, stride: s === undefined ? 0 : s === 0 ? -1 : s, aggregate };
}

function scoreOptions(options) {
  return {
    maxLength: checkLength(options.maxLength),
    batchSize: checkInt(options.batchSize, "batchSize"),
    activation: activationOf(options),
    ...longOptions(options),
  };
}

const utf8 = new TextEncoder(), fromUtf8 = new TextDecoder();

/** rank's arguments; returns how many results to keep. */
function checkRank(query, docs, options) {
  checkText(query, "query");
  if (!Array.isArray(docs)) throw new TypeError("crossbyte: rank needs an array of documents");
  docs.forEach((d, i) => checkText(d, `document ${i}`));
  checkLength(options.maxLength);
  checkInt(options.batchSize, "batchSize");
  const topK = options.topK === undefined || options.topK === null ? docs.length : checkInt(options.topK, "topK");
  activationOf(options);
  longOptions(options);
  return topK;
}

// ---- shared by CrossEncoder and SentenceEncoder --------------------------------

function coreError(core) {
  const code = core._cbw_status();
  const e = new Error(core.UTF8ToString(core._cbw_message()) || core.UTF8ToString(core._cbw_status_string(code)));
  e.code = code;
  return e;
}

// cb_status values in crossbyte.h
const MODEL_FORMAT = 4, WRONG_MODEL_KIND = 14;

// Loads into the threads build run one after another: between reserving a
// model's Workers and starting its threads no other load may take them.
let threadsLoads = Promise.resolve();

/** cbw_load(_threads) of `bytes` into `core`: the model's handle (throws on failure). */
async function openModel(core, bytes, skipChecksum, numThreads) {
  const open = () => {
    const image = core._cbw_image_alloc(bytes.length);
    if (!image) throw coreError(core);
    views(core).HEAPU8.set(bytes, image);
    // cbw_load owns the image from here on, on success and on failure.
    const handle = core._cbw_load_threads
      ? core._cbw_load_threads(image, bytes.length, skipChecksum, numThreads)
      : core._cbw_load(image, bytes.length, skipChecksum);
    if (!handle) throw coreError(core);
    return handle;
  };
  if (!core._cbw_load_threads) return open();
  // The threads the model starts each need a Worker that has loaded the module.
  const done = threadsLoads.then(() => core.crossbyteReserveWorkers(numThreads - 1)).then(open);
  threadsLoads = done.catch(() => {});
  return done;
}

/** The wasm core and a model handle for a .cbm source; `bi` says which kind the caller needs. */
async function loadModel(source, options, bi) {
  let { threads, numThreads } = await chooseBuild(options);
  const read = readSource(source, options);
  read.catch(() => {}); // awaited below, where its failure is reported
  let core;
  try {
    core = await loadCore(threads ? "threads" : "single", options.wasmUrl);
    if (threads) await core.crossbyteReserveWorkers(numThreads - 1);
  } catch (e) {
    if (!threads || options.threads === true) throw e;
    // The threads build was only the default and cannot start here (its
    // files missing, or its Workers' scripts not served, e.g. offline in a
    // browser that does not answer them from a service worker): the
    // single-thread build computes the same bits.
    [threads, numThreads] = [false, 1];
    core = await loadCore("single", options.wasmUrl);
  }
  const { bytes, keep, evict } = await read;
  let handle = 0;
  try {
    if (options.sha256 !== undefined) await checkSha256(bytes, options.sha256);
    handle = await openModel(core, bytes, options.skipChecksum ? 1 : 0, numThreads);
  } catch (e) {
    await evict?.();
    throw e;
  }
  await keep?.().catch(() => {}); // no room to cache it: the model is loaded all the same
  if ((core._cbw_embedding_size(handle) > 0) !== bi) {
    const arch = core.UTF8ToString(core._cbw_architecture(handle));
    core._cbw_free(handle);
    throw Object.assign(
      new Error(bi ? `crossbyte: SentenceEncoder needs a bi-encoder; this model is a cross-encoder (${arch}): use CrossEncoder`
                   : `crossbyte: CrossEncoder needs a cross-encoder; this model is a bi-encoder: use SentenceEncoder`),
      { code: WRONG_MODEL_KIND });
  }
  return { core, handle, threads: { threads, numThreads } };
}

/** What both kinds of model say about themselves; `threads`: which build, how many threads. */
function describe(core, handle, threads) {
  return {
    ...threads,
    architecture: core.UTF8ToString(core._cbw_architecture(handle)),
    dtype: core.UTF8ToString(core._cbw_dtype(handle)),
    maxLength: core._cbw_max_length(handle),
    maxPositions: core._cbw_max_positions(handle),
  };
}

// Texts into one UTF-8 block in wasm memory; spans are (offset, length) pairs.
function withTexts(core, texts, fn) {
  const encoded = texts.map((t) => encoder.encode(t));
  let total = 1;
  for (const b of encoded) total += b.length;
  if (total > 0x7fffffff) throw Object.assign(new Error("crossbyte: texts too large for WebAssembly memory"), { code: 2 });
  const text = core._malloc(total);
  const spans = core._malloc(Math.max(1, encoded.length) * 8);
  try {
    if (!text || !spans) throw Object.assign(new Error("crossbyte: out of memory for the texts"), { code: 2 });
    const heap = views(core).HEAPU8, u32 = core.HEAPU32;
    let off = 0;
    encoded.forEach((b, i) => {
      heap.set(b, text + off);
      u32[(spans >> 2) + 2 * i] = off;
      u32[(spans >> 2) + 2 * i + 1] = b.length;
      off += b.length;
    });
    return fn(text, spans);
  } finally {
    core._free(text);
    core._free(spans);
  }
}

export class CrossEncoder {
  #core;
  #handle;
  #labels;

  /** @private use CrossEncoder.load */
  constructor(core, handle, threads) {
    this.#core = core;
    this.#handle = handle;
    const n = core._cbw_num_labels(handle);
    this.#labels = Object.freeze(Array.from({ length: n }, (_, i) => core.UTF8ToString(core._cbw_label(handle, i))));
    Object.assign(this, describe(core, handle, threads));
    Object.freeze(this);
  }

  /**
   * Loads a .cbm model (crossbyte convert) from a URL, an ArrayBuffer, a
   * Uint8Array, a Blob, or in Node a file path.
   */
  static async load(source, options = {}) {
    if (options.worker) return new CrossEncoderWorker(...(await startWorker("CrossEncoder", source, options)));
    const { core, handle, threads } = await loadModel(source, options, false);
    return new CrossEncoder(core, handle, threads);
  }

  static clearCache = clearCache;

  /** The labels (id2label), in score order. */
  get labels() {
    return this.#labels;
  }

  #live() {
    if (!this.#handle) throw new Error("crossbyte: this CrossEncoder was disposed");
    return this.#core;
  }

  #withTexts(texts, fn) {
    return withTexts(this.#core, texts, fn);
  }

  #call(status) {
    if (status !== 0) throw coreError(this.#core);
  }

  /**
   * Scores (text a, text b) pairs: one number per pair (one label) or an array
   * per pair (several), after the model's default activation unless raw.
   * longDocument: "chunk" scores a passage too long for maxLength beside the
   * query as overlapping windows of whole words (stride word pieces shared,
   * default a quarter of the window, 0 none) aggregated by aggregate ("max",
   * "first", "mean"); "truncate" (the default) cuts it, as sentence-transformers.
   */
  predict(pairs, options = {}) {
    const core = this.#live();
    const texts = pairTexts(pairs, "predict");
    const { maxLength, batchSize, activation, longDocument, stride, aggregate } = scoreOptions(options);
    const n = pairs.length, L = this.#labels.length;
    if (n === 0) return [];
    return this.#withTexts(texts, (text, spans) => {
      const scores = core._malloc(n * L * 4);
      try {
        if (!scores) throw Object.assign(new Error("crossbyte: out of memory for the scores"), { code: 2 });
        this.#call(core._cbw_predict(this.#handle, text, spans, n, maxLength, batchSize, activation, longDocument, stride,
          aggregate, scores));
        const f = views(core).HEAPF32.subarray(scores >> 2, (scores >> 2) + n * L);
        if (L === 1) return Array.from(f);
        return Array.from({ length: n }, (_, i) => Array.from(f.subarray(i * L, (i + 1) * L)));
      } finally {
        core._free(scores);
      }
    });
  }

  /**
   * Scores (query, doc) for every doc and returns [{corpusId, score}] best
   * first (ties keep document order); topK keeps the first K. longDocument,
   * stride, aggregate: as predict; with "chunk" each result also has
   * window: {begin, end, index, count, text}, the part of the document its
   * score comes from (bytes [begin, end) of its UTF-8, and that text).
   */
  rank(query, docs, options = {}) {
    const core = this.#live();
    const topK = checkRank(query, docs, options);
    const { maxLength, batchSize, activation, longDocument, stride, aggregate } = scoreOptions(options);
    const n = docs.length;
    return this.#withTexts([query, ...docs], (text, spans) => {
      const ids = core._malloc(Math.max(1, n) * 4), scores = core._malloc(Math.max(1, n) * 4);
      const windows = core._malloc(Math.max(1, n) * 16);
      try {
        if (!ids || !scores || !windows) throw Object.assign(new Error("crossbyte: out of memory for the ranking"), { code: 2 });
        this.#call(core._cbw_rank(this.#handle, text, spans, n, maxLength, batchSize, activation, longDocument, stride,
          aggregate, ids, scores, windows));
        const out = [];
        const u32 = views(core).HEAPU32, f32 = core.HEAPF32;
        for (let i = 0; i < Math.min(n, topK); i++) {
          const r = { corpusId: u32[(ids >> 2) + i], score: f32[(scores >> 2) + i] };
          if (options.returnDocuments) r.text = docs[r.corpusId];
          if (longDocument) {
            const w = (windows >> 2) + 4 * i, begin = u32[w], end = u32[w + 1];
            r.window = { begin, end, index: u32[w + 2], count: u32[w + 3],
              text: fromUtf8.decode(utf8.encode(docs[r.corpusId]).subarray(begin, end)) };
          }
          out.push(r);
        }
        return out;
      } finally {
        core._free(ids);
        core._free(scores);
        core._free(windows);
      }
    });
  }

  /** Token ids and token type ids of each pair, as the model sees them. */
  tokenize(pairs, options = {}) {
    const core = this.#live();
    if (!Array.isArray(pairs)) throw new TypeError("crossbyte: tokenize needs an array of [text a, text b] pairs");
    const maxLength = checkLength(options.maxLength);
    const cap = this.maxPositions;
    const ids = core._malloc(cap * 4), types = core._malloc(cap * 4);
    try {
      if (!ids || !types) throw Object.assign(new Error("crossbyte: out of memory for the token ids"), { code: 2 });
      return pairs.map((p, i) => {
        if (!Array.isArray(p) || p.length !== 2) throw new TypeError(`crossbyte: pair ${i} must be [text a, text b]`);
        checkText(p[0], `pair ${i} text a`);
        checkText(p[1], `pair ${i} text b`);
        return this.#withTexts(p, (text, spans) => {
          const n = core._cbw_tokenize(this.#handle, text, spans, maxLength, ids, types, cap);
          if (n < 0) throw coreError(core);
          return {
            inputIds: Array.from(views(core).HEAP32.subarray(ids >> 2, (ids >> 2) + n)),
            tokenTypeIds: Array.from(core.HEAP32.subarray(types >> 2, (types >> 2) + n)),
          };
        });
      });
    } finally {
      core._free(ids);
      core._free(types);
    }
  }

  /** Frees the model's WebAssembly memory; the instance cannot be used after. */
  dispose() {
    if (this.#handle) this.#core._cbw_free(this.#handle);
    this.#handle = 0;
  }
}

const NORMALIZE = { undefined: 0, null: 0, true: 1, false: -1 };

/** encode's arguments: one string or a list of them, and the options as cbw_embed takes them. */
function checkEncode(texts, options) {
  const single = typeof texts === "string";
  const list = single ? [texts] : texts;
  if (!Array.isArray(list)) throw new TypeError("crossbyte: encode needs a string or an array of strings");
  list.forEach((t, i) => checkText(t, `text ${i}`));
  const maxLength = checkLength(options.maxLength), batchSize = checkInt(options.batchSize, "batchSize");
  const normalize = NORMALIZE[options.normalize];
  if (normalize === undefined) throw new TypeError("crossbyte: normalize must be true, false or omitted");
  return { single, list, maxLength, batchSize, normalize };
}

function asVectors(x, what) {
  if (x instanceof Float32Array || (Array.isArray(x) && typeof x[0] === "number")) return [x, true];
  if (Array.isArray(x) && x.every((v) => v instanceof Float32Array || Array.isArray(v))) return [x, false];
  throw new TypeError(`crossbyte: ${what} must be a vector or an array of vectors`);
}

function cosine(a, b) {
  if (a.length !== b.length) throw new RangeError(`crossbyte: vectors of ${a.length} and ${b.length} dimensions`);
  let ab = 0, aa = 0, bb = 0;
  for (let k = 0; k < a.length; k++) {
    ab += a[k] * b[k];
    aa += a[k] * a[k];
    bb += b[k] * b[k];
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/**
 * A sentence-transformers bi-encoder (SentenceTransformer.encode): one vector
 * per text, pooled and normalised as the model's modules say.
 */
export class SentenceEncoder {
  #core;
  #handle;

  /** @private use SentenceEncoder.load */
  constructor(core, handle, threads) {
    this.#core = core;
    this.#handle = handle;
    this.dimension = core._cbw_embedding_size(handle);
    this.pooling = core.UTF8ToString(core._cbw_pooling(handle));
    Object.assign(this, describe(core, handle, threads));
    Object.freeze(this);
  }

  /** Loads a bi-encoder .cbm (crossbyte convert of a sentence-transformers folder). */
  static async load(source, options = {}) {
    if (options.worker) return new SentenceEncoderWorker(...(await startWorker("SentenceEncoder", source, options)));
    const { core, handle, threads } = await loadModel(source, options, true);
    return new SentenceEncoder(core, handle, threads);
  }

  static clearCache = clearCache;

  #live() {
    if (!this.#handle) throw new Error("crossbyte: this SentenceEncoder was disposed");
    return this.#core;
  }

  /**
   * A string gives one Float32Array, an array of strings an array of them.
   * normalize: true / false override the model's Normalize module.
   */
  encode(texts, options = {}) {
    const core = this.#live();
    const { single, list, maxLength, batchSize, normalize } = checkEncode(texts, options);
    const n = list.length, d = this.dimension;
    if (n === 0) return [];
    const out = withTexts(core, list, (text, spans) => {
      const vecs = core._malloc(n * d * 4);
      try {
        if (!vecs) throw Object.assign(new Error("crossbyte: out of memory for the embeddings"), { code: 2 });
        const status = core._cbw_embed(this.#handle, text, spans, n, maxLength, batchSize, normalize, vecs);
        if (status !== 0) throw coreError(core);
        return Array.from({ length: n }, (_, i) => views(core).HEAPF32.slice((vecs >> 2) + i * d, (vecs >> 2) + (i + 1) * d));
      } finally {
        core._free(vecs);
      }
    });
    return single ? out[0] : out;
  }

  /** Cosine similarity: a number for two vectors, else a matrix [a.length][b.length]. */
  similarity(a, b) {
    const [va, oneA] = asVectors(a, "a"), [vb, oneB] = asVectors(b, "b");
    if (oneA && oneB) return cosine(va, vb);
    const rows = oneA ? [va] : va, cols = oneB ? [vb] : vb;
    return rows.map((x) => cols.map((y) => cosine(x, y)));
  }

  /** Token ids of each text, as the model sees them. */
  tokenize(texts, options = {}) {
    const core = this.#live();
    if (!Array.isArray(texts)) throw new TypeError("crossbyte: tokenize needs an array of texts");
    const maxLength = checkLength(options.maxLength), cap = this.maxPositions;
    const ids = core._malloc(cap * 4);
    try {
      if (!ids) throw Object.assign(new Error("crossbyte: out of memory for the token ids"), { code: 2 });
      return texts.map((t, i) =>
        withTexts(core, [checkText(t, `text ${i}`), ""], (text, spans) => {
          const n = core._cbw_tokenize(this.#handle, text, spans, maxLength, ids, 0, cap);
          if (n < 0) throw coreError(core);
          return Array.from(views(core).HEAP32.subarray(ids >> 2, (ids >> 2) + n));
        }));
    } finally {
      core._free(ids);
    }
  }

  /** Frees the model's WebAssembly memory; the instance cannot be used after. */
  dispose() {
    if (this.#handle) this.#core._cbw_free(this.#handle);
    this.#handle = 0;
  }
}

// ---- worker mode: load(src, { worker: true }) ----------------------------------
// The model lives in a Web Worker (browsers) or a worker_threads Worker (Node)
// running crossbyte-worker.js; every method returns a Promise. Long calls are
// sent one batch at a time, so the caller sees progress after each batch and an
// abort stops the call between two batches.

const BATCH = 32; // the C library's batch size when batchSize is omitted

function abortError(signal) {
  return signal.reason ?? new DOMException("crossbyte: the call was aborted", "AbortError");
}

// Errors cross the thread as plain data (structured clone drops `code`).
function fromWire({ name, message, code }) {
  const Kind = { TypeError, RangeError }[name] ?? Error;
  const e = new Kind(message);
  if (e.name !== name) e.name = name;
  if (code !== undefined) e.code = code;
  return e;
}

/** One worker holding one model: requests and their answers, matched by id. */
class Remote {
  #worker;
  #pending = new Map();
  #next = 1;
  #closed = null;   // the Error every call gets once the worker is gone
  #tail = Promise.resolve();

  constructor(worker, name) {
    this.#worker = worker;
    this.name = name;
  }

  /**
   * Starts the worker and waits for it to say it listens. In a browser the
   * worker is first a one-line blob: module importing crossbyte-worker.js: a
   * blob: worker is controlled by its page's service worker, a worker at its
   * own URL only by one whose scope covers that URL, so an offline page whose
   * service worker serves the runtime (web/sw.js, scope web/) can still start
   * it. Where blob: workers are refused (a Content-Security-Policy without
   * worker-src blob:), the script's own URL is tried next.
   */
  static async start(name) {
    const url = new URL("./crossbyte-worker.js", import.meta.url);
    if (isNode) return Remote.#started(new (await import("node:worker_threads")).Worker(url), name);
    let shim = null;
    try {
      shim = URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};\n`], { type: "text/javascript" }));
      return await Remote.#started(new Worker(shim, { type: "module" }), name);
    } catch {
      return Remote.#started(new Worker(url, { type: "module" }), name);
    } finally {
      if (shim) URL.revokeObjectURL(shim);
    }
  }

  static async #started(worker, name) {
    const remote = new Remote(worker, name);
    await new Promise((ready, fail) => {
      const onMessage = (data) => (data?.ready ? ready() : remote.#answer(data));
      const onError = (e) => {
        // A script that does not load gives a bare Event, without a message.
        const error = new Error(`crossbyte: the ${name} worker failed: ${e?.message || "its script did not load"}`);
        if (!isNode) worker.terminate();
        fail(error);
        remote.#shut(error);
      };
      if (isNode) {
        worker.on("message", onMessage).on("error", onError);
        worker.on("exit", () => remote.#shut(new Error(`crossbyte: the ${name} worker exited`)));
      } else {
        worker.onmessage = (e) => onMessage(e.data);
        worker.onerror = (e) => (e.preventDefault(), onError(e));
      }
    });
    worker.unref?.(); // an idle Node worker does not keep the process alive
    return remote;
  }

  #answer({ id, value, error }) {
    const call = this.#pending.get(id);
    if (!call) return;
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker.unref?.();
    if (error) call.reject(fromWire(error));
    else call.resolve(value);
  }

  #shut(error) {
    this.#closed ??= error;
    for (const call of this.#pending.values()) call.reject(this.#closed);
    this.#pending.clear();
  }

  /** One request; `transfer` lists buffers to move rather than copy. */
  call(method, args, transfer = []) {
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      const id = this.#next++;
      this.#pending.set(id, { resolve, reject });
      this.#worker.ref?.(); // a pending answer keeps Node running
      this.#worker.postMessage({ id, method, args }, transfer);
    });
  }

  /**
   * Runs `job` after the calls queued before it, so one call's batches are not
   * interleaved with another's. The returned promise rejects as soon as
   * `signal` aborts; the job itself stops before its next batch.
   */
  queue(signal, job) {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const done = this.#tail.then(job);
    this.#tail = done.catch(() => {});
    if (!signal) return done;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(abortError(signal));
      signal.addEventListener("abort", onAbort, { once: true });
      done.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  /**
   * `method` over `items` in slices of `size` (one forward pass each): resolves
   * to the per-slice results. `args(slice)` makes a slice's arguments.
   */
  inBatches(method, items, size, args, { signal, onProgress } = {}) {
    return this.queue(signal, async () => {
      const parts = [];
      let start = 0;
      do { // once even for no items: the worker checks the options
        if (signal?.aborted) throw abortError(signal);
        const slice = items.slice(start, start + size);
        try {
          parts.push(await this.call(method, args(slice)));
        } catch (e) {
          // The C library names a failing pair or text by its index in the
          // call ("pair 3: ..."); a batch is a call of its own, so the index
          // is given back in the caller's numbering.
          if (start > 0) e.message = e.message.replace(/^(pair|text) (\d+):/, (_, what, i) => `${what} ${Number(i) + start}:`);
          throw e;
        }
        start += slice.length;
        if (items.length > 0) onProgress?.(start, items.length);
      } while (start < items.length);
      return parts;
    });
  }

  /** Ends the worker; calls in flight and later ones reject. */
  close() {
    if (this.#closed) return;
    this.#shut(new Error(`crossbyte: this ${this.name} was disposed`));
    this.#worker.terminate();
  }
}

/** The model's source as the worker can take it: bytes are transferred, not copied. */
async function forWorker(source) {
  if (typeof Blob === "function" && source instanceof Blob) source = await source.arrayBuffer();
  if (source instanceof ArrayBuffer) return [source, [source]];
  if (ArrayBuffer.isView(source)) {
    const whole = source.byteOffset === 0 && source.byteLength === source.buffer.byteLength && source.buffer instanceof ArrayBuffer;
    // A view of part of a buffer (e.g. Node's pooled Buffers) is copied: the
    // rest of the buffer is not the caller's to give away.
    const bytes = whole ? source : new Uint8Array(source.buffer, source.byteOffset, source.byteLength).slice();
    return [bytes, [bytes.buffer]];
  }
  // A relative URL means the page's, not the worker script's.
  if (source instanceof URL) return [source.href, []];
  if (typeof source === "string" && !isNode) return [new URL(source, globalThis.location?.href).href, []];
  return [source, []];
}

/** A worker with the model loaded: [remote, what the model says about itself]. */
async function startWorker(name, source, options) {
  const { worker, ...rest } = options;
  if (rest.wasmUrl !== undefined) rest.wasmUrl = new URL(rest.wasmUrl, isNode ? undefined : globalThis.location?.href).href;
  const [src, transfer] = await forWorker(source);
  const remote = await Remote.start(name);
  try {
    return [remote, await remote.call("load", [name, src, rest], transfer)];
  } catch (e) {
    remote.close();
    throw e;
  }
}

function splitOptions(options) {
  const { signal, onProgress, ...rest } = options;
  return [rest, { signal, onProgress }];
}

/** CrossEncoder.load(src, { worker: true }): a CrossEncoder in a worker; every method returns a Promise. */
export class CrossEncoderWorker {
  #remote;
  #labels;

  /** @private use CrossEncoder.load(src, { worker: true }) */
  constructor(remote, { labels, ...info }) {
    this.#remote = remote;
    this.#labels = Object.freeze(labels);
    Object.assign(this, info);
    Object.freeze(this);
  }

  get labels() {
    return this.#labels;
  }

  /** CrossEncoder.predict; options also take signal (AbortSignal) and onProgress(done, total). */
  async predict(pairs, options = {}) {
    pairTexts(pairs, "predict");
    const { batchSize } = scoreOptions(options);
    const [opts, control] = splitOptions(options);
    const parts = await this.#remote.inBatches("predict", pairs, batchSize || BATCH, (slice) => [slice, opts], control);
    return parts.flat();
  }

  /** CrossEncoder.rank; options also take signal and onProgress. */
  async rank(query, docs, options = {}) {
    const topK = checkRank(query, docs, options);
    const size = options.batchSize || BATCH;
    const [{ topK: _kept, returnDocuments, ...opts }, control] = splitOptions(options); // the worker ranks all of each batch
    const parts = await this.#remote.inBatches("rank", docs, size, (slice) => [query, slice, opts], control);
    // Each batch comes back ranked on its own; merged in cb_rank's order:
    // best first, ties in document order.
    const ranked = parts.flatMap((part, k) => part.map((r) => ({ ...r, corpusId: r.corpusId + k * size })));
    ranked.sort((x, y) => y.score - x.score || x.corpusId - y.corpusId);
    const out = ranked.slice(0, topK);
    if (returnDocuments) for (const r of out) r.text = docs[r.corpusId];
    return out;
  }

  tokenize(pairs, options = {}) {
    const [opts, { signal }] = splitOptions(options);
    return this.#remote.queue(signal, () => this.#remote.call("tokenize", [pairs, opts]));
  }

  /** Ends the worker: calls in flight and later ones reject. */
  dispose() {
    this.#remote.close();
  }
}

/** SentenceEncoder.load(src, { worker: true }): a SentenceEncoder in a worker; every method returns a Promise. */
export class SentenceEncoderWorker {
  #remote;

  /** @private use SentenceEncoder.load(src, { worker: true }) */
  constructor(remote, info) {
    this.#remote = remote;
    Object.assign(this, info);
    Object.freeze(this);
  }

  /** SentenceEncoder.encode; options also take signal and onProgress. */
  async encode(texts, options = {}) {
    const { single, list, batchSize } = checkEncode(texts, options);
    const [opts, control] = splitOptions(options);
    const parts = await this.#remote.inBatches("encode", list, batchSize || BATCH, (slice) => [slice, opts], control);
    const out = parts.flat();
    return single ? out[0] : out;
  }

  similarity(a, b) {
    return this.#remote.queue(null, () => this.#remote.call("similarity", [a, b]));
  }

  tokenize(texts, options = {}) {
    const [opts, { signal }] = splitOptions(options);
    return this.#remote.queue(signal, () => this.#remote.call("tokenize", [texts, opts]));
  }

  dispose() {
    this.#remote.close();
  }
}

export default CrossEncoder;
