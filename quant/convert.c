/* quant/: the converter, built on the runtime (it may call runtime/src's
 * base/, tokenizer/ and model/; the runtime never calls it): Hugging Face
 * folders (safetensors, config.json, tokenizer files, sentence-transformers
 * modules), int8 quantisation of the weights, .cbm writing, and
 * cb_model_load of a folder (load_folder.c).
 *
 * convert.c: Hugging Face folder -> .cbm (cb_convert in crossbyte.h). */
#include "convert.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cbm_writer.h"
#include "error.h"
#include "hf_model.h"
#include "hf_tokenizer.h"
#include "model_config.h"
#include "read_file.h"
#include "safetensors.h"
#include "st_modules.h"
#include "tokenizer_meta.h"

#define PATH_CAP 4096

static cb_status read_json(const char *dir, const char *name, const cb_allocator *alloc, cJSON **out, cb_error *err)
{
    char path[PATH_CAP];
    cb_status s = cb_path_join(path, sizeof path, dir, name, err);
    return s != CB_OK ? s : cb_read_json(path, alloc, 1, out, err);
}

static cb_status open_weights(const char *dir, const cb_allocator *alloc, cb_safetensors *st, cb_error *err)
{
    char path[PATH_CAP], bin[PATH_CAP];
    cb_status s = cb_path_join(path, sizeof path, dir, "model.safetensors", err);
    if (s != CB_OK) return s;
    if (!cb_file_exists(path)) {
        if (cb_path_join(bin, sizeof bin, dir, "pytorch_model.bin", NULL) == CB_OK && cb_file_exists(bin))
            return cb_fail(err, CB_ERR_MISSING_FILE,
                           "%s has only pytorch_model.bin (a pickle, which crossbyte does not execute): download "
                           "model.safetensors for this model, or convert with safetensors' convert script", dir);
        return cb_fail(err, CB_ERR_MISSING_FILE, "%s: no model.safetensors", dir);
    }
    return cb_safetensors_open(path, alloc, st, err);
}

static cb_status add_vocab(cb_writer *w, const cb_tokenizer_spec *spec, cb_error *err)
{
    char *copy = cb_malloc(w->alloc, spec->vocab_bytes);
    if (!copy) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory copying the vocabulary");
    memcpy(copy, spec->vocab, spec->vocab_bytes);
    int64_t shape[1] = { (int64_t)spec->vocab_bytes };
    cb_status s = cb_writer_add(w, "tokenizer.vocab", CBM_U8, 1, shape, copy, spec->vocab_bytes, err);
    /* BPE merges travel the same way, as their strings (see tokenizer.h). */
    if (s != CB_OK || spec->merges_bytes == 0) return s;
    char *merges = cb_malloc(w->alloc, spec->merges_bytes);
    if (!merges) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory copying the merges");
    memcpy(merges, spec->merges, spec->merges_bytes);
    int64_t mshape[1] = { (int64_t)spec->merges_bytes };
    return cb_writer_add(w, "tokenizer.merges", CBM_U8, 1, mshape, merges, spec->merges_bytes, err);
}

cb_status cb_convert_to_memory(const char *hf_dir, cb_dtype dtype, const cb_allocator *alloc, uint8_t **image,
                               size_t *size, uint64_t *input_bytes, cb_error *err)
{
    *image = NULL;
    *size = 0;
    struct stat sb;
    if (!hf_dir || stat(hf_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return cb_fail(err, CB_ERR_MISSING_FILE, "%s: not a model folder", hf_dir ? hf_dir : "(null)");
    if (dtype != CB_DTYPE_F32 && dtype != CB_DTYPE_INT8)
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "unknown dtype %d", (int)dtype);

    cJSON *config = NULL, *meta = NULL, *cj = NULL, *tj = NULL;
    cb_safetensors st = { 0 };
    cb_hf_tokenizer tok = { 0 };
    cb_writer w = { .alloc = alloc };
    cb_model_config c;
    uint64_t read_bytes = 0;
    cb_status s = read_json(hf_dir, "config.json", alloc, &config, err);
    if (s == CB_OK) s = cb_hf_tokenizer_read(hf_dir, alloc, &tok, err);
    if (s == CB_OK) s = cb_hf_read_config(config, tok.model_max_length, &c, err);
    if (s == CB_OK && c.pooling != CB_POOL_NONE) s = cb_st_read_modules(hf_dir, alloc, &c, err);
    if (s == CB_OK && tok.spec.n_vocab != (uint32_t)c.vocab_size && tok.spec.n_vocab > (uint32_t)c.vocab_size)
        s = cb_fail(err, CB_ERR_HF_FORMAT, "%s: the tokenizer has %u tokens but config.json's vocab_size is %d",
                    hf_dir, tok.spec.n_vocab, c.vocab_size);
    if (s == CB_OK) s = open_weights(hf_dir, alloc, &st, err);
    if (s == CB_OK) {
        c.int8 = dtype == CB_DTYPE_INT8;
        s = cb_hf_add_weights(config, &st, &c, &w, &read_bytes, err);
    }
    if (s == CB_OK) s = add_vocab(&w, &tok.spec, err);
    if (s == CB_OK) {
        meta = cJSON_CreateObject();
        cj = cb_model_config_to_json(&c);
        tj = cb_tokenizer_spec_to_json(&tok.spec);
        if (!meta || !cj || !tj || !cJSON_AddStringToObject(meta, "generator", "crossbyte " CROSSBYTE_VERSION) ||
            !cJSON_AddStringToObject(meta, "quantization", c.int8 ? "int8 symmetric per output channel "
                                     "(linear layers and word embeddings); float32 elsewhere" : "none") ||
            !cJSON_AddItemToObject(meta, "config", cj)) {
            s = cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory building metadata");
        } else {
            cj = NULL;
            if (!cJSON_AddItemToObject(meta, "tokenizer", tj)) s = cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory");
            else tj = NULL;
        }
    }
    if (s == CB_OK) s = cb_writer_finish(&w, meta, image, size, err);
    if (s == CB_OK && input_bytes) *input_bytes = st.file_size;
    cJSON_Delete(cj);
    cJSON_Delete(tj);
    cJSON_Delete(meta);
    cJSON_Delete(config);
    cb_writer_release(&w);
    cb_safetensors_close(&st);
    cb_hf_tokenizer_release(&tok);
    return s;
}

cb_convert_options cb_convert_default_options(void)
{
    return (cb_convert_options){ .dtype = CB_DTYPE_F32, .allocator = NULL };
}

cb_status cb_convert(const char *hf_dir, const char *out_path, cb_dtype dtype, uint64_t sizes[2], cb_error *err)
{
    const cb_convert_options opts = { .dtype = dtype };
    return cb_convert_with(hf_dir, out_path, &opts, sizes, err);
}

cb_status cb_convert_with(const char *hf_dir, const char *out_path, const cb_convert_options *opts, uint64_t sizes[2],
                          cb_error *err)
{
    cb_error_clear(err);
    const cb_convert_options defaults = cb_convert_default_options();
    if (!opts) opts = &defaults;
    cb_status s = cb_allocator_check(opts->allocator, "cb_convert", err);
    if (s != CB_OK) return s;
    const cb_allocator *alloc = cb_allocator_or_libc(opts->allocator);
    if (!out_path) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "no output path");
    uint8_t *image;
    size_t size;
    uint64_t in_bytes = 0;
    s = cb_convert_to_memory(hf_dir, opts->dtype, alloc, &image, &size, &in_bytes, err);
    if (s != CB_OK) return s;
    FILE *fp = fopen(out_path, "wb");
    if (!fp) {
        cb_aligned_free(alloc, image);
        return cb_fail(err, CB_ERR_IO, "%s: cannot create file", out_path);
    }
    size_t wrote = fwrite(image, 1, size, fp);
    int bad = fclose(fp) != 0 || wrote != size;
    cb_aligned_free(alloc, image);
    if (bad) {
        remove(out_path);
        return cb_fail(err, CB_ERR_IO, "%s: write failed", out_path);
    }
    if (sizes) {
        sizes[0] = in_bytes;
        sizes[1] = size;
    }
    return CB_OK;
}
