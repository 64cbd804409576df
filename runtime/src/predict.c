/* predict.c: cb_predict, cb_predict_windows and cb_rank: pairs -> packed
 * batches -> the encoder -> sentence-transformers' scores; and long
 * documents (CB_LONG_CHUNK), whose passage is cut into windows that are
 * scored as pairs of their own, in the same batches, and aggregated.
 *
 * A "job" is one row of a batch: a whole pair, or one window of a pair's
 * passage beside its query. Jobs go into the batch in order; when it is full
 * it runs and each job's score goes to its pair (directly, or into the
 * pair's aggregate). A pair's tokens are only needed until its windows are
 * copied into the batch, so memory stays at one batch plus one pair's
 * tokens, whatever the number or length of the passages. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "model.h"
#include "windows.h"

static cb_status bi_encoder_refusal(const cb_model *m, const char *call, cb_error *err)
{
    return cb_fail(err, CB_ERR_WRONG_MODEL_KIND, "%s needs a cross-encoder; this model is a bi-encoder (%s pooling, "
                   "%d dimensions): use cb_embed", call, cb_pooling_name(m->config.pooling), m->config.hidden_size);
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

/* ---- the batch of jobs ---------------------------------------------------------- */

typedef struct job {
    size_t pair;
    int index;            /* window of the pair */
    cb_token_span span;   /* the passage's bytes in it */
} job;

/* One pair's windows so far (CB_LONG_CHUNK). */
typedef struct aggregate_acc {
    float best, first;
    double sum;
    int count, best_index;
    cb_token_span best_span, first_span;
} aggregate_acc;

typedef struct scorer {
    const cb_model *m;
    cb_workspace *ws;
    cb_batch_buffers bb;
    size_t cap;              /* jobs per batch */
    int max_length, labels;
    cb_score_fn fn;
    int chunk;
    job *jobs;
    size_t n_jobs, tokens;
    float *logits;           /* cap * labels */
    float *scores;           /* the caller's */
    cb_window *windows;      /* the caller's, or NULL */
    aggregate_acc *acc;      /* per pair, chunk only */
} scorer;

/* Runs the batch and hands each job's activated score to its pair. */
static cb_status flush(scorer *sc, cb_error *err)
{
    if (sc->n_jobs == 0) return CB_OK;
    const cb_batch b = { sc->bb.ids, sc->bb.types, sc->bb.offsets, sc->bb.lengths, sc->n_jobs, sc->tokens };
    const size_t L = (size_t)sc->labels;
    cb_status s = cb_encoder_forward(sc->ws, &b, sc->logits, err);
    for (size_t j = 0; s == CB_OK && j < sc->n_jobs; j++) {
        float *v = sc->logits + j * L;
        cb_score_activate(sc->fn, v, sc->labels);
        const job *jb = &sc->jobs[j];
        if (!sc->chunk) {
            memcpy(sc->scores + jb->pair * L, v, L * sizeof *v);
            if (sc->windows) sc->windows[jb->pair] = (cb_window){ jb->span.begin, jb->span.end, 0, 1 };
            continue;
        }
        aggregate_acc *a = &sc->acc[jb->pair];
        if (jb->index == 0) {
            a->first = v[0];
            a->first_span = jb->span;
        }
        if (a->count == 0 || v[0] > a->best) {   /* ties: the earlier window */
            a->best = v[0];
            a->best_index = jb->index;
            a->best_span = jb->span;
        }
        a->sum += v[0];
        a->count++;
    }
    sc->n_jobs = 0;
    sc->tokens = 0;
    return s;
}

/* The next row of the batch (running the batch first when it is full);
 * its tokens go to bb.ids / bb.types + *at, its length is set by the caller. */
static cb_status next_job(scorer *sc, size_t pair, int index, cb_token_span span, size_t *at, cb_error *err)
{
    if (sc->n_jobs == sc->cap) {
        cb_status s = flush(sc, err);
        if (s != CB_OK) return s;
    }
    sc->jobs[sc->n_jobs] = (job){ pair, index, span };
    sc->bb.offsets[sc->n_jobs] = sc->tokens;
    *at = sc->tokens;
    return CB_OK;
}

static void commit_job(scorer *sc, int n_tokens)
{
    sc->bb.lengths[sc->n_jobs] = n_tokens;
    sc->tokens += (size_t)n_tokens;
    sc->n_jobs++;
}

/* ---- windows ------------------------------------------------------------------------ */

static cb_token_span span_of(const cb_token_span *sp, size_t from, size_t to)
{
    if (to <= from) return (cb_token_span){ 0, 0 };
    return (cb_token_span){ sp[from].begin, sp[to - 1].end };
}

/* One pair, tokenised here (CB_LONG_CHUNK, or truncation when the caller
 * wants to know which bytes were kept). */
static cb_status add_pair_windows(scorer *sc, const cb_pair *p, size_t index, int stride, cb_error *err)
{
    const cb_tokenizer *tok = sc->m->tokenizer;
    /* NULL texts are empty ones (cb_check_pair); lengths may be CB_NUL_TERMINATED */
    const char *a = p->a ? p->a : "", *b = p->b ? p->b : "";
    const size_t budget = (size_t)(sc->max_length - cb_tokenizer_num_special(tok));
    cb_text_tokens ta_tok, tb_tok;
    cb_status s = cb_tokenizer_text(tok, a, p->a_len, "a", budget, (size_t)sc->max_length, 0, &ta_tok,
                                    err);
    if (s != CB_OK) return cb_blame_pair(s, index, err);
    /* Truncation needs no more than it keeps; windows need the whole passage. */
    const size_t limit = sc->chunk ? SIZE_MAX : budget, stop_at = sc->chunk ? SIZE_MAX : (size_t)sc->max_length;
    s = cb_tokenizer_text(tok, b, p->b_len, "b", limit, stop_at, 1, &tb_tok, err);
    if (s != CB_OK) {
        cb_text_tokens_release(tok, &ta_tok);
        return cb_blame_pair(s, index, err);
    }
    size_t ka = 0, kb = 0;
    if (budget > 0) cb_tokenizer_truncate_pair(ta_tok.count, tb_tok.count, budget, &ka, &kb);
    const cb_token_span *sp = tb_tok.spans;
    size_t at;
    if (!sc->chunk || ta_tok.count + tb_tok.count <= budget || budget == 0) {
        /* One row: exactly what truncation gives (a pair that fits is not cut). */
        s = next_job(sc, index, 0, span_of(sp, 0, kb), &at, err);
        if (s == CB_OK) {
            commit_job(sc, cb_tokenizer_apply_template(tok, ta_tok.ids, ka, tb_tok.ids, kb, sc->bb.ids + at,
                                                       sc->bb.types + at));
        }
    } else {
        /* The query keeps what longest_first keeps; the passage gets the rest. */
        const size_t width = budget - ka, n = tb_tok.stored;
        const size_t overlap = stride == 0 ? width / 4 : stride == CB_STRIDE_NONE ? 0 : (size_t)stride;
        int w = 0;
        for (size_t start = 0; s == CB_OK;) {
            const size_t end = cb_window_end(sp, n, start, width);
            s = next_job(sc, index, w, span_of(sp, start, end), &at, err);
            if (s != CB_OK) break;
            commit_job(sc, cb_tokenizer_apply_template(tok, ta_tok.ids, ka, tb_tok.ids + start, end - start,
                                                       sc->bb.ids + at, sc->bb.types + at));
            if (end == n) break;
            start = cb_window_next(sp, start, end, overlap);
            if (w == INT32_MAX) break;   /* cannot happen below CB_MAX_TEXT_BYTES; keeps `index` an int */
            w++;
        }
    }
    cb_text_tokens_release(tok, &ta_tok);
    cb_text_tokens_release(tok, &tb_tok);
    return s;
}

/* One pair the fast way: truncated, straight into the batch. */
static cb_status add_pair_truncated(scorer *sc, const cb_pair *p, size_t index, cb_error *err)
{
    size_t at;
    cb_status s = next_job(sc, index, 0, (cb_token_span){ 0, 0 }, &at, err);
    if (s != CB_OK) return s;
    const char *a = p->a ? p->a : "", *b = p->b ? p->b : "";
    int n = 0;
    s = cb_tokenizer_encode_pair(sc->m->tokenizer, a, p->a_len, b, p->b_len,
                                 sc->max_length, sc->bb.ids + at, sc->bb.types + at, &n, err);
    if (s != CB_OK) return cb_blame_pair(s, index, err);
    commit_job(sc, n);
    return CB_OK;
}

/* ---- options ---------------------------------------------------------------------- */

static cb_status check_options(const cb_model *m, const cb_predict_options *o, int max_length, cb_error *err)
{
    if ((unsigned)o->activation > CB_ACTIVATION_SOFTMAX)
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "unknown activation %d", (int)o->activation);
    if ((unsigned)o->long_document > CB_LONG_CHUNK)
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "unknown long_document mode %d (0 = truncate, 1 = chunk)",
                       (int)o->long_document);
    if ((unsigned)o->aggregate > CB_AGGREGATE_MEAN)
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "unknown aggregate %d (0 = max, 1 = first, 2 = mean)",
                       (int)o->aggregate);
    if (o->long_document != CB_LONG_CHUNK) return CB_OK;
    if (m->config.num_labels != 1)
        return cb_fail(err, CB_ERR_NOT_SINGLE_LABEL, "long_document chunk needs a model with one label; this one "
                       "has %d (%s, ...)", m->config.num_labels, m->config.labels[0]);
    /* Every window has at least half the budget (longest_first gives the
     * passage at least that), so a stride below it always moves forward. */
    const int half = (max_length - cb_tokenizer_num_special(m->tokenizer)) / 2;
    if (o->stride != 0 && o->stride != CB_STRIDE_NONE && (o->stride < 0 || o->stride >= half))
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "stride %d: windows of max_length %d may share at most %d word "
                       "pieces", o->stride, max_length, half - 1);
    return CB_OK;
}

/* ---- the public calls ---------------------------------------------------------------- */

cb_status cb_predict_windows(const cb_model *m, const cb_pair *pairs, size_t n_pairs, const cb_predict_options *opts,
                             float *scores, cb_window *windows, cb_error *err)
{
    cb_error_clear(err);
    if (!m) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "cb_predict: model is NULL");
    if (m->config.pooling != CB_POOL_NONE) return bi_encoder_refusal(m, "cb_predict", err);
    if (n_pairs == 0) return CB_OK;
    if (!pairs || !scores) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "cb_predict: pairs or scores is NULL");
    const cb_predict_options defaults = { 0 };
    if (!opts) opts = &defaults;
    int max_length = 0;
    size_t batch = 0;
    cb_status s = cb_model_resolve_max_length(m, opts->max_length, cb_tokenizer_num_special(m->tokenizer), &max_length,
                                              err);
    if (s == CB_OK) s = check_options(m, opts, max_length, err);
    if (s == CB_OK) s = cb_resolve_batch_size(opts->batch_size, &batch, err);
    if (s != CB_OK) return s;

    scorer sc = { .m = m, .max_length = max_length, .labels = m->config.num_labels,
                  .fn = score_fn_for(m, opts->activation), .chunk = opts->long_document == CB_LONG_CHUNK,
                  .scores = scores, .windows = windows };
    /* Batches are packed (no padding, see ops.h), so a short pair never pays
     * for a long one and pairs need no sorting by length. Windows can
     * outnumber pairs, so a chunked call gets full batches. */
    sc.cap = sc.chunk || batch < n_pairs ? batch : n_pairs;
    sc.jobs = cb_calloc(m->alloc, sc.cap, sizeof *sc.jobs);
    sc.logits = cb_calloc(m->alloc, sc.cap * (size_t)sc.labels, sizeof *sc.logits);
    if (sc.chunk) sc.acc = cb_calloc(m->alloc, n_pairs, sizeof *sc.acc);
    if (!sc.jobs || !sc.logits || (sc.chunk && !sc.acc))
        s = cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for %zu pairs", n_pairs);
    if (s == CB_OK) s = cb_batch_buffers_alloc(&sc.bb, m->alloc, sc.cap, max_length, err);
    if (s == CB_OK) s = cb_model_acquire_workspace(m, &sc.ws, err);
    const int windowed = sc.chunk || windows;
    for (size_t i = 0; s == CB_OK && i < n_pairs; i++) {
        s = cb_check_pair(&pairs[i], i, err);
        if (s == CB_OK) s = windowed ? add_pair_windows(&sc, &pairs[i], i, opts->stride, err)
                                     : add_pair_truncated(&sc, &pairs[i], i, err);
    }
    if (s == CB_OK) s = flush(&sc, err);
    for (size_t i = 0; s == CB_OK && sc.chunk && i < n_pairs; i++) {
        const aggregate_acc *a = &sc.acc[i];
        const int first = opts->aggregate == CB_AGGREGATE_FIRST;
        scores[i] = first ? a->first : opts->aggregate == CB_AGGREGATE_MEAN ? (float)(a->sum / a->count) : a->best;
        if (windows) {
            const cb_token_span sp = first ? a->first_span : a->best_span;
            windows[i] = (cb_window){ sp.begin, sp.end, first ? 0 : a->best_index, a->count };
        }
    }
    if (sc.ws) cb_model_release_workspace(m, sc.ws);
    cb_batch_buffers_free(&sc.bb);
    cb_free(m->alloc, sc.jobs);
    cb_free(m->alloc, sc.logits);
    cb_free(m->alloc, sc.acc);
    return s;
}

cb_status cb_predict(const cb_model *m, const cb_pair *pairs, size_t n_pairs, const cb_predict_options *opts,
                     float *scores, cb_error *err)
{
    return cb_predict_windows(m, pairs, n_pairs, opts, scores, NULL, err);
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
    cb_window *windows = cb_calloc(m->alloc, n_docs, sizeof *windows);
    cb_status s = CB_OK;
    if (!pairs || !scores || !windows) s = cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for %zu documents", n_docs);
    for (size_t i = 0; s == CB_OK && i < n_docs; i++) {
        pairs[i] = (cb_pair){ query, query_len, docs[i], doc_lens ? doc_lens[i] : CB_NUL_TERMINATED };
    }
    if (s == CB_OK) s = cb_predict_windows(m, pairs, n_docs, opts, scores, windows, err);
    if (s == CB_OK) {
        for (size_t i = 0; i < n_docs; i++) out[i] = (cb_ranked){ i, scores[i], windows[i] };
        qsort(out, n_docs, sizeof *out, by_score_desc);
    }
    cb_free(m->alloc, pairs);
    cb_free(m->alloc, scores);
    cb_free(m->alloc, windows);
    return s;
}
