/* st_modules.c: see st_modules.h. */
#include "st_modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "read_file.h"

#define PATH_CAP 4096

static int is_true(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* sentence-transformers' Pooling config: exactly one of its modes on. */
static cb_status read_pooling(const char *path, const cb_allocator *alloc, cb_model_config *c, cb_error *err)
{
    cJSON *p = NULL;
    cb_status s = cb_read_json(path, alloc, 1, &p, err);
    if (s != CB_OK) return s;
    static const struct { const char *key; cb_pooling mode; } modes[] = {
        { "pooling_mode_cls_token", CB_POOL_CLS },
        { "pooling_mode_mean_tokens", CB_POOL_MEAN },
        { "pooling_mode_max_tokens", CB_POOL_MAX },
        { "pooling_mode_mean_sqrt_len_tokens", CB_POOL_MEAN_SQRT_LEN },
    };
    static const char *const unsupported[] = { "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken" };
    int on = 0;
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (is_true(p, modes[i].key)) {
            c->pooling = modes[i].mode;
            on++;
        }
    }
    for (size_t i = 0; s == CB_OK && i < sizeof unsupported / sizeof unsupported[0]; i++)
        if (is_true(p, unsupported[i]))
            s = cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "%s: %s is not supported (crossbyte pools by cls, mean, max "
                        "or mean_sqrt_len)", path, unsupported[i]);
    if (s == CB_OK && on != 1)
        s = cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "%s: %d pooling modes are on; crossbyte needs exactly one", path,
                    on);
    const cJSON *dim = cJSON_GetObjectItemCaseSensitive(p, "word_embedding_dimension");
    if (s == CB_OK && cJSON_IsNumber(dim) && dim->valueint != c->hidden_size)
        s = cb_fail(err, CB_ERR_HF_FORMAT, "%s: word_embedding_dimension %d differs from hidden_size %d", path,
                    dim->valueint, c->hidden_size);
    cJSON_Delete(p);
    return s;
}

/* The module's class is the last part of its Python path. */
static const char *module_class(const cJSON *m)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(m, "type");
    if (!cJSON_IsString(t)) return "";
    const char *dot = strrchr(t->valuestring, '.');
    return dot ? dot + 1 : t->valuestring;
}

static cb_status read_modules(const char *dir, const cb_allocator *alloc, const cJSON *list, const char *path,
                              cb_model_config *c,
                              cb_error *err)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, list) {
        const char *cls = module_class(m);
        if (!strcmp(cls, "Transformer")) continue;
        if (!strcmp(cls, "Normalize")) {
            c->normalize = 1;
            continue;
        }
        if (strcmp(cls, "Pooling") != 0)
            return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "%s: module %s is not supported (crossbyte runs "
                           "Transformer, Pooling and Normalize)", path, *cls ? cls : "(no type)");
        const cJSON *sub = cJSON_GetObjectItemCaseSensitive(m, "path");
        char folder[PATH_CAP], file[PATH_CAP];
        cb_status s = cb_path_join(folder, sizeof folder, dir, cJSON_IsString(sub) ? sub->valuestring : "", err);
        if (s == CB_OK) s = cb_path_join(file, sizeof file, folder, "config.json", err);
        if (s == CB_OK) s = read_pooling(file, alloc, c, err);
        if (s != CB_OK) return s;
    }
    return CB_OK;
}

cb_status cb_st_read_modules(const char *dir, const cb_allocator *alloc, cb_model_config *c, cb_error *err)
{
    char path[PATH_CAP];
    cJSON *list = NULL, *st = NULL;
    cb_status s = cb_path_join(path, sizeof path, dir, "modules.json", err);
    if (s == CB_OK && cb_file_exists(path)) {
        char *text;
        size_t size;
        s = cb_read_file(path, alloc, &text, &size, err);
        if (s == CB_OK) {
            list = cJSON_ParseWithLength(text, size);
            cb_free(alloc, text);
            if (!cJSON_IsArray(list)) s = cb_fail(err, CB_ERR_HF_FORMAT, "%s: not a JSON array of modules", path);
        }
        if (s == CB_OK) s = read_modules(dir, alloc, list, path, c, err);
    }
    if (s == CB_OK) s = cb_path_join(path, sizeof path, dir, "sentence_bert_config.json", err);
    if (s == CB_OK) s = cb_read_json(path, alloc, 0, &st, err);
    const cJSON *len = cJSON_GetObjectItemCaseSensitive(st, "max_seq_length");
    if (s == CB_OK && cJSON_IsNumber(len)) {
        const int n = len->valueint;
        if (n < 3) s = cb_fail(err, CB_ERR_HF_FORMAT, "%s: max_seq_length %d is too small", path, n);
        else c->max_length = n < c->max_length_limit ? n : c->max_length_limit;
    }
    cJSON_Delete(list);
    cJSON_Delete(st);
    return s;
}
