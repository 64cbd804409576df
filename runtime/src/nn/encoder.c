/* runtime/src/nn/: the neural network on XNNPACK: this file's encoder
 * (embeddings, layers, heads), linear operators (ops.c), activation
 * quantisation (act_quant.c), attention (attention.c), the packed-weights
 * cache, the CPU's int8 kernel family. It may call base/ and model/.
 *
 * encoder.c: embeddings, transformer layers and the classification head,
 * one code path for every architecture (differences are in cb_model_config). */
#include "encoder.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attention.h"
#include "error.h"

/* ---- binding weights to the image ------------------------------------------- */

static cb_status get_f32(const cb_model_file *f, const char *name, int64_t rows, int64_t cols, const float **out,
                         cb_error *err)
{
    const int64_t shape[2] = { rows, cols };
    const cb_tensor *t;
    cb_status s = cb_model_file_get(f, name, CBM_F32, cols ? 2 : 1, shape, &t, err);
    if (s == CB_OK) *out = t->data;
    return s;
}

/* A matrix stored as float32, or as int8 rows with "<name>.scale". Each
 * tensor says which, so a file may keep sensitive matrices in float32. */
static cb_status get_matrix(const cb_model_file *f, const char *name, int64_t rows, int64_t cols, int *int8,
                            const void **data, const float **scale, cb_error *err)
{
    *scale = NULL;
    const cb_tensor *found = cb_model_file_find(f, name);
    *int8 = found && found->dtype == CBM_I8;
    if (!*int8) return get_f32(f, name, rows, cols, (const float **)data, err);
    const int64_t shape[2] = { rows, cols };
    const cb_tensor *t;
    cb_status s = cb_model_file_get(f, name, CBM_I8, 2, shape, &t, err);
    if (s != CB_OK) return s;
    *data = t->data;
    char sname[96];
    snprintf(sname, sizeof sname, "%s.scale", name);
    s = get_f32(f, sname, rows, 0, scale, err);
    for (int64_t r = 0; s == CB_OK && r < rows; r++) {
        if (!((*scale)[r] > 0.0f) || !isfinite((*scale)[r]))
            return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: %s has a non-positive scale", sname);
    }
    return s;
}

static cb_status get_linear(const cb_model_file *f, const char *name, int out, int in, cb_linear_weights *lw,
                            cb_error *err)
{
    char wn[96], bn[96];
    snprintf(wn, sizeof wn, "%s.w", name);
    snprintf(bn, sizeof bn, "%s.b", name);
    lw->in = in;
    lw->out = out;
    cb_status s = get_matrix(f, wn, out, in, &lw->int8, &lw->w, &lw->scale, err);
    return s != CB_OK ? s : get_f32(f, bn, out, 0, &lw->b, err);
}

static cb_status get_norm(const cb_model_file *f, const char *name, int n, const float **w, const float **b,
                          cb_error *err)
{
    char wn[96], bn[96];
    snprintf(wn, sizeof wn, "%s.w", name);
    snprintf(bn, sizeof bn, "%s.b", name);
    cb_status s = get_f32(f, wn, n, 0, w, err);
    return s != CB_OK ? s : get_f32(f, bn, n, 0, b, err);
}

cb_status cb_encoder_weights_bind(const cb_model_file *f, const cb_model_config *c, const cb_allocator *alloc,
                                  cb_encoder_weights *w, cb_error *err)
{
    memset(w, 0, sizeof *w);
    w->alloc = alloc;
    const int E = c->embedding_size, H = c->hidden_size, F = c->intermediate_size;
    int int8;
    cb_status s = get_matrix(f, "emb.word", c->vocab_size, E, &int8, &w->word.data, &w->word.scale, err);
    if (s == CB_OK && c->max_positions > 0)
        s = get_matrix(f, "emb.pos", c->max_positions, E, &int8, &w->pos.data, &w->pos.scale, err);
    if (s == CB_OK && c->type_vocab_size > 0) s = get_f32(f, "emb.type", c->type_vocab_size, E, &w->type, err);
    if (s == CB_OK) s = get_norm(f, "emb.ln", E, &w->emb_ln_w, &w->emb_ln_b, err);
    if (s == CB_OK && E != H) {
        w->has_proj = 1;
        s = get_linear(f, "emb.proj", H, E, &w->proj, err);
    }
    /* A bi-encoder has no head: it pools the last hidden states instead. */
    const int has_head = c->pooling == CB_POOL_NONE;
    if (s == CB_OK && has_head) s = get_linear(f, "head.dense", H, H, &w->head_dense, err);
    if (s == CB_OK && has_head) { /* float32 only: head() reads it as such, whatever the file says */
        w->head_out = (cb_linear_weights){ .in = H, .out = c->num_labels };
        s = get_f32(f, "head.out.w", c->num_labels, H, (const float **)&w->head_out.w, err);
        if (s == CB_OK) s = get_f32(f, "head.out.b", c->num_labels, 0, &w->head_out.b, err);
    }
    if (s != CB_OK) return s;
    w->layers = cb_calloc(alloc, (size_t)c->num_layers, sizeof *w->layers);
    if (!w->layers) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for %d layers", c->num_layers);
    for (int i = 0; i < c->num_layers && s == CB_OK; i++) {
        cb_layer_weights *l = &w->layers[i];
        char n[32];
        snprintf(n, sizeof n, "l%d.qkv", i);
        s = get_linear(f, n, 3 * H, H, &l->qkv, err);
        snprintf(n, sizeof n, "l%d.ao", i);
        if (s == CB_OK) s = get_linear(f, n, H, H, &l->ao, err);
        snprintf(n, sizeof n, "l%d.up", i);
        if (s == CB_OK) s = get_linear(f, n, F, H, &l->up, err);
        snprintf(n, sizeof n, "l%d.down", i);
        if (s == CB_OK) s = get_linear(f, n, H, F, &l->down, err);
        snprintf(n, sizeof n, "l%d.ln1", i);
        if (s == CB_OK) s = get_norm(f, n, H, &l->ln1_w, &l->ln1_b, err);
        snprintf(n, sizeof n, "l%d.ln2", i);
        if (s == CB_OK) s = get_norm(f, n, H, &l->ln2_w, &l->ln2_b, err);
        const int64_t R2 = 2 * (int64_t)c->max_relative_positions;
        snprintf(n, sizeof n, "l%d.relk", i);
        if (s == CB_OK && c->rel_c2p) s = get_f32(f, n, R2, H, &l->relk, err);
        snprintf(n, sizeof n, "l%d.relq", i);
        if (s == CB_OK && c->rel_p2c) s = get_f32(f, n, R2, H, &l->relq, err);
    }
    if (s != CB_OK) cb_encoder_weights_release(w);
    return s;
}

void cb_encoder_weights_release(cb_encoder_weights *w)
{
    cb_free(w->alloc, w->layers);
    w->layers = NULL;
}

/* ---- workspace ------------------------------------------------------------------- */

struct cb_workspace {
    const cb_model_config *c;
    const cb_encoder_weights *w;
    pthreadpool_t pool;          /* NULL: the calling thread does everything */
    size_t n_threads;
    cb_linear_op proj;
    cb_linear_op *ops;           /* 4 per layer: qkv, ao, up, down */
    cb_quantizer q_emb, q_hidden, q_inter;  /* inputs of width E (ELECTRA projection), H, F */

    size_t cap_tokens;           /* rows the buffers below hold */
    float *emb;                  /* [rows, E] before the ELECTRA projection */
    float *x, *tmp, *ctx;        /* [rows, H] */
    float *qkv;                  /* [rows, 3H] */
    float *ff;                   /* [rows, F] */
    size_t cap_len;              /* longest pair the attention scratch fits */
    size_t scratch_stride;       /* floats of attention scratch per thread */
    float *scratch;              /* [n_threads, scratch_stride] */
    size_t cap_pairs;
    float *cls_out;              /* [pairs, H]: the head's dense layer */
    size_t cap_part_pairs;
    size_t *part_offsets;        /* [cap_part_pairs]: one part's offsets (sub_batch) */
    size_t *part_starts;         /* [cap_part_pairs + 1]: first pair of each part (split_for_lanes) */
    size_t part_tokens;          /* most tokens of a part, at least one pair */
    /* With a pool: one single-threaded workspace per thread, made on first
     * use, each scoring whole parts (cb_encoder_forward); each keeps the
     * first error of its parts. */
    cb_workspace **lanes;
    cb_status lane_status;
    cb_error lane_err;
    xnn_weights_cache_t cache;
    int prune_last_layer;        /* see hidden_states; off only in tests */
    int has_int8;                /* some linear layer is int8: its quantizers are reserved up front */
    const cb_allocator *alloc;   /* of everything above but the operators and the pool */
};

enum { OP_QKV, OP_AO, OP_UP, OP_DOWN, OPS_PER_LAYER };

/* A batch runs through the encoder in parts of whole pairs whose
 * activations (x, tmp, ctx, qkv, ff, emb) take at most PART_BYTES, so that
 * each layer's passes find their rows in cache: on a 2-core Zen 5 (2 MiB L2
 * per core, 32 MiB L3) parts of 6 MiB (409 MiniLM-L6 tokens, 1228
 * TinyBERT-L2 tokens) rerank 100 passages 8-10 % faster at 1 thread than
 * one 32-pair batch (docs/benchmarks.md). Every operation is per row or per
 * pair, so a pair's scores do not depend on the split. */
#define PART_BYTES ((size_t)6 << 20)

void cb_workspace_free(cb_workspace *ws)
{
    if (!ws) return;
    if (ws->ops) {
        for (int i = 0; i < ws->c->num_layers * OPS_PER_LAYER; i++) cb_linear_destroy(&ws->ops[i]);
        cb_free(ws->alloc, ws->ops);
    }
    cb_linear_destroy(&ws->proj);
    cb_quantizer_destroy(&ws->q_emb);
    cb_quantizer_destroy(&ws->q_hidden);
    cb_quantizer_destroy(&ws->q_inter);
    if (ws->pool) pthreadpool_destroy(ws->pool);
    const cb_allocator *a = ws->alloc;
    cb_free(a, ws->emb);
    cb_free(a, ws->x);
    cb_free(a, ws->tmp);
    cb_free(a, ws->ctx);
    cb_free(a, ws->qkv);
    cb_free(a, ws->ff);
    cb_free(a, ws->scratch);
    cb_free(a, ws->cls_out);
    cb_free(a, ws->part_offsets);
    cb_free(a, ws->part_starts);
    if (ws->lanes)
        for (size_t i = 0; i < ws->n_threads; i++) cb_workspace_free(ws->lanes[i]);
    cb_free(a, ws->lanes);
    cb_free(a, ws);
}

cb_status cb_workspace_create(const cb_model_config *c, const cb_encoder_weights *w, int n_threads,
                              xnn_weights_cache_t cache, const cb_allocator *alloc, cb_workspace **out,
                              cb_error *err)
{
    *out = NULL;
    cb_workspace *ws = cb_calloc(alloc, 1, sizeof *ws);
    if (!ws) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for a workspace");
    ws->alloc = alloc;
    /* Before anything can fail: cb_workspace_free destroys them. */
    cb_quantizer_init(&ws->q_hidden, c->hidden_size, alloc);
    cb_quantizer_init(&ws->q_inter, c->intermediate_size, alloc);
    cb_quantizer_init(&ws->q_emb, c->embedding_size, alloc);
    ws->c = c;
    ws->w = w;
    ws->cache = cache;
    ws->n_threads = 1;
    ws->prune_last_layer = 1;
    const size_t floats_per_token = 7 * (size_t)c->hidden_size + (size_t)c->intermediate_size + (size_t)c->embedding_size;
    ws->part_tokens = PART_BYTES / (floats_per_token * sizeof(float));
    cb_status s = CB_OK;
    if (n_threads > 1) {
        ws->pool = pthreadpool_create((size_t)n_threads);
        if (!ws->pool) s = cb_fail(err, CB_ERR_OUT_OF_MEMORY, "cannot start %d threads", n_threads);
        else ws->n_threads = pthreadpool_get_threads_count(ws->pool);
    }
    if (s == CB_OK) ws->ops = cb_calloc(alloc, (size_t)c->num_layers * OPS_PER_LAYER, sizeof *ws->ops);
    if (s == CB_OK && !ws->ops) s = cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for operators");
    for (int i = 0; s == CB_OK && i < c->num_layers; i++) {
        const cb_layer_weights *l = &w->layers[i];
        cb_linear_op *o = &ws->ops[i * OPS_PER_LAYER];
        const int relu = c->hidden_act == CB_ACT_RELU;
        if ((s = cb_linear_create(&o[OP_QKV], &l->qkv, 0, cache, err)) ||
            (s = cb_linear_create(&o[OP_AO], &l->ao, 0, cache, err)) ||
            (s = cb_linear_create(&o[OP_UP], &l->up, relu, cache, err)) ||
            (s = cb_linear_create(&o[OP_DOWN], &l->down, 0, cache, err)))
            break;
    }
    if (s == CB_OK && w->has_proj) s = cb_linear_create(&ws->proj, &w->proj, 0, cache, err);
    for (int i = 0; s == CB_OK && i < c->num_layers * OPS_PER_LAYER; i++) ws->has_int8 |= ws->ops[i].weights->int8;
    if (s != CB_OK) {
        cb_workspace_free(ws);
        return s;
    }
    *out = ws;
    return CB_OK;
}

void cb_workspace_set_pruning(cb_workspace *ws, int on)
{
    ws->prune_last_layer = on;
}

/* Grows a float buffer to n floats (+ XNNPACK's read-ahead slack). */
static cb_status grow(const cb_workspace *ws, float **buf, size_t n, cb_error *err)
{
    cb_free(ws->alloc, *buf);
    *buf = cb_malloc(ws->alloc, n * sizeof(float) + XNN_EXTRA_BYTES);
    return *buf ? CB_OK : cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for %zu activations", n);
}

static cb_status reserve(cb_workspace *ws, const cb_batch *b, cb_error *err)
{
    const cb_model_config *c = ws->c;
    const size_t E = (size_t)c->embedding_size, H = (size_t)c->hidden_size, F = (size_t)c->intermediate_size;
    cb_status s = CB_OK;
    if (b->n_tokens > ws->cap_tokens) {
        size_t n = b->n_tokens < 2 ? 2 : b->n_tokens;  /* two rows at least: see linear() */
        ws->cap_tokens = 0;
        if ((s = grow(ws, &ws->x, n * H, err)) || (s = grow(ws, &ws->tmp, n * H, err)) || (s = grow(ws, &ws->ctx, n * H, err)) ||
            (s = grow(ws, &ws->qkv, n * 3 * H, err)) || (s = grow(ws, &ws->ff, n * F, err)) ||
            (ws->w->has_proj && (s = grow(ws, &ws->emb, n * E, err))))
            return s;
        ws->cap_tokens = n;
    }
    size_t longest = 0;
    for (size_t p = 0; p < b->n_pairs; p++) longest = (size_t)b->lengths[p] > longest ? (size_t)b->lengths[p] : longest;
    if (longest > ws->cap_len) {
        ws->cap_len = 0;
        ws->scratch_stride = cb_attention_scratch_floats(longest, (size_t)(c->hidden_size / c->num_heads));
        if ((s = grow(ws, &ws->scratch, ws->scratch_stride * ws->n_threads, err))) return s;
        ws->cap_len = longest;
    }
    if (b->n_pairs > ws->cap_pairs) {
        ws->cap_pairs = 0;
        if ((s = grow(ws, &ws->cls_out, b->n_pairs * H, err))) return s;
        ws->cap_pairs = b->n_pairs;
    }
    /* The fused passes (fed_by) quantise into these before any layer runs. */
    if (ws->has_int8 && ((s = cb_quantizer_reserve(&ws->q_hidden, b->n_tokens, err)) ||
                         (s = cb_quantizer_reserve(&ws->q_inter, b->n_tokens, err))))
        return s;
    if (ws->w->has_proj && ws->w->proj.int8 && (s = cb_quantizer_reserve(&ws->q_emb, b->n_tokens, err))) return s;
    return CB_OK;
}

/* The quantizer an int8 layer reads, for the pass that writes the layer's
 * input to fill row by row (cb_layernorm_quantize_rows,
 * cb_activation_quantize_rows): each row is quantised while still in L1,
 * with the same operations as cb_linear_run's own pass, so the same bits.
 * NULL for a float32 layer (or none), whose input is read as floats. */
static cb_quantizer *fed_by(const cb_linear_op *op, cb_quantizer *q)
{
    return op && op->weights->int8 ? q : NULL;
}

/* y = op(x); `fed`: the quantizer fed_by gave and the writer of x filled,
 * or NULL (then the layer quantises x itself, if int8). */
static cb_status linear(const cb_workspace *ws, cb_linear_op *op, cb_quantizer *fed, cb_quantizer *q, const float *x,
                        float *y, size_t rows, cb_error *err)
{
    /* A float32 layer never runs one row alone: XNNPACK would pick its
     * one-row kernel, whose sums on aarch64 come out an ulp away from those
     * of the kernel every batch runs (test_prune under qemu found it: a
     * pruned last layer of a one-pair part), and a pair's score would depend
     * on its batch. Two rows run that kernel; the buffers hold two rows at
     * least (reserve) and the second row's output is not read. */
    if (rows == 1 && !op->weights->int8) rows = 2;
    return fed ? cb_linear_run_quantized(op, fed, y, rows, ws->pool, err)
               : cb_linear_run(op, q, x, y, rows, ws->pool, err);
}

static void layernorm(const cb_workspace *ws, float *x, const float *bias, const float *residual, const float *gamma,
                      const float *beta, size_t rows, int width, cb_quantizer *fill)
{
    const float eps = ws->c->layer_norm_eps;
    if (fill) cb_layernorm_quantize_rows(x, bias, residual, gamma, beta, rows, width, eps, fill, ws->pool);
    else cb_layernorm_rows(x, bias, residual, gamma, beta, rows, width, eps, ws->pool);
}

/* ---- forward pass ------------------------------------------------------------------ */

/* out[0..E) += row `r` of table t (dequantised when int8). */
static void table_add(const cb_table *t, size_t r, size_t E, float *out)
{
    if (t->scale) {
        const int8_t *q = (const int8_t *)t->data + r * E;
        const float s = t->scale[r];
        for (size_t k = 0; k < E; k++) out[k] += (float)q[k] * s;
    } else {
        const float *row = (const float *)t->data + r * E;
        for (size_t k = 0; k < E; k++) out[k] += row[k];
    }
}

/* word + token type + position embeddings (Hugging Face's order of sums),
 * then LayerNorm (quantised into `fill` too unless it is NULL). */
static void embed(const cb_workspace *ws, const cb_batch *b, float *out, cb_quantizer *fill)
{
    const cb_model_config *c = ws->c;
    const cb_encoder_weights *w = ws->w;
    const size_t E = (size_t)c->embedding_size;
    for (size_t p = 0; p < b->n_pairs; p++) {
        for (int i = 0; i < b->lengths[p]; i++) {
            const size_t t = b->offsets[p] + (size_t)i;
            float *row = out + t * E;
            memset(row, 0, E * sizeof *row);
            table_add(&w->word, (size_t)b->ids[t], E, row);
            if (w->type) {
                const float *tr = w->type + (size_t)b->type_ids[t] * E;
                for (size_t k = 0; k < E; k++) row[k] += tr[k];
            }
            if (w->pos.data) table_add(&w->pos, (size_t)(c->position_offset + i), E, row);
        }
    }
    layernorm(ws, out, NULL, NULL, w->emb_ln_w, w->emb_ln_b, b->n_tokens, (int)E, fill);
}

/* bias: what the up-projection left to add (int8), or NULL. A float32
 * up-projection has applied a ReLU itself. Returns `fill` if it quantised
 * the rows into it, NULL if it left them as floats only. */
static cb_quantizer *feed_forward_act(cb_workspace *ws, float *ff, const float *bias, size_t rows, cb_quantizer *fill)
{
    const cb_model_config *c = ws->c;
    if (c->hidden_act == CB_ACT_RELU && !bias) return NULL;
    if (fill) cb_activation_quantize_rows(c->hidden_act, ff, bias, rows, (size_t)c->intermediate_size, fill, ws->pool);
    else cb_activation_rows(c->hidden_act, ff, bias, rows, (size_t)c->intermediate_size, ws->pool);
    return fill;
}

/* The classification head on rows x[n_rows, H] (one per pair): dense ->
 * act -> out, into logits[n_rows, L]; h: [n_rows, H] scratch that keeps the
 * activated dense outputs. A few rows only, so plain C, one sequential sum
 * per output. */
void cb_head_rows(const cb_linear_weights *dense, cb_act_fn act, const cb_linear_weights *out, const float *x,
                  size_t n_rows, float *h, float *logits)
{
    const int H = dense->in, L = out->out;
    for (size_t p = 0; p < n_rows; p++) {
        const float *first = x + p * (size_t)H;
        float *hp = h + p * (size_t)H;
        for (int o = 0; o < dense->out; o++) {
            float acc = 0.0f;
            if (dense->int8) {
                const int8_t *wr = (const int8_t *)dense->w + (size_t)o * H;
                for (int i = 0; i < H; i++) acc += (float)wr[i] * first[i];
                acc *= dense->scale[o];
            } else {
                const float *wr = (const float *)dense->w + (size_t)o * H;
                for (int i = 0; i < H; i++) acc += wr[i] * first[i];
            }
            hp[o] = acc + dense->b[o];
        }
        cb_activation_rows(act, hp, NULL, 1, (size_t)dense->out, NULL);
        for (int o = 0; o < L; o++) {
            const float *wr = (const float *)out->w + (size_t)o * out->in;
            float acc = 0.0f;
            for (int i = 0; i < out->in; i++) acc += wr[i] * hp[i];
            logits[p * (size_t)L + (size_t)o] = acc + out->b[o];
        }
    }
}

/* The head on each pair's first token (row p of x: the last layer kept only
 * those rows). */
static void head(const cb_workspace *ws, const cb_batch *b, const float *x, float *logits)
{
    cb_head_rows(&ws->w->head_dense, ws->c->head_act, &ws->w->head_out, x, b->n_pairs, ws->cls_out, logits);
}

/* Moves each pair's first row to row p, in place: offsets[p] >= p and both
 * grow with p, so no row is overwritten before it is read. */
static void gather_first_rows(float *x, const cb_batch *b, size_t H)
{
    for (size_t p = 0; p < b->n_pairs; p++)
        if (b->offsets[p] != p) memmove(x + p * H, x + b->offsets[p] * H, H * sizeof *x);
}

/* Embeddings and every layer; *out points at the last hidden states (one of
 * the workspace's buffers): [n_tokens, H], or with `first_rows_only` [n_pairs,
 * H], the first token of each pair. A cross-encoder's head and CLS pooling
 * read nothing else, and in the last layer only the keys and values need the
 * other tokens: so that layer computes its queries, attention output,
 * LayerNorms and feed-forward for the first rows alone (6 layers: -14 % of
 * the work; 2 layers: -40 %). Every kept row goes through the same operations
 * as in the full pass (attention and activation quantisation are per row), so
 * scores keep their bits (tests/test_prune.c). */
static cb_status hidden_states(cb_workspace *ws, const cb_batch *b, int first_rows_only, int n_layers, float **out,
                               cb_error *err)
{
    const cb_model_config *c = ws->c;
    cb_status s = reserve(ws, b, err);
    if (s != CB_OK) return s;
    size_t rows = b->n_tokens;
    float *x = ws->x, *tmp = ws->tmp;

    cb_quantizer *fed = NULL; /* holds x quantised for the next layer's QKV, or NULL */
    if (ws->w->has_proj) {
        cb_quantizer *q = fed_by(&ws->proj, &ws->q_emb);
        embed(ws, b, ws->emb, q);
        if ((s = linear(ws, &ws->proj, q, &ws->q_emb, ws->emb, x, rows, err))) return s;
        cb_add_bias_rows(x, cb_linear_unapplied_bias(&ws->proj), rows, (size_t)c->hidden_size, ws->pool);
    } else {
        fed = n_layers > 0 ? fed_by(&ws->ops[OP_QKV], &ws->q_hidden) : NULL;
        embed(ws, b, x, fed);
    }
    cb_attention_args att = {
        .qkv = ws->qkv, .ctx = ws->ctx, .offsets = b->offsets, .lengths = b->lengths, .n_pairs = b->n_pairs,
        .hidden = c->hidden_size, .heads = c->num_heads, .scratch = ws->scratch, .scratch_stride = ws->scratch_stride,
        .scale = 1.0f / sqrtf((float)(c->hidden_size / c->num_heads) * (float)(1 + c->rel_c2p + c->rel_p2c)),
        .max_rel = c->max_relative_positions,
    };
    for (int i = 0; i < n_layers; i++) {
        const cb_layer_weights *l = &ws->w->layers[i];
        cb_linear_op *o = &ws->ops[i * OPS_PER_LAYER];
        if ((s = linear(ws, &o[OP_QKV], fed, &ws->q_hidden, x, ws->qkv, rows, err))) return s;
        att.relk = l->relk;
        att.relq = l->relq;
        att.bias = cb_linear_unapplied_bias(&o[OP_QKV]);
        if (first_rows_only && i == c->num_layers - 1) {
            att.first_row_only = 1;
            gather_first_rows(x, b, (size_t)c->hidden_size);  /* the residual of the rows kept */
            rows = b->n_pairs;
        }
        cb_attention(&att, ws->pool);
        if ((s = linear(ws, &o[OP_AO], NULL, &ws->q_hidden, ws->ctx, tmp, rows, err))) return s;
        cb_quantizer *up_in = fed_by(&o[OP_UP], &ws->q_hidden);
        layernorm(ws, tmp, cb_linear_unapplied_bias(&o[OP_AO]), x, l->ln1_w, l->ln1_b, rows, c->hidden_size, up_in);
        float *swap = x;
        x = tmp;
        tmp = swap;
        if ((s = linear(ws, &o[OP_UP], up_in, &ws->q_hidden, x, ws->ff, rows, err))) return s;
        cb_quantizer *down_in = feed_forward_act(ws, ws->ff, cb_linear_unapplied_bias(&o[OP_UP]), rows,
                                                 fed_by(&o[OP_DOWN], &ws->q_inter));
        if ((s = linear(ws, &o[OP_DOWN], down_in, &ws->q_inter, ws->ff, tmp, rows, err))) return s;
        fed = i + 1 < n_layers ? fed_by(&o[OPS_PER_LAYER + OP_QKV], &ws->q_hidden) : NULL;
        layernorm(ws, tmp, cb_linear_unapplied_bias(&o[OP_DOWN]), x, l->ln2_w, l->ln2_b, rows, c->hidden_size, fed);
        swap = x;
        x = tmp;
        tmp = swap;
    }
    *out = x;
    return CB_OK;
}

/* Room for the offsets of a part of n pairs, and for n parts' starts
 * (buffers for a part's rows: hidden_states). */
static cb_status reserve_parts(cb_workspace *ws, size_t n, cb_error *err)
{
    if (n <= ws->cap_part_pairs) return CB_OK;
    cb_free(ws->alloc, ws->part_offsets);
    cb_free(ws->alloc, ws->part_starts);
    ws->cap_part_pairs = 0;
    ws->part_offsets = cb_malloc(ws->alloc, n * sizeof *ws->part_offsets);
    ws->part_starts = cb_malloc(ws->alloc, (n + 1) * sizeof *ws->part_starts);
    if (!ws->part_offsets || !ws->part_starts) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for %zu pairs", n);
    ws->cap_part_pairs = n;
    return CB_OK;
}

/* Pairs [p0, p1) of b as a batch of their own, offsets rebased into buf. */
static cb_batch sub_batch(const cb_batch *b, size_t p0, size_t p1, size_t *buf)
{
    const size_t base = b->offsets[p0];
    for (size_t p = p0; p < p1; p++) buf[p - p0] = b->offsets[p] - base;
    return (cb_batch){ b->ids + base, b->type_ids + base, buf, b->lengths + p0, p1 - p0,
                       b->offsets[p1 - 1] + (size_t)b->lengths[p1 - 1] - base };
}

/* The end of the part of b that starts at pair p0 (see PART_BYTES): as many
 * whole pairs as fit ws->part_tokens, at least one. */
static size_t part_end(const cb_workspace *ws, const cb_batch *b, size_t p0)
{
    const size_t base = b->offsets[p0];
    size_t p1 = p0 + 1;
    while (p1 < b->n_pairs && b->offsets[p1] + (size_t)b->lengths[p1] - base <= ws->part_tokens) p1++;
    return p1;
}

/* Splits b into parts for the lanes: a multiple of the thread count, each
 * of about the same number of tokens (a pair goes to the part its middle
 * token falls in), none much above ws->part_tokens. Fills ws->part_starts;
 * returns the number of parts. */
static size_t split_for_lanes(const cb_workspace *ws, const cb_batch *b)
{
    const size_t n = b->n_pairs, T = ws->n_threads, base = b->offsets[0];
    const size_t total = b->offsets[n - 1] + (size_t)b->lengths[n - 1] - base, per = ws->part_tokens * T;
    const size_t k = total ? (total + per - 1) / per * T : 1;
    size_t parts = 0, last = SIZE_MAX;
    for (size_t p = 0; p < n; p++) {
        const size_t mid = b->offsets[p] - base + (size_t)b->lengths[p] / 2, at = total ? mid * k / total : 0;
        if (at != last) ws->part_starts[parts++] = p;
        last = at;
    }
    ws->part_starts[parts] = n;
    return parts;
}

/* Pairs [p0, p1) of b, their logits into logits + p0 * L. */
static cb_status forward_part(cb_workspace *ws, const cb_batch *b, size_t p0, size_t p1, float *logits, cb_error *err)
{
    cb_status s = reserve_parts(ws, p1 - p0, err);
    if (s != CB_OK) return s;
    const cb_batch part = sub_batch(b, p0, p1, ws->part_offsets);
    float *x;
    s = hidden_states(ws, &part, ws->prune_last_layer, ws->c->num_layers, &x, err);
    if (s != CB_OK) return s;
    if (!ws->prune_last_layer) gather_first_rows(x, &part, (size_t)ws->c->hidden_size);
    head(ws, &part, x, logits + p0 * (size_t)ws->c->num_labels);
    return CB_OK;
}

static cb_status make_lanes(cb_workspace *ws, cb_error *err)
{
    if (!ws->lanes) ws->lanes = cb_calloc(ws->alloc, ws->n_threads, sizeof *ws->lanes);
    if (!ws->lanes) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for %zu lanes", ws->n_threads);
    /* After a failure the lanes made so far stay, and the next call makes
     * the rest (cb_workspace_free frees them all). */
    for (size_t i = 0; i < ws->n_threads; i++) {
        if (ws->lanes[i]) continue;
        cb_status s = cb_workspace_create(ws->c, ws->w, 1, ws->cache, ws->alloc, &ws->lanes[i], err);
        if (s != CB_OK) return s;
    }
    return CB_OK;
}

typedef struct lanes_job {
    cb_workspace *ws;
    const cb_batch *b;
    float *logits;
} lanes_job;

static void lane_task(void *ctx, size_t thread, size_t part)
{
    const lanes_job *j = ctx;
    cb_workspace *lane = j->ws->lanes[thread];
    if (lane->lane_status != CB_OK) return;
    lane->lane_status = forward_part(lane, j->b, j->ws->part_starts[part], j->ws->part_starts[part + 1], j->logits,
                                     &lane->lane_err);
}

/* With several threads and at least one part per thread, each thread scores
 * whole parts on its own lane: no thread waits for another inside a layer
 * (MiniLM-L6 int8, rerank 100 at 2 threads: docs/benchmarks.md). Fewer
 * parts (one long pair) share each operator's rows among the threads. */
cb_status cb_encoder_forward(cb_workspace *ws, const cb_batch *b, float *logits, cb_error *err)
{
    cb_status s = reserve_parts(ws, b->n_pairs, err);
    if (s != CB_OK || b->n_pairs == 0) return s;
    const size_t parts = ws->pool ? split_for_lanes(ws, b) : 0;
    if (parts >= ws->n_threads && ws->n_threads > 1) {
        if ((s = make_lanes(ws, err)) != CB_OK) return s;
        /* Every lane is sized for every part here, before any runs: which
         * lane gets which part is up to the pool, and memory should not be. */
        for (size_t i = 0; i < ws->n_threads; i++) {
            cb_workspace *lane = ws->lanes[i];
            lane->lane_status = CB_OK;
            lane->prune_last_layer = ws->prune_last_layer;
            for (size_t k = 0; s == CB_OK && k < parts; k++) {
                const size_t p0 = ws->part_starts[k], p1 = ws->part_starts[k + 1];
                if ((s = reserve_parts(lane, p1 - p0, err)) == CB_OK) {
                    const cb_batch part = sub_batch(b, p0, p1, lane->part_offsets);
                    s = reserve(lane, &part, err);
                }
            }
            if (s != CB_OK) return s;
        }
        lanes_job job = { ws, b, logits };
        pthreadpool_parallelize_1d_with_thread(ws->pool, lane_task, &job, parts, 0);
        for (size_t i = 0; i < ws->n_threads; i++)
            if (ws->lanes[i]->lane_status != CB_OK) {
                if (err) *err = ws->lanes[i]->lane_err;
                return ws->lanes[i]->lane_status;
            }
        return CB_OK;
    }
    for (size_t p0 = 0, p1; s == CB_OK && p0 < b->n_pairs; p0 = p1) {
        p1 = part_end(ws, b, p0);
        s = forward_part(ws, b, p0, p1, logits, err);
    }
    return s;
}

/* sentence-transformers' Pooling over each text's tokens (all of them: a
 * packed batch has no padding, so the attention mask is all ones), in double
 * so the order of the sum does not matter. */
static void pool(cb_pooling p, const float *x, size_t n, size_t H, float *out)
{
    if (p == CB_POOL_CLS) {
        memcpy(out, x, H * sizeof *out);
        return;
    }
    for (size_t k = 0; k < H; k++) {
        double acc = p == CB_POOL_MAX ? -INFINITY : 0.0;
        for (size_t t = 0; t < n; t++) {
            const double v = x[t * H + k];
            acc = p == CB_POOL_MAX ? (v > acc ? v : acc) : acc + v;
        }
        if (p == CB_POOL_MEAN) acc /= (double)n;
        else if (p == CB_POOL_MEAN_SQRT_LEN) acc /= sqrt((double)n);
        out[k] = (float)acc;
    }
}

/* Normalize: x / max(||x||, 1e-12), as torch.nn.functional.normalize. */
static void l2_normalize(float *v, size_t n)
{
    double ss = 0.0;
    for (size_t k = 0; k < n; k++) ss += (double)v[k] * v[k];
    const double norm = sqrt(ss) > 1e-12 ? sqrt(ss) : 1e-12;
    for (size_t k = 0; k < n; k++) v[k] = (float)(v[k] / norm);
}

cb_status cb_encoder_embed(cb_workspace *ws, const cb_batch *b, int normalize, float *out, cb_error *err)
{
    const cb_pooling pooling = ws->c->pooling;
    const int first_rows = pooling == CB_POOL_CLS && ws->prune_last_layer;
    const size_t H = (size_t)ws->c->hidden_size;
    cb_status s = reserve_parts(ws, b->n_pairs, err);
    for (size_t p0 = 0, p1; s == CB_OK && p0 < b->n_pairs; p0 = p1) {
        p1 = part_end(ws, b, p0);
        const cb_batch part = sub_batch(b, p0, p1, ws->part_offsets);
        float *x;
        s = hidden_states(ws, &part, first_rows, ws->c->num_layers, &x, err);
        for (size_t p = 0; s == CB_OK && p < part.n_pairs; p++) {
            float *v = out + (p0 + p) * H;
            pool(pooling, x + (first_rows ? p : part.offsets[p]) * H, (size_t)part.lengths[p], H, v);
            if (normalize) l2_normalize(v, H);
        }
    }
    return s;
}

cb_status cb_encoder_layer_output(cb_workspace *ws, const cb_batch *b, int layers, float *out, cb_error *err)
{
    if (layers < 0 || layers > ws->c->num_layers)
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "layer %d: the model has %d layers", layers, ws->c->num_layers);
    float *x;
    cb_status s = hidden_states(ws, b, 0, layers, &x, err);
    if (s != CB_OK) return s;
    memcpy(out, x, b->n_tokens * (size_t)ws->c->hidden_size * sizeof *out);
    return CB_OK;
}
