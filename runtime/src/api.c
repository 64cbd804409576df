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
 * api.c: predict / rank / tokenize: the public API's glue between the
 * tokenizer, the batcher and the encoder, and sentence-transformers' score
 * activations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "model.h"

static size_t text_len(const char *s, size_t len)
{
    return len == CB_NUL_TERMINATED ? strlen(s) : len;
}

static cb_status bi_encoder_refusal(const cb_model *m, const char *call, cb_error *err)
{
    return cb_fail(err, CB_ERR_WRONG_MODEL_KIND, "%s needs a cross-encoder; this model is a bi-encoder (%s pooling, "
                   "%d dimensions): use cb_embed", call, cb_pooling_name(m->config.pooling), m->config.hidden_size);
}

static cb_status check_pair(const cb_pair *p, size_t index, cb_error *err)
{
    if ((!p->a && p->a_len != 0) || (!p->b && p->b_len != 0))
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "pair %zu: text is NULL", index);
    return CB_OK;
}

static cb_status encode(const cb_model *m, const cb_pair *p, size_t index, int max_length, int32_t *ids,
                        int32_t *types, int *n, cb_error *err)
{
    cb_status s = check_pair(p, index, err);
    if (s != CB_OK) return s;
    const char *a = p->a ? p->a : "", *b = p->b ? p->b : "";
    s = cb_tokenizer_encode_pair(m->tokenizer, a, text_len(a, p->a_len), b, text_len(b, p->b_len), max_length, ids,
                                 types, n, err);
    if (s != CB_OK && err) {
        char msg[CB_ERROR_MESSAGE_SIZE];
        memcpy(msg, err->message, sizeof msg);
        cb_fail(err, s, "pair %zu: %s", index, msg);
    }
    return s;
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

static cb_score_fn score_fn_for(const cb_model *m, cb_activation a)
{
    switch (a) {
    case CB_ACTIVATION_NONE: return CB_SCORE_IDENTITY;
    case CB_ACTIVATION_SIGMOID: return CB_SCORE_SIGMOID;
    case CB_ACTIVATION_SOFTMAX: return CB_SCORE_SOFTMAX;
    case CB_ACTIVATION_DEFAULT: break;
    }
    return m->config.score_fn;
}

cb_status cb_predict(const cb_model *m, const cb_pair *pairs, size_t n_pairs, const cb_predict_options *opts,
                     float *scores, cb_error *err)
{
    cb_error_clear(err);
    if (!m) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "cb_predict: model is NULL");
    if (m->config.pooling != CB_POOL_NONE) return bi_encoder_refusal(m, "cb_predict", err);
    if (n_pairs == 0) return CB_OK;
    if (!pairs || !scores) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "cb_predict: pairs or scores is NULL");
    const cb_predict_options defaults = { 0 };
    if (!opts) opts = &defaults;
    if ((unsigned)opts->activation > CB_ACTIVATION_SOFTMAX)
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "unknown activation %d", (int)opts->activation);
    int max_length = 0;
    size_t batch = 0;
    cb_status s = cb_model_resolve_max_length(m, opts->max_length, cb_tokenizer_num_special(m->tokenizer), &max_length,
                                              err);
    if (s == CB_OK) s = cb_resolve_batch_size(opts->batch_size, &batch, err);
    if (s != CB_OK) return s;
    const int L = m->config.num_labels;
    const cb_score_fn fn = score_fn_for(m, opts->activation);

    /* Batches are packed (no padding, see ops.h), so a short pair never pays
     * for a long one and pairs need no sorting by length. */
    cb_batch_buffers bb = { 0 };
    cb_workspace *ws = NULL;
    s = cb_batch_buffers_alloc(&bb, m->alloc, batch < n_pairs ? batch : n_pairs, max_length, err);
    if (s == CB_OK) s = cb_model_acquire_workspace(m, &ws, err);
    for (size_t start = 0; s == CB_OK && start < n_pairs; start += batch) {
        const size_t count = n_pairs - start < batch ? n_pairs - start : batch;
        size_t tokens = 0;
        for (size_t i = 0; s == CB_OK && i < count; i++) {
            bb.offsets[i] = tokens;
            s = encode(m, &pairs[start + i], start + i, max_length, bb.ids + tokens, bb.types + tokens, &bb.lengths[i],
                       err);
            tokens += (size_t)bb.lengths[i];
        }
        if (s != CB_OK) break;
        const cb_batch b = { bb.ids, bb.types, bb.offsets, bb.lengths, count, tokens };
        float *out = scores + start * (size_t)L;
        s = cb_encoder_forward(ws, &b, out, err);
        for (size_t i = 0; s == CB_OK && i < count; i++) cb_score_activate(fn, out + i * (size_t)L, L);
    }
    if (ws) cb_model_release_workspace(m, ws);
    cb_batch_buffers_free(&bb);
    return s;
}

static int by_score_desc(const void *x, const void *y)
{
    const cb_ranked *a = x, *b = y;
    if (a->score != b->score) return a->score < b->score ? 1 : -1;
    return a->corpus_id < b->corpus_id ? -1 : a->corpus_id > b->corpus_id; /* stable, as Python's sort */
}

cb_status cb_rank(const cb_model *m, const char *query, size_t query_len, const char *const *docs,
                  const size_t *doc_lens, size_t n_docs, const cb_predict_options *opts, cb_ranked *out,
                  cb_error *err)
{
    cb_error_clear(err);
    if (!m) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "cb_rank: model is NULL");
    if (m->config.pooling != CB_POOL_NONE) return bi_encoder_refusal(m, "cb_rank", err);
    if (m->config.num_labels != 1)
        return cb_fail(err, CB_ERR_NOT_SINGLE_LABEL, "rank needs a model with one label; this one has %d (%s, ...)",
                       m->config.num_labels, m->config.labels[0]);
    if (n_docs == 0) return CB_OK;
    if (!query || !docs || !out) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "cb_rank: query, docs or out is NULL");
    cb_pair *pairs = cb_calloc(m->alloc, n_docs, sizeof *pairs);
    float *scores = cb_calloc(m->alloc, n_docs, sizeof *scores);
    cb_status s = CB_OK;
    if (!pairs || !scores) s = cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for %zu documents", n_docs);
    for (size_t i = 0; s == CB_OK && i < n_docs; i++) {
        pairs[i] = (cb_pair){ query, query_len, docs[i], doc_lens ? doc_lens[i] : CB_NUL_TERMINATED };
    }
    if (s == CB_OK) s = cb_predict(m, pairs, n_docs, opts, scores, err);
    if (s == CB_OK) {
        for (size_t i = 0; i < n_docs; i++) out[i] = (cb_ranked){ i, scores[i] };
        qsort(out, n_docs, sizeof *out, by_score_desc);
    }
    cb_free(m->alloc, pairs);
    cb_free(m->alloc, scores);
    return s;
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
        s = check_pair(pair, 0, err);
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
