/* cbm_writer.c: see cbm_writer.h. */
#include "cbm_writer.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

cb_status cb_writer_add(cb_writer *w, const char *name, cbm_dtype dtype, int n_dims,
                        const int64_t *shape, void *data, size_t size, cb_error *err)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        cb_writer_tensor *t = cb_realloc(w->alloc, w->tensors, cap * sizeof *t);
        if (!t) {
            cb_free(w->alloc, data);
            return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory adding tensor %s", name);
        }
        w->tensors = t;
        w->cap = cap;
    }
    if (strlen(name) >= sizeof w->tensors[0].name || n_dims < 1 || n_dims > 4) {
        cb_free(w->alloc, data);
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "tensor %s: bad name or rank", name);
    }
    cb_writer_tensor *t = &w->tensors[w->n++];
    memset(t, 0, sizeof *t);
    strcpy(t->name, name);
    t->dtype = dtype;
    t->n_dims = n_dims;
    memcpy(t->shape, shape, (size_t)n_dims * sizeof *shape);
    t->data = data;
    t->size = size;
    return CB_OK;
}

static size_t align_up(size_t x)
{
    return (x + CBM_ALIGN - 1) / CBM_ALIGN * CBM_ALIGN;
}

cb_status cb_writer_finish(cb_writer *w, cJSON *meta, uint8_t **out, size_t *out_size, cb_error *err)
{
    *out = NULL;
    *out_size = 0;
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "tensors");
    cJSON *list = cJSON_AddArrayToObject(meta, "tensors");
    if (!list) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory writing the tensor table");
    size_t offset = 0;
    for (size_t i = 0; i < w->n; i++) {
        cb_writer_tensor *t = &w->tensors[i];
        cJSON *e = cJSON_CreateObject();
        double shape[4];
        for (int d = 0; d < t->n_dims; d++) shape[d] = (double)t->shape[d];
        cJSON *sh = cJSON_CreateDoubleArray(shape, t->n_dims);
        if (!e || !sh || !cJSON_AddItemToArray(list, e) || !cJSON_AddStringToObject(e, "name", t->name) ||
            !cJSON_AddStringToObject(e, "dtype", cbm_dtype_name(t->dtype)) || !cJSON_AddItemToObject(e, "shape", sh) ||
            !cJSON_AddNumberToObject(e, "offset", (double)offset) ||
            !cJSON_AddNumberToObject(e, "size", (double)t->size))
            return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory writing the tensor table");
        offset = align_up(offset + t->size);
    }
    char *json = cJSON_PrintUnformatted(meta);
    if (!json) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory printing metadata");
    size_t meta_size = strlen(json);
    size_t data_offset = align_up(CBM_HEADER_SIZE + meta_size);
    size_t data_size = offset;
    size_t total = data_offset + data_size;
    uint8_t *buf = cb_aligned_alloc(w->alloc, CBM_ALIGN, align_up(total));
    if (!buf) {
        cJSON_free(json);
        return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for a %zu-byte model image", total);
    }
    memset(buf, 0, total);
    memcpy(buf + CBM_HEADER_SIZE, json, meta_size);
    cJSON_free(json);
    offset = 0;
    for (size_t i = 0; i < w->n; i++) {
        memcpy(buf + data_offset + offset, w->tensors[i].data, w->tensors[i].size);
        offset = align_up(offset + w->tensors[i].size);
    }
    cbm_header h = {
        .version = CBM_VERSION, .header_size = CBM_HEADER_SIZE,
        .meta_offset = CBM_HEADER_SIZE, .meta_size = meta_size,
        .data_offset = data_offset, .data_size = data_size,
        .checksum = cbm_checksum(buf + CBM_HEADER_SIZE, total - CBM_HEADER_SIZE),
        .file_size = total,
    };
    cbm_header_encode(&h, buf);
    *out = buf;
    *out_size = total;
    return CB_OK;
}

void cb_writer_release(cb_writer *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) cb_free(w->alloc, w->tensors[i].data);
    cb_free(w->alloc, w->tensors);
    const cb_allocator *alloc = w->alloc;
    memset(w, 0, sizeof *w);
    w->alloc = alloc;
}
