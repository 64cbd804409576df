// Type declarations for crossbyte.js.

/** A (text a, text b) pair, e.g. [query, passage]. */
export type Pair = [string, string];

/** How scores are mapped: the model's default (what sentence-transformers applies), or a fixed one. */
export type Activation = "default" | "none" | "sigmoid" | "softmax";

export interface LoadOptions {
  /** Skip the .cbm checksum check (faster load of a trusted file). */
  skipChecksum?: boolean;
  /**
   * Where crossbyte-core.wasm (the single-thread build) lives when it is not
   * next to the module (dist/); given, the load keeps that build unless threads is true.
   */
  wasmUrl?: string | URL;
  /**
   * true: the threads build (dist/crossbyte-core-threads.*, needs threadsSupported());
   * false: the single-thread build. Default: the threads build where it runs and more
   * than one thread is wanted, else the single-thread one.
   */
  threads?: boolean;
  /**
   * Threads each call uses (the threads build): default navigator.hardwareConcurrency
   * (Node: the CPUs) capped at 4; 1 by default means the single-thread build.
   */
  numThreads?: number;
  /**
   * The file's SHA-256 (64 hex digits), checked with crypto.subtle before the
   * model is used: a mismatch throws (code 4) and evicts a cached copy.
   */
  sha256?: string;
  /** false: neither read nor store the Cache API copy of a model fetched by URL (default true). */
  cache?: boolean;
  /** Run the model in a worker (load resolves to a CrossEncoderWorker / SentenceEncoderWorker). */
  worker?: boolean;
}

/** What a worker call takes besides its usual options. */
export interface WorkerCallOptions {
  /** Aborting rejects the call with an AbortError; the worker runs none of its remaining batches. */
  signal?: AbortSignal;
  /** Called after each batch with the items done so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** Removes the models load cached from `url`, or all of them; resolves to whether anything was removed. */
export function clearCache(url?: string | URL): Promise<boolean>;

export interface PredictOptions {
  /** Tokens per pair including specials; default: the model's. */
  maxLength?: number;
  /** Raw logits, no activation. */
  raw?: boolean;
  /** Override the activation (raw wins). */
  activation?: Activation;
  /** Pairs (windows, with longDocument "chunk") per forward pass; default 32. */
  batchSize?: number;
  /**
   * A passage too long for maxLength beside the query: "truncate" cuts it (the
   * default, as sentence-transformers); "chunk" scores overlapping windows of
   * whole words and aggregates them. Needs a model with one label.
   */
  longDocument?: "truncate" | "chunk";
  /** chunk: word pieces consecutive windows share; default a quarter of the window, 0 none. */
  stride?: number;
  /** chunk: the pair's score from its windows'; default "max". */
  aggregate?: "max" | "first" | "mean";
}

/** The part of a document its score comes from (longDocument "chunk"). */
export interface Window {
  /** Bytes [begin, end) of the document's UTF-8. */
  begin: number;
  end: number;
  /** Which window (the best for max and mean, 0 for first), of count. */
  index: number;
  count: number;
  /** The window's text. */
  text: string;
}

export interface RankOptions extends PredictOptions {
  /** Keep only the K best. */
  topK?: number;
  /** Add each document's text to its result. */
  returnDocuments?: boolean;
}

export interface Ranked {
  /** Index into the docs array. */
  corpusId: number;
  score: number;
  /** With returnDocuments. */
  text?: string;
  /** With longDocument "chunk". */
  window?: Window;
}

export interface Tokens {
  inputIds: number[];
  tokenTypeIds: number[];
}

/** Errors from the C library carry its cb_status code. */
export interface CrossbyteError extends Error {
  code?: number;
}

/** What a model says about itself. */
export interface ModelInfo {
  /** e.g. "BertForSequenceClassification". */
  readonly architecture: string;
  /** "f32" or "int8". */
  readonly dtype: string;
  /** Default max_length. */
  readonly maxLength: number;
  /** Largest accepted maxLength. */
  readonly maxPositions: number;
  /** Whether the model runs on the threads build. */
  readonly threads: boolean;
  /** The threads each call uses (1 on the single-thread build). */
  readonly numThreads: number;
}

export interface CrossEncoderInfo extends ModelInfo {
  /** id2label, in score order. */
  readonly labels: readonly string[];
}

export interface SentenceEncoderInfo extends ModelInfo {
  /** Width of each vector. */
  readonly dimension: number;
  /** "cls", "mean", "max" or "mean_sqrt_len". */
  readonly pooling: string;
}

// The classes below have these properties (declaration merging).
export interface CrossEncoder extends CrossEncoderInfo {}
export interface CrossEncoderWorker extends CrossEncoderInfo {}
export interface SentenceEncoder extends SentenceEncoderInfo {}
export interface SentenceEncoderWorker extends SentenceEncoderInfo {}

/** True when this JavaScript engine runs WebAssembly with 128-bit SIMD (crossbyte needs it). */
export function simdSupported(): boolean;

/**
 * True when the threads build can run here: SharedArrayBuffer and shared WebAssembly
 * memory, i.e. a cross-origin isolated page (COOP + COEP headers) or its workers, or Node.
 */
export function threadsSupported(): boolean;

export type ModelSource = string | URL | ArrayBuffer | ArrayBufferView | Blob;

export class CrossEncoder {
  private constructor();
  /**
   * Loads a .cbm model: a URL (cached with the Cache API where there is one),
   * bytes, a Blob, or in Node a file path. With worker: true, in a worker;
   * bytes are then transferred (the caller's buffer is detached).
   */
  static load(source: ModelSource, options: LoadOptions & { worker: true }): Promise<CrossEncoderWorker>;
  static load(source: ModelSource, options?: LoadOptions & { worker?: false }): Promise<CrossEncoder>;
  static clearCache: typeof clearCache;
  /** One number per pair (one label) or one array per pair (several labels). */
  predict(pairs: Pair[], options?: PredictOptions): number[] | number[][];
  /** Best first; ties keep document order. The model must have one label. */
  rank(query: string, docs: string[], options?: RankOptions): Ranked[];
  tokenize(pairs: Pair[], options?: { maxLength?: number }): Tokens[];
  /** Frees the model's memory; the instance cannot be used after. */
  dispose(): void;
}

export interface EncodeOptions {
  /** Tokens per text including specials; default: the model's max_seq_length. */
  maxLength?: number;
  /** Texts per forward pass; default 32. */
  batchSize?: number;
  /** true / false override the model's Normalize module; omitted: as the model says. */
  normalize?: boolean;
}

/** A sentence-transformers bi-encoder: SentenceTransformer.encode on the same runtime. */
export class SentenceEncoder {
  private constructor();
  /** Loads a bi-encoder .cbm: a URL, bytes, a Blob, or in Node a file path. */
  static load(source: ModelSource, options: LoadOptions & { worker: true }): Promise<SentenceEncoderWorker>;
  static load(source: ModelSource, options?: LoadOptions & { worker?: false }): Promise<SentenceEncoder>;
  static clearCache: typeof clearCache;
  encode(text: string, options?: EncodeOptions): Float32Array;
  encode(texts: string[], options?: EncodeOptions): Float32Array[];
  /** Cosine similarity: a number for two vectors, a matrix otherwise. */
  similarity(a: Float32Array | number[], b: Float32Array | number[]): number;
  similarity(a: Float32Array[] | Float32Array, b: Float32Array[] | Float32Array): number[][];
  tokenize(texts: string[], options?: { maxLength?: number }): number[][];
  dispose(): void;
}

/**
 * A CrossEncoder in a Web Worker (Node: worker_threads): the same methods,
 * returning Promises; calls run one after another. Errors have the
 * synchronous API's class, message and code.
 */
export class CrossEncoderWorker {
  private constructor();
  predict(pairs: Pair[], options?: PredictOptions & WorkerCallOptions): Promise<number[] | number[][]>;
  rank(query: string, docs: string[], options?: RankOptions & WorkerCallOptions): Promise<Ranked[]>;
  tokenize(pairs: Pair[], options?: { maxLength?: number; signal?: AbortSignal }): Promise<Tokens[]>;
  /** Terminates the worker: calls in flight and later ones reject. */
  dispose(): void;
}

/** A SentenceEncoder in a worker: the same methods, returning Promises. */
export class SentenceEncoderWorker {
  private constructor();
  encode(text: string, options?: EncodeOptions & WorkerCallOptions): Promise<Float32Array>;
  encode(texts: string[], options?: EncodeOptions & WorkerCallOptions): Promise<Float32Array[]>;
  similarity(a: Float32Array | number[], b: Float32Array | number[]): Promise<number>;
  similarity(a: Float32Array[] | Float32Array, b: Float32Array[] | Float32Array): Promise<number[][]>;
  tokenize(texts: string[], options?: { maxLength?: number; signal?: AbortSignal }): Promise<number[][]>;
  dispose(): void;
}

export default CrossEncoder;
