/* cbm_writer.h: assembling a .cbm image (see runtime/src/model/cbm_format.h). */
#ifndef CB_CBM_WRITER_H
#define CB_CBM_WRITER_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "cbm_format.h"
#include "alloc.h"
#include "crossbyte.h"

typedef struct cb_writer_tensor {
    char name[64];
    cbm_dtype dtype;
    int n_dims;
    int64_t shape[4];
    void *data;          /* owned by the writer (from its allocator) */
    size_t size;
} cb_writer_tensor;

typedef struct cb_writer {
    cb_writer_tensor *tensors;
    size_t n, cap;
    const cb_allocator *alloc;   /* of the tensors' data, the table and the image; set before use */
} cb_writer;

/* Takes ownership of `data` (from w->alloc, size bytes) whether or not it succeeds. */
cb_status cb_writer_add(cb_writer *w, const char *name, cbm_dtype dtype, int n_dims,
                        const int64_t *shape, void *data, size_t size, cb_error *err);

/* Adds the tensor table to `meta` and lays out the image in one 64-byte
 * aligned buffer (free with cb_aligned_free(w->alloc, ...)). `meta` stays the caller's. */
cb_status cb_writer_finish(cb_writer *w, cJSON *meta, uint8_t **out, size_t *out_size, cb_error *err);

void cb_writer_release(cb_writer *w);

#endif
