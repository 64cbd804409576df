/* safetensors.c: the safetensors container: an 8-byte little-endian header
 * length, a JSON header {name: {dtype, shape, data_offsets}}, then the bytes. */
#include "safetensors.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "half.h"
#include "read_file.h"

/* Weights come as F32, F16 or BF16. Checkpoints also carry integer buffers
 * (BERT's embeddings.position_ids, I64) that no weight reads: their ranges
 * are checked like any tensor's, and reading one as a weight is refused. */
static const struct { const char *name; cb_st_dtype dtype; size_t size; } dtypes[] = {
    { "F32", CB_ST_F32, 4 }, { "F16", CB_ST_F16, 2 }, { "BF16", CB_ST_BF16, 2 },
    { "F64", CB_ST_OTHER, 8 }, { "I64", CB_ST_OTHER, 8 }, { "U64", CB_ST_OTHER, 8 }, { "I32", CB_ST_OTHER, 4 },
    { "U32", CB_ST_OTHER, 4 }, { "I16", CB_ST_OTHER, 2 }, { "U16", CB_ST_OTHER, 2 }, { "I8", CB_ST_OTHER, 1 },
    { "U8", CB_ST_OTHER, 1 }, { "BOOL", CB_ST_OTHER, 1 },
};

static int parse_dtype(const char *s, cb_st_dtype *out, size_t *size)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++) {
        if (strcmp(s, dtypes[i].name) == 0) {
            *out = dtypes[i].dtype;
            *size = dtypes[i].size;
            return 1;
        }
    }
    return 0;
}

size_t cb_st_numel(const cb_st_tensor *t)
{
    size_t n = 1;
    for (int i = 0; i < t->n_dims; i++) n *= (size_t)t->shape[i];
    return n;
}

static cb_status parse_entry(const char *path, const cJSON *e, const uint8_t *data, size_t data_size,
                             cb_st_tensor *t, cb_error *err)
{
    t->name = e->string;
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsString(dtype) || !cJSON_IsArray(shape) || !cJSON_IsArray(offs) ||
        cJSON_GetArraySize(offs) != 2)
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: tensor %s: incomplete header entry", path, t->name);
    size_t elem = 0;
    if (!parse_dtype(dtype->valuestring, &t->dtype, &elem))
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "%s: tensor %s has dtype %s (supported: F32, F16, BF16)",
                       path, t->name, dtype->valuestring);
    int n = cJSON_GetArraySize(shape);
    if (n > 4) return cb_fail(err, CB_ERR_HF_FORMAT, "%s: tensor %s has %d dimensions", path, t->name, n);
    t->n_dims = n;
    double count = 1;
    for (int i = 0; i < n; i++) {
        const cJSON *d = cJSON_GetArrayItem(shape, i);
        /* 2^53: beyond it a double is not an exact integer, and past int64_t's
         * range the conversion below would be undefined. */
        if (!cJSON_IsNumber(d) || !(d->valuedouble >= 0 && d->valuedouble <= 9007199254740992.0))
            return cb_fail(err, CB_ERR_HF_FORMAT, "%s: tensor %s: bad shape", path, t->name);
        t->shape[i] = (int64_t)d->valuedouble;
        count *= d->valuedouble;
    }
    double b = cJSON_GetArrayItem(offs, 0)->valuedouble, en = cJSON_GetArrayItem(offs, 1)->valuedouble;
    if (!(b >= 0 && en >= b && en <= (double)data_size))
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: tensor %s lies outside the file (truncated?)", path, t->name);
    if (count * (double)elem != en - b)
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: tensor %s: byte range does not match its shape", path, t->name);
    t->data = data + (size_t)b;
    t->size = (size_t)(en - b);
    return CB_OK;
}

cb_status cb_safetensors_open(const char *path, const cb_allocator *alloc, cb_safetensors *st, cb_error *err)
{
    memset(st, 0, sizeof *st);
    st->alloc = alloc;
    cb_status s = cb_read_file(path, alloc, &st->file, &st->file_size, err);
    if (s != CB_OK) return s;
    const uint8_t *p = (const uint8_t *)st->file;
    uint64_t hlen = 0;
    if (st->file_size >= 8)
        for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | p[i];
    if (st->file_size < 8 || hlen > st->file_size - 8) {
        cb_safetensors_close(st);
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: not a safetensors file (bad header length)", path);
    }
    cJSON *h = cJSON_ParseWithLength(st->file + 8, (size_t)hlen);
    st->header = h;
    if (!cJSON_IsObject(h)) {
        cb_safetensors_close(st);
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: header is not valid JSON", path);
    }
    size_t n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, h) n++;
    st->tensors = cb_calloc(st->alloc, n ? n : 1, sizeof *st->tensors);
    if (!st->tensors) {
        cb_safetensors_close(st);
        return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    }
    const uint8_t *data = p + 8 + hlen;
    size_t data_size = st->file_size - 8 - (size_t)hlen;
    cJSON_ArrayForEach(e, h) {
        if (strcmp(e->string, "__metadata__") == 0) continue;
        s = parse_entry(path, e, data, data_size, &st->tensors[st->n_tensors], err);
        if (s != CB_OK) {
            cb_safetensors_close(st);
            return s;
        }
        st->n_tensors++;
    }
    return CB_OK;
}

void cb_safetensors_close(cb_safetensors *st)
{
    if (!st) return;
    cb_free(st->alloc, st->file);
    cJSON_Delete(st->header);
    cb_free(st->alloc, st->tensors);
    memset(st, 0, sizeof *st);
}

const cb_st_tensor *cb_safetensors_find(const cb_safetensors *st, const char *name)
{
    for (size_t i = 0; i < st->n_tensors; i++) {
        if (strcmp(st->tensors[i].name, name) == 0) return &st->tensors[i];
    }
    return NULL;
}

void cb_st_to_f32(const cb_st_tensor *t, float *dst)
{
    size_t n = cb_st_numel(t);
    const uint8_t *p = t->data;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        switch (t->dtype) {
        case CB_ST_F32:
            bits = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                   (uint32_t)p[4 * i + 3] << 24;
            memcpy(&dst[i], &bits, 4);
            break;
        case CB_ST_F16:
            dst[i] = cb_half_to_float((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
            break;
        case CB_ST_BF16:
            bits = (uint32_t)(p[2 * i] | p[2 * i + 1] << 8) << 16;
            memcpy(&dst[i], &bits, 4);
            break;
        case CB_ST_OTHER: /* callers check first (cb_st_is_float) */
            dst[i] = 0.0f;
            break;
        }
    }
}
