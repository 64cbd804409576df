/* model_file.h: validating a .cbm image in memory and finding its tensors. */
#ifndef CB_MODEL_FILE_H
#define CB_MODEL_FILE_H

#include <cjson/cJSON.h>

#include "cbm_format.h"
#include "alloc.h"
#include "crossbyte.h"

#define CB_MAX_DIMS 4

typedef struct cb_tensor {
    const char *name;              /* points into the meta JSON */
    cbm_dtype dtype;
    int n_dims;
    int64_t shape[CB_MAX_DIMS];    /* outermost first, as PyTorch */
    const void *data;              /* points into the image, CBM_ALIGN-aligned */
    size_t size;                   /* bytes */
} cb_tensor;

typedef struct cb_model_file {
    const uint8_t *bytes;          /* the whole image (borrowed) */
    size_t size;
    cJSON *meta;                   /* owned: parsed meta JSON */
    cb_tensor *tensors;            /* owned */
    size_t n_tensors;
    const cb_allocator *alloc;     /* of tensors */
} cb_model_file;

/* Checks header, sizes, checksum (unless skipped), meta JSON and every tensor
 * entry's bounds, alignment and size. Any failure is CB_ERR_MODEL_FORMAT or
 * CB_ERR_MODEL_VERSION with a message saying what is wrong. */
cb_status cb_model_file_parse(const uint8_t *bytes, size_t size, int verify_checksum,
                              const cb_allocator *alloc, cb_model_file *out, cb_error *err);
void cb_model_file_release(cb_model_file *f);

/* The tensor called `name` with the given dtype and shape (n_dims entries),
 * or CB_ERR_MODEL_FORMAT naming what differs. */
cb_status cb_model_file_get(const cb_model_file *f, const char *name, cbm_dtype dtype,
                            int n_dims, const int64_t *shape, const cb_tensor **out,
                            cb_error *err);
/* NULL when absent. */
const cb_tensor *cb_model_file_find(const cb_model_file *f, const char *name);

#endif
