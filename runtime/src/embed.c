/* embed.c: cb_embed, SentenceTransformer.encode for bi-encoders: each text
 * alone through the tokenizer, packed batches through the encoder, pooled. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "model.h"

cb_status cb_embed(const cb_model *m, const char *const *texts, const size_t *text_lens, size_t n_texts,
                   const cb_embed_options *opts, float *out, cb_error *err)
{
    cb_error_clear(err);
    if (!m) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "cb_embed: model is NULL");
    if (m->config.pooling == CB_POOL_NONE)
        return cb_fail(err, CB_ERR_WRONG_MODEL_KIND, "cb_embed needs a bi-encoder (a sentence-transformers folder "
                       "with a Pooling module); %s is a cross-encoder: use cb_predict or cb_rank",
                       m->config.architecture);
    if (n_texts == 0) return CB_OK;
    if (!texts || !out) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "cb_embed: texts or out is NULL");
    const cb_embed_options defaults = { 0 };
    if (!opts) opts = &defaults;
    if (opts->normalize < -1 || opts->normalize > 1)
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "normalize %d is not -1, 0 or 1", opts->normalize);
    int max_length = 0;
    cb_status s = cb_model_resolve_max_length(m, opts->max_length, cb_tokenizer_num_special_single(m->tokenizer),
                                              &max_length, err);
    size_t batch = 0;
    if (s == CB_OK) s = cb_resolve_batch_size(opts->batch_size, &batch, err);
    if (s != CB_OK) return s;
    const int normalize = opts->normalize == 0 ? m->config.normalize : opts->normalize == 1;
    const size_t H = (size_t)m->config.hidden_size;

    cb_batch_buffers bb = { 0 };
    cb_workspace *ws = NULL;
    s = cb_batch_buffers_alloc(&bb, m->alloc, batch < n_texts ? batch : n_texts, max_length, err);
    if (s == CB_OK) s = cb_model_acquire_workspace(m, &ws, err);
    for (size_t start = 0; s == CB_OK && start < n_texts; start += batch) {
        const size_t count = n_texts - start < batch ? n_texts - start : batch;
        size_t tokens = 0;
        for (size_t i = 0; s == CB_OK && i < count; i++) {
            const size_t k = start + i;
            const char *t = texts[k];
            const size_t len = text_lens ? text_lens[k] : CB_NUL_TERMINATED;
            bb.offsets[i] = tokens;
            if (!t && len != 0) {
                s = cb_fail(err, CB_ERR_INVALID_ARGUMENT, "text %zu is NULL", k);
                break;
            }
            s = cb_tokenizer_encode_single(m->tokenizer, t ? t : "", len == CB_NUL_TERMINATED && t ? strlen(t) : len,
                                           max_length, bb.ids + tokens, bb.types + tokens, &bb.lengths[i], err);
            if (s != CB_OK && err) {
                char msg[CB_ERROR_MESSAGE_SIZE];
                memcpy(msg, err->message, sizeof msg);
                cb_fail(err, s, "text %zu: %s", k, msg);
            }
            tokens += (size_t)bb.lengths[i];
        }
        if (s != CB_OK) break;
        const cb_batch b = { bb.ids, bb.types, bb.offsets, bb.lengths, count, tokens };
        s = cb_encoder_embed(ws, &b, normalize, out + start * H, err);
    }
    if (ws) cb_model_release_workspace(m, ws);
    cb_batch_buffers_free(&bb);
    return s;
}
