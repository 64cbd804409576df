/* crossbyte_wasm.c: the C side of the JavaScript wrapper (wasm/crossbyte.js).
 *
 * A thin layer over the public API (crossbyte.h) that only turns JavaScript-
 * friendly arguments into the API's own: texts arrive as one UTF-8 block plus
 * (offset, length) spans, so JavaScript never lays out C structs. Everything
 * else (tokenizing, batching, the encoder, activations, ranking, every check
 * and error message) is the shared C library.
 *
 * JavaScript calls in from one thread only (in the pthreads build the pool
 * threads run the library's kernels, never these functions), so the last
 * error lives in one static slot that JavaScript reads right after a call
 * fails (cbw_status, cbw_message). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <emscripten/emscripten.h>

#include "crossbyte.h"
#include "crossbyte_wasm.h"

#define EXPORT EMSCRIPTEN_KEEPALIVE
#define IMAGE_ALIGN 64 /* cb_model_load_buffer uses 64-byte-aligned images in place */

static cb_error last_error;

static void set_error(cb_status code, const char *message)
{
    last_error.code = code;
    strncpy(last_error.message, message, sizeof last_error.message - 1);
    last_error.message[sizeof last_error.message - 1] = '\0';
}

/* A model and the image it reads its weights from (borrowed by the model). */
struct cbw_model {
    cb_model *model;
    void *image;
};

EXPORT int cbw_status(void)
{
    return (int)last_error.code;
}

EXPORT const char *cbw_message(void)
{
    return last_error.message;
}

EXPORT const char *cbw_status_string(int code)
{
    return cb_status_string((cb_status)code);
}

EXPORT const char *cbw_version(void)
{
    return CROSSBYTE_VERSION;
}

/* Memory for a .cbm image, aligned so that the model can use it in place. */
EXPORT void *cbw_image_alloc(size_t size)
{
    size_t rounded = (size + IMAGE_ALIGN - 1) / IMAGE_ALIGN * IMAGE_ALIGN;
    void *p = aligned_alloc(IMAGE_ALIGN, rounded ? rounded : IMAGE_ALIGN);
    if (!p) set_error(CB_ERR_OUT_OF_MEMORY, "out of memory for the model file");
    return p;
}

/* Takes ownership of `image` (from cbw_image_alloc) whether or not it succeeds.
 * n_threads: the threads each call of the model uses (cb_load_options). */
static cbw_model *load(void *image, size_t size, int skip_checksum, int n_threads)
{
    cbw_model *h = calloc(1, sizeof *h);
    if (!h) {
        free(image);
        set_error(CB_ERR_OUT_OF_MEMORY, "out of memory for a model");
        return NULL;
    }
    cb_load_options opts = cb_load_default_options();
    opts.skip_checksum = skip_checksum;
    if (n_threads > 1) opts.n_threads = n_threads; /* else the default: the calling thread alone */
    if (cb_model_load_buffer(image, size, &opts, &h->model, &last_error) != CB_OK) {
        free(image);
        free(h);
        return NULL;
    }
    h->image = image;
    return h;
}

EXPORT cbw_model *cbw_load(void *image, size_t size, int skip_checksum)
{
    return load(image, size, skip_checksum, 1);
}

#ifdef __EMSCRIPTEN_PTHREADS__
/* Only the pthreads build has threads to give a model; the wrapper makes sure
 * n_threads - 1 Workers are loaded first (Module.crossbyteReserveWorkers). */
EXPORT cbw_model *cbw_load_threads(void *image, size_t size, int skip_checksum, int n_threads)
{
    return load(image, size, skip_checksum, n_threads);
}
#endif

EXPORT void cbw_free(cbw_model *h)
{
    if (!h) return;
    cb_model_free(h->model);
    free(h->image);
    free(h);
}

EXPORT int cbw_num_labels(const cbw_model *h)
{
    return cb_model_num_labels(h->model);
}

EXPORT const char *cbw_label(const cbw_model *h, int i)
{
    return cb_model_label(h->model, i);
}

EXPORT const char *cbw_architecture(const cbw_model *h)
{
    return cb_model_architecture(h->model);
}

EXPORT const char *cbw_dtype(const cbw_model *h)
{
    return cb_model_dtype(h->model);
}

EXPORT int cbw_max_length(const cbw_model *h)
{
    return cb_model_max_length(h->model);
}

EXPORT int cbw_max_positions(const cbw_model *h)
{
    return cb_model_max_positions(h->model);
}

/* spans: 4 uint32 per pair (a offset, a length, b offset, b length) into text. */
static cb_pair *make_pairs(const char *text, const uint32_t *spans, size_t n)
{
    cb_pair *pairs = malloc((n ? n : 1) * sizeof *pairs);
    if (!pairs) {
        set_error(CB_ERR_OUT_OF_MEMORY, "out of memory for the pairs");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const uint32_t *s = spans + 4 * i;
        pairs[i] = (cb_pair){ text + s[0], s[1], text + s[2], s[3] };
    }
    return pairs;
}

static cb_predict_options options(int max_length, int batch_size, int activation, int long_document, int stride,
                                  int aggregate)
{
    cb_predict_options o = cb_predict_default_options(NULL);
    o.max_length = max_length;
    o.batch_size = batch_size;
    o.activation = (cb_activation)activation;
    o.long_document = (cb_long_document)long_document;
    o.stride = stride;
    o.aggregate = (cb_aggregate)aggregate;
    return o;
}

/* Returns a cb_status; scores holds n * num_labels floats. long_document,
 * stride, aggregate: as cb_predict_options. */
EXPORT int cbw_predict(const cbw_model *h, const char *text, const uint32_t *spans, size_t n, int max_length,
                       int batch_size, int activation, int long_document, int stride, int aggregate, float *scores)
{
    cb_pair *pairs = make_pairs(text, spans, n);
    if (!pairs) return CB_ERR_OUT_OF_MEMORY;
    const cb_predict_options opts = options(max_length, batch_size, activation, long_document, stride, aggregate);
    cb_status s = cb_predict(h->model, pairs, n, &opts, scores, &last_error);
    free(pairs);
    return s;
}

/* spans: the query's (offset, length), then one (offset, length) per document.
 * Writes n_docs corpus ids and scores, best first, and per result its window
 * as 4 uint32: begin, end (bytes of the document's UTF-8), index, count. */
EXPORT int cbw_rank(const cbw_model *h, const char *text, const uint32_t *spans, size_t n_docs, int max_length,
                    int batch_size, int activation, int long_document, int stride, int aggregate, uint32_t *ids,
                    float *scores, uint32_t *windows)
{
    const char **docs = malloc((n_docs ? n_docs : 1) * sizeof *docs);
    size_t *lens = malloc((n_docs ? n_docs : 1) * sizeof *lens);
    cb_ranked *ranked = malloc((n_docs ? n_docs : 1) * sizeof *ranked);
    cb_status s = CB_OK;
    if (!docs || !lens || !ranked) {
        set_error(CB_ERR_OUT_OF_MEMORY, "out of memory for the documents");
        s = CB_ERR_OUT_OF_MEMORY;
    }
    if (s == CB_OK) {
        for (size_t i = 0; i < n_docs; i++) {
            docs[i] = text + spans[2 + 2 * i];
            lens[i] = spans[3 + 2 * i];
        }
        const cb_predict_options opts = options(max_length, batch_size, activation, long_document, stride, aggregate);
        s = cb_rank(h->model, text + spans[0], spans[1], docs, lens, n_docs, &opts, ranked, &last_error);
    }
    for (size_t i = 0; s == CB_OK && i < n_docs; i++) {
        ids[i] = (uint32_t)ranked[i].corpus_id;
        scores[i] = ranked[i].score;
        const cb_window *w = &ranked[i].window;
        windows[4 * i] = (uint32_t)w->begin;
        windows[4 * i + 1] = (uint32_t)w->end;
        windows[4 * i + 2] = (uint32_t)w->index;
        windows[4 * i + 3] = (uint32_t)w->count;
    }
    free(docs);
    free(lens);
    free(ranked);
    return s;
}

/* One pair's token ids; returns the number of tokens, or -1 on error. */
EXPORT int cbw_tokenize(const cbw_model *h, const char *text, const uint32_t *span, int max_length, int32_t *ids,
                        int32_t *type_ids, size_t capacity)
{
    cb_pair *pair = make_pairs(text, span, 1);
    if (!pair) return -1;
    size_t n = 0;
    cb_status s = cb_tokenize(h->model, pair, max_length, ids, type_ids, capacity, &n, &last_error);
    free(pair);
    return s == CB_OK ? (int)n : -1;
}

/* ---- bi-encoders ---- */

EXPORT int cbw_embedding_size(const cbw_model *h)
{
    return cb_model_embedding_size(h->model);
}

/* "cls", "mean", ... or "" for a cross-encoder. */
EXPORT const char *cbw_pooling(const cbw_model *h)
{
    const char *p = cb_model_pooling(h->model);
    return p ? p : "";
}

/* spans: (offset, length) per text into text; out holds n * embedding_size
 * floats. normalize: 0 the model's choice, 1 always, -1 never. */
EXPORT int cbw_embed(const cbw_model *h, const char *text, const uint32_t *spans, size_t n, int max_length,
                     int batch_size, int normalize, float *out)
{
    const char **texts = malloc((n ? n : 1) * sizeof *texts);
    size_t *lens = malloc((n ? n : 1) * sizeof *lens);
    cb_status s = CB_OK;
    if (!texts || !lens) {
        set_error(CB_ERR_OUT_OF_MEMORY, "out of memory for the texts");
        s = CB_ERR_OUT_OF_MEMORY;
    }
    for (size_t i = 0; s == CB_OK && i < n; i++) {
        texts[i] = text + spans[2 * i];
        lens[i] = spans[2 * i + 1];
    }
    const cb_embed_options opts = { max_length, batch_size, normalize };
    if (s == CB_OK) s = cb_embed(h->model, texts, lens, n, &opts, out, &last_error);
    free(texts);
    free(lens);
    return s;
}
