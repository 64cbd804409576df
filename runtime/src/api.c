/* runtime/src/: the runtime, the library an application links to score.
 * The files at this level are the public API (crossbyte.h) and the cb_model
 * object; below them, one layer per folder, each calling only the ones above
 * it in this list:
 *   base/       errors, the allocator hooks, float16: used by everything;
 *   tokenizer/  Hugging Face's tokenizers: WordPiece, byte-level BPE, the
 *               pre-tokenizers and their Unicode tables (calls base/);
 *   model/      the .cbm format: layout, validation, the model config (base/);
 *   nn/         the encoder on XNNPACK: linear ops, activation quantisation,
 *               attention, the weights cache (base/, model/).
 * Nothing here includes or calls quant/, the converter, which sits on top.
 *
 * api.c: cb_tokenize and sentence-transformers' score activations;
 * predict.c: predict / rank (pairs, long documents, batches); embed.c:
 * embeddings; model.c: loading; options.c: the defaults. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "model.h"

static size_t text_len(const char *s, size_t len)
{
    return len == CB_NUL_TERMINATED ? strlen(s) : len;
}

cb_status cb_check_pair(const cb_pair *p, size_t index, cb_error *err)
{
    if ((!p->a && p->a_len != 0) || (!p->b && p->b_len != 0))
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "pair %zu: text is NULL", index);
    return CB_OK;
}

cb_status cb_blame_pair(cb_status s, size_t index, cb_error *err)
{
    if (s != CB_OK && err) {
        char msg[CB_ERROR_MESSAGE_SIZE];
        memcpy(msg, err->message, sizeof msg);
        cb_fail(err, s, "pair %zu: %s", index, msg);
    }
    return s;
}

static cb_status encode(const cb_model *m, const cb_pair *p, size_t index, int max_length, int32_t *ids,
                        int32_t *types, int *n, cb_error *err)
{
    cb_status s = cb_check_pair(p, index, err);
    if (s != CB_OK) return s;
    const char *a = p->a ? p->a : "", *b = p->b ? p->b : "";
    s = cb_tokenizer_encode_pair(m->tokenizer, a, text_len(a, p->a_len), b, text_len(b, p->b_len), max_length, ids,
                                 types, n, err);
    return cb_blame_pair(s, index, err);
}

/* sentence-transformers' activation on one pair's logits (model.h). */
void cb_score_activate(cb_score_fn fn, float *v, int n)
{
    switch (fn) {
    case CB_SCORE_IDENTITY:
        break;
    case CB_SCORE_SIGMOID:
        for (int i = 0; i < n; i++) v[i] = 1.0f / (1.0f + expf(-v[i]));
        break;
    case CB_SCORE_TANH:
        for (int i = 0; i < n; i++) v[i] = tanhf(v[i]);
        break;
    case CB_SCORE_SOFTMAX: {
        float mx = v[0], sum = 0.0f;
        for (int i = 1; i < n; i++) mx = v[i] > mx ? v[i] : mx;
        for (int i = 0; i < n; i++) sum += (v[i] = expf(v[i] - mx));
        for (int i = 0; i < n; i++) v[i] /= sum;
        break;
    }
    }
}

cb_status cb_tokenize(const cb_model *m, const cb_pair *pair, int max_length, int32_t *ids, int32_t *type_ids,
                      size_t capacity, size_t *n_tokens, cb_error *err)
{
    cb_error_clear(err);
    if (!m || !pair || !ids || !n_tokens)
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "cb_tokenize: model, pair, ids or n_tokens is NULL");
    *n_tokens = 0;
    const int single = m->config.pooling != CB_POOL_NONE;
    if (single && pair->b && text_len(pair->b, pair->b_len) > 0)
        return cb_fail(err, CB_ERR_WRONG_MODEL_KIND, "cb_tokenize: a bi-encoder encodes one text at a time; "
                       "the pair's second text must be empty");
    int len = 0;
    cb_status s = single ? cb_model_resolve_max_length(m, max_length, cb_tokenizer_num_special_single(m->tokenizer), &len, err)
                         : cb_model_resolve_max_length(m, max_length, cb_tokenizer_num_special(m->tokenizer), &len, err);
    if (s != CB_OK) return s;
    int32_t *tmp_ids = cb_malloc(m->alloc, (size_t)len * sizeof *tmp_ids);
    int32_t *tmp_types = cb_malloc(m->alloc, (size_t)len * sizeof *tmp_types);
    int n = 0;
    if (!tmp_ids || !tmp_types) s = cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory tokenizing");
    if (s == CB_OK && single) {
        s = cb_check_pair(pair, 0, err);
        if (s == CB_OK)
            s = cb_tokenizer_encode_single(m->tokenizer, pair->a ? pair->a : "", pair->a ? text_len(pair->a, pair->a_len) : 0,
                                           len, tmp_ids, tmp_types, &n, err);
    } else if (s == CB_OK) {
        s = encode(m, pair, 0, len, tmp_ids, tmp_types, &n, err);
    }
    if (s == CB_OK && (size_t)n > capacity)
        s = cb_fail(err, CB_ERR_INVALID_ARGUMENT, "cb_tokenize: %d tokens do not fit in %zu", n, capacity);
    if (s == CB_OK) {
        memcpy(ids, tmp_ids, (size_t)n * sizeof *ids);
        if (type_ids) memcpy(type_ids, tmp_types, (size_t)n * sizeof *type_ids);
        *n_tokens = (size_t)n;
    }
    cb_free(m->alloc, tmp_ids);
    cb_free(m->alloc, tmp_types);
    return s;
}
