/* safetensors.h: reading a model.safetensors file (weights only, no pickle). */
#ifndef CB_SAFETENSORS_H
#define CB_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "crossbyte.h"

/* CB_ST_OTHER: an integer or F64 tensor (a buffer such as position_ids),
 * validated but never read as a weight. */
typedef enum cb_st_dtype { CB_ST_F32, CB_ST_F16, CB_ST_BF16, CB_ST_OTHER } cb_st_dtype;

typedef struct cb_st_tensor {
    const char *name;          /* points into the parsed header */
    cb_st_dtype dtype;
    int n_dims;
    int64_t shape[4];
    const uint8_t *data;       /* points into the file buffer (unaligned) */
    size_t size;
} cb_st_tensor;

typedef struct cb_safetensors {
    char *file;                /* owned: the whole file */
    size_t file_size;
    void *header;              /* owned: cJSON of the header */
    cb_st_tensor *tensors;     /* owned */
    size_t n_tensors;
    const cb_allocator *alloc;   /* of file and tensors */
} cb_safetensors;

/* Reads and validates the file: header JSON, dtypes, shapes against byte
 * ranges, ranges inside the file. Errors are CB_ERR_HF_FORMAT naming the
 * tensor, CB_ERR_MISSING_FILE, CB_ERR_IO or CB_ERR_OUT_OF_MEMORY. */
cb_status cb_safetensors_open(const char *path, const cb_allocator *alloc, cb_safetensors *st, cb_error *err);
void cb_safetensors_close(cb_safetensors *st);

const cb_st_tensor *cb_safetensors_find(const cb_safetensors *st, const char *name);

/* Number of elements of t. */
size_t cb_st_numel(const cb_st_tensor *t);

/* Converts t to float32 into dst (cb_st_numel(t) floats); t->dtype must not
 * be CB_ST_OTHER. */
void cb_st_to_f32(const cb_st_tensor *t, float *dst);

#endif
