/* runtime/src/model/: the .cbm file format shared with the converter: the
 * layout (cbm_format.h), validating an image and finding its tensors (this
 * file), the architecture config (model_config.c). It may call base/ only;
 * the cb_model object that uses it is runtime/src/model.c.
 *
 * model_file.c: validating a .cbm image (see cbm_format.h, docs/format.md). */
#include "model_file.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

static cb_status parse_tensor(const cb_model_file *f, const cbm_header *h, const cJSON *item,
                              size_t index, cb_tensor *t, cb_error *err)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "name");
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
    const cJSON *offset = cJSON_GetObjectItemCaseSensitive(item, "offset");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(item, "size");
    if (!cJSON_IsString(name) || !cJSON_IsString(dtype) || !cJSON_IsArray(shape) ||
        !cJSON_IsNumber(offset) || !cJSON_IsNumber(size))
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: tensor entry %zu is incomplete", index);
    t->name = name->valuestring;
    if (!cbm_dtype_from_name(dtype->valuestring, &t->dtype))
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: tensor %s has unknown dtype '%s'",
                       t->name, dtype->valuestring);
    int n = cJSON_GetArraySize(shape);
    if (n < 1 || n > CB_MAX_DIMS)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: tensor %s has %d dimensions", t->name, n);
    t->n_dims = n;
    uint64_t count = 1;
    for (int i = 0; i < n; i++) {
        const cJSON *d = cJSON_GetArrayItem(shape, i);
        if (!cJSON_IsNumber(d) || d->valuedouble < 1 || d->valuedouble > 1e10)
            return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: tensor %s has a bad dimension", t->name);
        t->shape[i] = (int64_t)d->valuedouble;
        count *= (uint64_t)t->shape[i];
        if (count > h->data_size)
            return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: tensor %s is larger than the file", t->name);
    }
    if (offset->valuedouble < 0 || size->valuedouble < 0)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: tensor %s has a negative offset", t->name);
    /* Bounded before the conversion: a double past uint64_t's range (1e30,
     * or inf from "1e999") has no defined conversion. */
    if (offset->valuedouble > (double)h->data_size || size->valuedouble > (double)h->data_size)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: tensor %s lies outside the data section (truncated file?)",
                       t->name);
    uint64_t off = (uint64_t)offset->valuedouble, sz = (uint64_t)size->valuedouble;
    if (sz != count * cbm_dtype_size(t->dtype))
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: tensor %s: size %llu does not match its shape",
                       t->name, (unsigned long long)sz);
    if (sz > h->data_size - off) /* off <= data_size: checked before the conversion */
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: tensor %s lies outside the data section (truncated file?)",
                       t->name);
    if ((h->data_offset + off) % CBM_ALIGN != 0)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: tensor %s is not %u-byte aligned", t->name, CBM_ALIGN);
    t->data = f->bytes + h->data_offset + off;
    t->size = (size_t)sz;
    return CB_OK;
}

cb_status cb_model_file_parse(const uint8_t *bytes, size_t size, int verify_checksum,
                              const cb_allocator *alloc, cb_model_file *out, cb_error *err)
{
    memset(out, 0, sizeof *out);
    out->alloc = alloc;
    cbm_header h;
    if (size < CBM_HEADER_SIZE)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: %zu bytes is too short for a .cbm file", size);
    if (cbm_header_decode(bytes, size, &h) != 0)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: not a crossbyte model (bad magic)");
    if (h.version != CBM_VERSION)
        return cb_fail(err, CB_ERR_MODEL_VERSION, "model file: format version %u, this build reads version %u",
                       h.version, CBM_VERSION);
    if (h.file_size != size)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: %zu bytes but the header says %llu (truncated or padded)",
                       size, (unsigned long long)h.file_size);
    if (h.header_size != CBM_HEADER_SIZE || h.meta_offset != CBM_HEADER_SIZE ||
        h.meta_size > size - h.meta_offset || h.data_offset < h.meta_offset + h.meta_size ||
        h.data_offset > size || h.data_size > size - h.data_offset || h.data_offset % CBM_ALIGN != 0)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: header sections are inconsistent");
    if (verify_checksum && cbm_checksum(bytes + CBM_HEADER_SIZE, size - CBM_HEADER_SIZE) != h.checksum)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: checksum mismatch (file corrupted)");

    out->bytes = bytes;
    out->size = size;
    out->meta = cJSON_ParseWithLength((const char *)bytes + h.meta_offset, (size_t)h.meta_size);
    if (!out->meta || !cJSON_IsObject(out->meta)) {
        cb_model_file_release(out);
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: metadata is not valid JSON");
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(out->meta, "tensors");
    if (!cJSON_IsArray(list)) {
        cb_model_file_release(out);
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: metadata has no tensor table");
    }
    size_t n = (size_t)cJSON_GetArraySize(list);
    out->tensors = cb_calloc(alloc, n ? n : 1, sizeof *out->tensors);
    if (!out->tensors) {
        cb_model_file_release(out);
        return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "model file: out of memory for %zu tensors", n);
    }
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, list) {
        cb_status s = parse_tensor(out, &h, item, i, &out->tensors[i], err);
        if (s != CB_OK) {
            cb_model_file_release(out);
            return s;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(out->tensors[j].name, out->tensors[i].name) == 0) {
                cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: tensor %s appears twice", out->tensors[i].name);
                cb_model_file_release(out);
                return CB_ERR_MODEL_FORMAT;
            }
        }
        i++;
    }
    out->n_tensors = n;
    return CB_OK;
}

void cb_model_file_release(cb_model_file *f)
{
    if (!f) return;
    cJSON_Delete(f->meta);
    cb_free(f->alloc, f->tensors);
    const cb_allocator *alloc = f->alloc;
    memset(f, 0, sizeof *f);
    f->alloc = alloc;
}

const cb_tensor *cb_model_file_find(const cb_model_file *f, const char *name)
{
    for (size_t i = 0; i < f->n_tensors; i++) {
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    }
    return NULL;
}

cb_status cb_model_file_get(const cb_model_file *f, const char *name, cbm_dtype dtype,
                            int n_dims, const int64_t *shape, const cb_tensor **out,
                            cb_error *err)
{
    const cb_tensor *t = cb_model_file_find(f, name);
    if (!t) return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: tensor %s is missing", name);
    if (t->dtype != dtype)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: tensor %s is %s, expected %s", name,
                       cbm_dtype_name(t->dtype), cbm_dtype_name(dtype));
    int same = t->n_dims == n_dims;
    for (int i = 0; same && i < n_dims; i++) same = t->shape[i] == shape[i];
    if (!same)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: tensor %s has the wrong shape", name);
    *out = t;
    return CB_OK;
}
