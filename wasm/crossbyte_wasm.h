/* crossbyte_wasm.h: the functions the WebAssembly module exports to
 * wasm/crossbyte.js (all EMSCRIPTEN_KEEPALIVE, called as Module._cbw_*).
 * Texts are one UTF-8 block plus uint32 (offset, length) spans into it.
 * Functions returning int give a cb_status (0 = CB_OK) unless noted; after a
 * failure cbw_status() and cbw_message() describe it. */
#ifndef CROSSBYTE_WASM_H
#define CROSSBYTE_WASM_H

#include <stddef.h>
#include <stdint.h>

typedef struct cbw_model cbw_model;

int cbw_status(void);
const char *cbw_message(void);
const char *cbw_status_string(int code);
const char *cbw_version(void);

void *cbw_image_alloc(size_t size);                                 /* NULL when out of memory */
cbw_model *cbw_load(void *image, size_t size, int skip_checksum);   /* owns image; NULL on failure */
#ifdef __EMSCRIPTEN_PTHREADS__                                      /* the pthreads build: n_threads per call */
cbw_model *cbw_load_threads(void *image, size_t size, int skip_checksum, int n_threads);
#endif
void cbw_free(cbw_model *h);

int cbw_num_labels(const cbw_model *h);
const char *cbw_label(const cbw_model *h, int i);
const char *cbw_architecture(const cbw_model *h);
const char *cbw_dtype(const cbw_model *h);
int cbw_max_length(const cbw_model *h);
int cbw_max_positions(const cbw_model *h);

/* spans: 4 per pair (a offset, a length, b offset, b length); scores: n * labels.
 * long_document, stride, aggregate: as cb_predict_options. */
int cbw_predict(const cbw_model *h, const char *text, const uint32_t *spans, size_t n, int max_length,
                int batch_size, int activation, int long_document, int stride, int aggregate, float *scores);
/* spans: the query's (offset, length), then one per document; out: n_docs ids and scores, best first,
 * and 4 uint32 per result in windows (begin, end, index, count of cb_window). */
int cbw_rank(const cbw_model *h, const char *text, const uint32_t *spans, size_t n_docs, int max_length,
             int batch_size, int activation, int long_document, int stride, int aggregate, uint32_t *ids,
             float *scores, uint32_t *windows);
/* One pair (4 spans); returns the number of tokens, or -1 on failure. */
int cbw_tokenize(const cbw_model *h, const char *text, const uint32_t *span, int max_length, int32_t *ids,
                 int32_t *type_ids, size_t capacity);

/* Bi-encoders: vector width (0 for a cross-encoder), pooling name ("" for a
 * cross-encoder), and cb_embed over (offset, length) spans. */
int cbw_embedding_size(const cbw_model *h);
const char *cbw_pooling(const cbw_model *h);
int cbw_embed(const cbw_model *h, const char *text, const uint32_t *spans, size_t n, int max_length, int batch_size,
              int normalize, float *out);

#endif
