/* encoder.h: the transformer encoder and its classification head.
 *
 * cb_encoder_weights points into a loaded model image and is read-only.
 * cb_workspace holds everything one forward pass writes: XNNPACK operators
 * (which carry reshape/setup state), activation buffers and a thread pool.
 * A model hands one workspace to each concurrent caller. */
#ifndef CB_ENCODER_H
#define CB_ENCODER_H

#include "model_config.h"
#include "model_file.h"
#include "ops.h"

typedef struct cb_layer_weights {
    cb_linear_weights qkv;     /* [3H, H]: Q, K, V stacked */
    cb_linear_weights ao;      /* attention output [H, H] */
    cb_linear_weights up;      /* [F, H] */
    cb_linear_weights down;    /* [H, F] */
    const float *ln1_w, *ln1_b;  /* after attention [H] */
    const float *ln2_w, *ln2_b;  /* after feed-forward [H] */
    const float *relk, *relq;    /* DeBERTa [2R, H], or NULL */
} cb_layer_weights;

/* An embedding table, float32 or int8 rows with one scale each. */
typedef struct cb_table {
    const void *data;          /* [rows, E]; NULL: the model has no such table */
    const float *scale;        /* [rows] for int8, NULL for float32 */
} cb_table;

typedef struct cb_encoder_weights {
    cb_table word;             /* [V, E] */
    cb_table pos;              /* [P, E] */
    const float *type;         /* [T, E] or NULL */
    const float *emb_ln_w, *emb_ln_b;   /* [E] */
    int has_proj;
    cb_linear_weights proj;    /* [H, E] (ELECTRA) */
    cb_layer_weights *layers;  /* owned: num_layers entries */
    cb_linear_weights head_dense;  /* [H, H] */
    cb_linear_weights head_out;    /* [L, H] */
    const cb_allocator *alloc;     /* of layers */
} cb_encoder_weights;

cb_status cb_encoder_weights_bind(const cb_model_file *f, const cb_model_config *c, const cb_allocator *alloc,
                                  cb_encoder_weights *w, cb_error *err);
void cb_encoder_weights_release(cb_encoder_weights *w);

typedef struct cb_workspace cb_workspace;

/* Its buffers come from `alloc` (alloc.h), which must outlive it. */
cb_status cb_workspace_create(const cb_model_config *c, const cb_encoder_weights *w, int n_threads,
                              xnn_weights_cache_t cache, const cb_allocator *alloc, cb_workspace **out,
                              cb_error *err);
void cb_workspace_free(cb_workspace *ws);
/* On by default: the last layer computes only the rows the head (or CLS
 * pooling) reads. Off computes every row, as the model is written; the tests
 * check that both give the same bits. */
void cb_workspace_set_pruning(cb_workspace *ws, int on);

/* One packed batch: pair p has lengths[p] tokens starting at offsets[p] in
 * ids/type_ids (offsets are the running sums of lengths). Writes
 * n_pairs * num_labels raw logits. */
typedef struct cb_batch {
    const int32_t *ids;
    const int32_t *type_ids;
    const size_t *offsets;
    const int *lengths;
    size_t n_pairs;
    size_t n_tokens;
} cb_batch;

/* The classification head (float32 or int8 dense [H, H], float32 out
 * [L, H]) on rows x[n_rows, H]: logits[n_rows, L]; h is [n_rows, H] scratch.
 * Internal; the tests call it directly (tests/kernel_sweep.c). */
void cb_head_rows(const cb_linear_weights *dense, cb_act_fn act, const cb_linear_weights *out, const float *x,
                  size_t n_rows, float *h, float *logits);

cb_status cb_encoder_forward(cb_workspace *ws, const cb_batch *b, float *logits, cb_error *err);

/* A bi-encoder's forward pass: each "pair" of the batch is one text; writes
 * n_pairs * hidden_size floats, pooled as c->pooling says, L2-normalised
 * when `normalize`. */
cb_status cb_encoder_embed(cb_workspace *ws, const cb_batch *b, int normalize, float *out, cb_error *err);

/* Every token's hidden state after the first `layers` layers (0: the output of
 * the embeddings' LayerNorm, as Hugging Face's hidden_states[0]), [n_tokens,
 * hidden] floats. Not on the scoring path: the tests compare each layer with
 * Hugging Face's, so that a difference is found in the layer that makes it. */
cb_status cb_encoder_layer_output(cb_workspace *ws, const cb_batch *b, int layers, float *out, cb_error *err);

#endif
