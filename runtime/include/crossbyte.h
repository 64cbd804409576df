/* crossbyte.h: run sentence-transformers cross-encoders (BERT family) from C,
 * and bi-encoders (cb_embed) on the same runtime.
 *
 * Usage:
 *
 *     cb_error err;
 *     cb_model *m = NULL;
 *     if (cb_model_load("model.cbm", NULL, &m, &err) != CB_OK) {
 *         fprintf(stderr, "%s\n", err.message);
 *         return 1;
 *     }
 *     cb_pair pairs[2] = {
 *         { "how many people live in berlin?", CB_NUL_TERMINATED,
 *           "Berlin has 3.5 million inhabitants.", CB_NUL_TERMINATED },
 *         { "how many people live in berlin?", CB_NUL_TERMINATED,
 *           "Berlin is known for its museums.", CB_NUL_TERMINATED },
 *     };
 *     float scores[2];                 // n_pairs * cb_model_num_labels(m)
 *     if (cb_predict(m, pairs, 2, NULL, scores, &err) != CB_OK) { ... }
 *     cb_model_free(m);
 *
 * Threads: a loaded model is read-only; any number of threads may call
 * cb_predict, cb_rank and cb_tokenize on one model at the same time. Each call
 * borrows a private workspace (operators, buffers, thread pool) from the model
 * and returns it when done. cb_model_free must not race with any other call.
 *
 * Ownership: every pointer passed in is borrowed for the duration of the call,
 * except the buffer given to cb_model_load_buffer, which must stay valid and
 * unchanged until cb_model_free. Output arrays are allocated by the caller.
 * Strings returned by cb_model_* accessors belong to the model and live until
 * cb_model_free; cb_status_string returns static strings.
 *
 * Errors: every fallible function returns a cb_status (CB_OK = 0) and, when
 * `err` is not NULL, fills it with the same code and a message naming the
 * problem and the input. Nothing in the library prints or exits.
 */
#ifndef CROSSBYTE_H
#define CROSSBYTE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header. CMakeLists.txt reads it from here (the one
 * place it is written); the library's SONAME carries the major number. */
#define CROSSBYTE_VERSION_MAJOR 0
#define CROSSBYTE_VERSION_MINOR 1
#define CROSSBYTE_VERSION_PATCH 0
#define CROSSBYTE_VERSION "0.1.0"

/* The version of the library actually linked, e.g. "0.1.0": with a shared
 * library it may differ from the CROSSBYTE_VERSION the caller compiled with.
 * A static string. */
const char *cb_version(void);

typedef enum cb_status {
    CB_OK = 0,
    CB_ERR_INVALID_ARGUMENT = 1,   /* NULL where a value is required, bad option value */
    CB_ERR_OUT_OF_MEMORY = 2,      /* an allocation failed */
    CB_ERR_IO = 3,                 /* a file could not be opened, read, mapped or written */
    CB_ERR_MODEL_FORMAT = 4,       /* not a .cbm file, truncated, checksum or table mismatch */
    CB_ERR_MODEL_VERSION = 5,      /* a .cbm file of a format version this build cannot read */
    CB_ERR_UNSUPPORTED_MODEL = 6,  /* architecture, activation, tokenizer or dtype not supported */
    CB_ERR_MISSING_FILE = 7,       /* a Hugging Face folder lacks a file it needs */
    CB_ERR_HF_FORMAT = 8,          /* config.json, safetensors or tokenizer file malformed */
    CB_ERR_INVALID_UTF8 = 9,       /* a text is not valid UTF-8 */
    CB_ERR_TEXT_TOO_LONG = 10,     /* a text exceeds CB_MAX_TEXT_BYTES */
    CB_ERR_MAX_LENGTH = 11,        /* max_length outside [3, model's position limit] */
    CB_ERR_BACKEND = 12,           /* XNNPACK refused an operation (message says which) */
    CB_ERR_NOT_SINGLE_LABEL = 13,  /* cb_rank on a model with several labels */
    CB_ERR_WRONG_MODEL_KIND = 14   /* cb_embed on a cross-encoder, cb_predict / cb_rank on a bi-encoder */
} cb_status;

/* Static English text for a status code; never NULL. */
const char *cb_status_string(cb_status code);

#define CB_ERROR_MESSAGE_SIZE 256
typedef struct cb_error {
    cb_status code;
    char message[CB_ERROR_MESSAGE_SIZE];   /* NUL-terminated, "" when code == CB_OK */
} cb_error;

/* Texts longer than this (in bytes) are refused with CB_ERR_TEXT_TOO_LONG.
 * Longer texts are still truncated to max_length tokens like Hugging Face
 * does; this limit only bounds the work spent on a single text. */
#define CB_MAX_TEXT_BYTES (16u * 1024u * 1024u)

/* ---- loading ------------------------------------------------------------- */

typedef struct cb_model cb_model;

/* Where the library's memory comes from. Every allocation of crossbyte's own
 * code goes through these three functions: loading, the tokenizer, the
 * workspaces and buffers of predict, rank, tokenize and embed, conversion.
 * Not through them: XNNPACK's operators and thread pool, and cJSON's parse
 * trees (both libraries only offer process-wide hooks, which crossbyte leaves
 * to the application). `user` is passed back to each call. realloc is never
 * called with a NULL pointer, and no size is 0. The functions must be safe
 * to call from several threads when a model is shared by several threads.
 * Any of them returning NULL makes the call fail with CB_ERR_OUT_OF_MEMORY,
 * after freeing what it had allocated; the model stays usable. */
typedef struct cb_allocator {
    void *(*malloc)(void *user, size_t size);
    void *(*realloc)(void *user, void *ptr, size_t size);
    void (*free)(void *user, void *ptr);
    void *user;
} cb_allocator;

/* Option structs: fill them from the cb_*_default_options() functions and
 * change what you need; they stay correct when a later version adds fields.
 * A zeroed struct (or NULL) also means the defaults, as it always has: 0 in
 * any field means "the default", so existing code keeps compiling and
 * meaning the same. */
typedef struct cb_load_options {
    int n_threads;        /* threads per call; 0 or 1 = the calling thread only */
    int skip_checksum;    /* 1 = do not verify the .cbm checksum (faster load) */
    /* NULL = the C library. Copied at load; the model uses it for every
     * allocation until cb_model_free (including those of later calls). */
    const cb_allocator *allocator;
} cb_load_options;

/* n_threads 1, checksum verified, the C library's allocator. */
cb_load_options cb_load_default_options(void);

/* Two libraries implement this header. The runtime (libcrossbyte-runtime,
 * CMake crossbyte::runtime, the wasm build) loads .cbm files and scores; the
 * converter (libcrossbyte, crossbyte::crossbyte, which includes the runtime)
 * adds what reads Hugging Face folders: cb_model_load of a folder and the
 * cb_convert functions, marked [converter] below. */

/* [converter] `path` is a .cbm file (memory-mapped) or a Hugging Face model
 * folder (config.json, model.safetensors, vocab and tokenizer files),
 * converted in memory on the fly. `opts` may be NULL for defaults. On success
 * *out holds a model to release with cb_model_free; on failure *out is NULL. */
cb_status cb_model_load(const char *path, const cb_load_options *opts,
                        cb_model **out, cb_error *err);

/* A .cbm file, memory-mapped: cb_model_load without the converter. A folder
 * is CB_ERR_UNSUPPORTED_MODEL (its message names cb_model_load). */
cb_status cb_model_load_file(const char *path, const cb_load_options *opts,
                             cb_model **out, cb_error *err);

/* A .cbm file already in memory. `data` must be 64-byte aligned for zero-copy
 * use; otherwise it is copied. When not copied, it is borrowed until
 * cb_model_free. */
cb_status cb_model_load_buffer(const void *data, size_t size,
                               const cb_load_options *opts,
                               cb_model **out, cb_error *err);

/* Frees everything the model owns. NULL is fine. */
void cb_model_free(cb_model *model);

/* ---- what the model is --------------------------------------------------- */

const char *cb_model_architecture(const cb_model *model); /* e.g. "BertForSequenceClassification" */
const char *cb_model_dtype(const cb_model *model);        /* "f32" or "int8" */
int cb_model_num_labels(const cb_model *model);
const char *cb_model_label(const cb_model *model, int index); /* id2label; NULL if out of range */
int cb_model_max_length(const cb_model *model);   /* default max_length */
int cb_model_max_positions(const cb_model *model);/* largest accepted max_length */
/* Width of cb_embed's vectors for a bi-encoder (sentence-transformers
 * folder with a Pooling module); 0 for a cross-encoder, which scores pairs. */
int cb_model_embedding_size(const cb_model *model);
/* "cls", "mean", "max" or "mean_sqrt_len" for a bi-encoder; NULL otherwise. */
const char *cb_model_pooling(const cb_model *model);

/* ---- scoring --------------------------------------------------------------- */

#define CB_NUL_TERMINATED ((size_t)-1)

/* One (query, passage) pair. Lengths in bytes, or CB_NUL_TERMINATED. */
typedef struct cb_pair {
    const char *a;
    size_t a_len;
    const char *b;
    size_t b_len;
} cb_pair;

typedef enum cb_activation {
    CB_ACTIVATION_DEFAULT = 0,  /* what sentence-transformers would apply for this model */
    CB_ACTIVATION_NONE = 1,     /* raw logits */
    CB_ACTIVATION_SIGMOID = 2,
    CB_ACTIVATION_SOFTMAX = 3   /* over the labels of each pair */
} cb_activation;

/* What happens to a passage (the pair's second text) that does not fit in
 * max_length beside the query. */
typedef enum cb_long_document {
    CB_LONG_TRUNCATE = 0,   /* cut it, longest_first, as sentence-transformers (and every peer) does */
    CB_LONG_CHUNK = 1       /* score overlapping windows of it, each beside the query, and aggregate */
} cb_long_document;

/* How CB_LONG_CHUNK turns the windows' scores into the pair's score. */
typedef enum cb_aggregate {
    CB_AGGREGATE_MAX = 0,     /* the best window: a passage is as relevant as its best part */
    CB_AGGREGATE_FIRST = 1,   /* the first window */
    CB_AGGREGATE_MEAN = 2     /* the mean over the windows */
} cb_aggregate;

/* cb_predict_options.stride for windows that share no token. */
#define CB_STRIDE_NONE (-1)

typedef struct cb_predict_options {
    int max_length;           /* tokens per pair including specials; 0 = model default */
    int batch_size;           /* pairs (windows, with CB_LONG_CHUNK) per forward pass; 0 = 32 */
    cb_activation activation; /* CB_ACTIVATION_DEFAULT unless overridden */
    /* Long documents. With CB_LONG_CHUNK a pair that fits is scored exactly
     * as with CB_LONG_TRUNCATE. One that does not keeps the query as
     * longest_first truncation would, and its passage is cut into windows of
     * the room left, in word pieces, each ending where a word ends (a word is
     * split only when it alone is wider than a window); consecutive windows
     * share about `stride` word pieces (rounded to whole words). Every window
     * is scored as a pair of its own, in the same packed batches, after the
     * activation; `aggregate` makes the pair's score. Needs a model with one
     * label (CB_ERR_NOT_SINGLE_LABEL otherwise). */
    cb_long_document long_document;  /* CB_LONG_TRUNCATE */
    int stride;               /* 0 = a quarter of the window; CB_STRIDE_NONE = no overlap;
                                 else below half of max_length minus the specials */
    cb_aggregate aggregate;   /* CB_AGGREGATE_MAX */
} cb_predict_options;

/* What cb_predict does with NULL options on `model`, spelled out: max_length
 * = cb_model_max_length(model) (0 when model is NULL: "the model's"),
 * batch_size 32, the model's default activation, truncation. */
cb_predict_options cb_predict_default_options(const cb_model *model);

/* Scores n_pairs pairs. `scores` holds n_pairs * cb_model_num_labels(model)
 * floats, pair-major, in the caller's order. `opts` may be NULL. */
cb_status cb_predict(const cb_model *model, const cb_pair *pairs, size_t n_pairs,
                     const cb_predict_options *opts, float *scores, cb_error *err);

/* The part of a pair's passage its score comes from. */
typedef struct cb_window {
    size_t begin, end;   /* bytes [begin, end) of the passage: whole words (truncation may
                            have kept only the first pieces of the last one) */
    int index;           /* which window: the best one for max and mean, 0 for first */
    int count;           /* windows the passage was cut into; 1 when it fit or was truncated */
} cb_window;

/* cb_predict that also says, in windows[i] (n_pairs of them, or NULL), which
 * part of pair i's passage gave its score. */
cb_status cb_predict_windows(const cb_model *model, const cb_pair *pairs, size_t n_pairs,
                             const cb_predict_options *opts, float *scores, cb_window *windows, cb_error *err);

typedef struct cb_ranked {
    size_t corpus_id;   /* index into the docs array */
    float score;
    cb_window window;   /* the part of the document the score comes from */
} cb_ranked;

/* Scores (query, docs[i]) for every i and writes all n_docs results to `out`,
 * best first (ties keep document order), as CrossEncoder.rank does. The model
 * must have one label. doc_lens may be NULL (all NUL-terminated). */
cb_status cb_rank(const cb_model *model, const char *query, size_t query_len,
                  const char *const *docs, const size_t *doc_lens, size_t n_docs,
                  const cb_predict_options *opts, cb_ranked *out, cb_error *err);

/* Token ids and token type ids of one pair as the model sees them. On a
 * bi-encoder, which encodes one text at a time, pair->a is that text and
 * pair->b must be empty or NULL. The arrays
 * must hold `capacity` entries; max_length tokens always fit. type_ids may be
 * NULL. *n_tokens receives the count. */
cb_status cb_tokenize(const cb_model *model, const cb_pair *pair, int max_length,
                      int32_t *ids, int32_t *type_ids, size_t capacity,
                      size_t *n_tokens, cb_error *err);

/* ---- embeddings (bi-encoders) ---------------------------------------------- */

typedef struct cb_embed_options {
    int max_length;   /* tokens per text including specials; 0 = the model's
                         (sentence_bert_config.json's max_seq_length) */
    int batch_size;   /* texts per forward pass; 0 = 32 */
    int normalize;    /* 0 = as the model says (a Normalize module), 1 = always
                         L2-normalise, -1 = never */
} cb_embed_options;

/* What cb_embed does with NULL options on `model`: its max_length (0 when
 * model is NULL), batch_size 32, normalise as the model says. */
cb_embed_options cb_embed_default_options(const cb_model *model);

/* SentenceTransformer.encode: one vector of cb_model_embedding_size(model)
 * floats per text, text-major, in the caller's order. Each text is encoded
 * alone ([CLS] text [SEP]), truncated to max_length, pooled as the model's
 * Pooling module says. text_lens may be NULL (all NUL-terminated). `opts`
 * may be NULL. CB_ERR_WRONG_MODEL_KIND on a cross-encoder. */
cb_status cb_embed(const cb_model *model, const char *const *texts, const size_t *text_lens, size_t n_texts,
                   const cb_embed_options *opts, float *out, cb_error *err);

/* ---- conversion [converter] ------------------------------------------------ */

typedef enum cb_dtype {
    CB_DTYPE_F32 = 0,
    CB_DTYPE_INT8 = 1
} cb_dtype;

/* Reads a Hugging Face folder and writes a .cbm file. When sizes is not NULL,
 * sizes[0] receives the input weights' bytes, sizes[1] the file's bytes. */
cb_status cb_convert(const char *hf_dir, const char *out_path, cb_dtype dtype,
                     uint64_t sizes[2], cb_error *err);

typedef struct cb_convert_options {
    cb_dtype dtype;
    const cb_allocator *allocator;   /* NULL = the C library */
} cb_convert_options;

/* float32, the C library's allocator. */
cb_convert_options cb_convert_default_options(void);

/* cb_convert with options; `opts` may be NULL (float32, the C library). */
cb_status cb_convert_with(const char *hf_dir, const char *out_path, const cb_convert_options *opts,
                          uint64_t sizes[2], cb_error *err);

/* ---- diagnostics ------------------------------------------------------------ */

/* The family of XNNPACK's int8 GEMM microkernels this CPU runs: on x86-64
 * "avx512vnni", "avxvnni", "avx512skx", "avx256skx", "avx2" or "sse41";
 * "unknown" on other targets. A static string; safe from any thread. */
const char *cb_int8_gemm_kernels(void);

#ifdef __cplusplus
}
#endif
#endif /* CROSSBYTE_H */
