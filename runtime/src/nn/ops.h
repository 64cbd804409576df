/* ops.h: the encoder's operations. Matrix products go to XNNPACK's
 * fully-connected operators (created once per workspace, reshaped per batch,
 * as XNNPACK's create / reshape / setup / run discipline wants); the small
 * row-wise operations are plain C, threaded through the same pthreadpool.
 *
 * Activations are "packed": the tokens of every pair in a batch are stacked
 * row after row with no padding, [n_tokens, width]; a pair's rows are
 * [offset[p], offset[p] + length[p]). Attention is the only operation that
 * looks across rows, and it never crosses a pair's boundary, so padding and
 * attention masks are unnecessary. */
#ifndef CB_OPS_H
#define CB_OPS_H

#include <pthreadpool.h>
#include <stddef.h>
#include <stdint.h>
#include <xnnpack.h>

#include "act_quant.h"
#include "alloc.h"
#include "crossbyte.h"
#include "model_config.h"

/* Weights of one linear layer y = x W^T + b, pointing into the model image. */
typedef struct cb_linear_weights {
    int in, out;
    int int8;
    const void *w;        /* [out, in] float or int8 */
    const float *scale;   /* [out] for int8, else NULL */
    const float *b;       /* [out] */
} cb_linear_weights;

/* An XNNPACK operator for one linear layer, owned by a workspace. */
typedef struct cb_linear_op {
    const cb_linear_weights *weights;
    xnn_operator_t fc;
} cb_linear_op;

/* fuse_relu: clamp the output at 0 inside the operator (hidden_act relu);
 * float32 layers only: int8 ones leave bias and activation to the caller. */
cb_status cb_linear_create(cb_linear_op *op, const cb_linear_weights *w, int fuse_relu,
                           xnn_weights_cache_t cache, cb_error *err);
void cb_linear_destroy(cb_linear_op *op);

/* y[rows, out] = x[rows, in] W^T, + b unless cb_linear_unapplied_bias says
 * otherwise. For int8 layers q must be the quantizer of width `in` (x is
 * quantised into it first). */
cb_status cb_linear_run(cb_linear_op *op, cb_quantizer *q, const float *x, float *y, size_t rows,
                        pthreadpool_t pool, cb_error *err);

/* The same for an int8 layer whose input is already in q, quantised by the
 * pass that wrote it (cb_layernorm_quantize_rows, cb_activation_quantize_rows). */
cb_status cb_linear_run_quantized(cb_linear_op *op, cb_quantizer *q, float *y, size_t rows, pthreadpool_t pool,
                                  cb_error *err);

/* The bias the caller still has to add to cb_linear_run's output (int8
 * layers: see ops.c), or NULL when the operator added it. */
const float *cb_linear_unapplied_bias(const cb_linear_op *op);

/* x[r] = LayerNorm(x[r] + bias + residual[r]) * gamma + beta for every row;
 * bias and residual may be NULL. */
void cb_layernorm_rows(float *x, const float *bias, const float *residual, const float *gamma, const float *beta,
                       size_t rows, int width, float eps, pthreadpool_t pool);
/* cb_layernorm_rows, then each row quantised into q (reserved for rows, of
 * this width) while it is in L1: what cb_quantize_rows on the output gives,
 * bit for bit, without reading the rows again. */
void cb_layernorm_quantize_rows(float *x, const float *bias, const float *residual, const float *gamma,
                                const float *beta, size_t rows, int width, float eps, cb_quantizer *q,
                                pthreadpool_t pool);

/* x[r] = act(x[r] + bias) in place for rows of `width`; bias may be NULL.
 * GELU uses erf as PyTorch's default. Portable kernels: the same bits on
 * every CPU (see gelu8 in ops.c). */
void cb_activation_rows(cb_act_fn fn, float *x, const float *bias, size_t rows, size_t width, pthreadpool_t pool);
/* cb_activation_rows, then each row quantised into q, as above. */
void cb_activation_quantize_rows(cb_act_fn fn, float *x, const float *bias, size_t rows, size_t width,
                                 cb_quantizer *q, pthreadpool_t pool);

/* x[r] += bias for rows of `width`; nothing when bias is NULL. */
void cb_add_bias_rows(float *x, const float *bias, size_t rows, size_t width, pthreadpool_t pool);

/* XNNPACK status -> our error, naming the operation. */
cb_status cb_xnn_check(enum xnn_status st, const char *what, cb_error *err);

#endif
