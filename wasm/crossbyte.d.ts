// Type declarations for crossbyte.js.

/** A (text a, text b) pair, e.g. [query, passage]. */
export type Pair = [string, string];

/** How scores are mapped: the model's default (what sentence-transformers applies), or a fixed one. */
export type Activation = "default" | "none" | "sigmoid" | "softmax";

export interface LoadOptions {
  /** Skip the .cbm checksum check (faster load of a trusted file). */
  skipChecksum?: boolean;
  /** Where crossbyte-core.wasm lives when it is not next to the module (dist/). */
  wasmUrl?: string | URL;
}

export interface PredictOptions {
  /** Tokens per pair including specials; default: the model's. */
  maxLength?: number;
  /** Raw logits, no activation. */
  raw?: boolean;
  /** Override the activation (raw wins). */
  activation?: Activation;
  /** Pairs per forward pass; default 32. */
  batchSize?: number;
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
}

export interface Tokens {
  inputIds: number[];
  tokenTypeIds: number[];
}

/** Errors from the C library carry its cb_status code. */
export interface CrossbyteError extends Error {
  code?: number;
}

/** True when this JavaScript engine runs WebAssembly with 128-bit SIMD (crossbyte needs it). */
export function simdSupported(): boolean;

export class CrossEncoder {
  private constructor();
  /** Loads a .cbm model: a URL, bytes, a Blob, or in Node a file path. */
  static load(source: string | URL | ArrayBuffer | ArrayBufferView | Blob, options?: LoadOptions): Promise<CrossEncoder>;
  /** One number per pair (one label) or one array per pair (several labels). */
  predict(pairs: Pair[], options?: PredictOptions): number[] | number[][];
  /** Best first; ties keep document order. The model must have one label. */
  rank(query: string, docs: string[], options?: RankOptions): Ranked[];
  tokenize(pairs: Pair[], options?: { maxLength?: number }): Tokens[];
  /** id2label, in score order. */
  readonly labels: readonly string[];
  /** e.g. "BertForSequenceClassification". */
  readonly architecture: string;
  /** "f32" or "int8". */
  readonly dtype: string;
  /** Default max_length. */
  readonly maxLength: number;
  /** Largest accepted maxLength. */
  readonly maxPositions: number;
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
  static load(source: string | URL | ArrayBuffer | ArrayBufferView | Blob, options?: LoadOptions): Promise<SentenceEncoder>;
  encode(text: string, options?: EncodeOptions): Float32Array;
  encode(texts: string[], options?: EncodeOptions): Float32Array[];
  /** Cosine similarity: a number for two vectors, a matrix otherwise. */
  similarity(a: Float32Array | number[], b: Float32Array | number[]): number;
  similarity(a: Float32Array[] | Float32Array, b: Float32Array[] | Float32Array): number[][];
  tokenize(texts: string[], options?: { maxLength?: number }): number[][];
  /** Width of each vector. */
  readonly dimension: number;
  /** "cls", "mean", "max" or "mean_sqrt_len". */
  readonly pooling: string;
  readonly architecture: string;
  readonly dtype: string;
  readonly maxLength: number;
  readonly maxPositions: number;
  dispose(): void;
}

export default CrossEncoder;
