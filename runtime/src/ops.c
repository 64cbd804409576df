/* ops.c: see ops.h. */
#include "ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "simd.h"

cb_status cb_xnn_check(enum xnn_status st, const char *what, cb_error *err)
{
    if (st == xnn_status_success) return CB_OK;
    if (st == xnn_status_out_of_memory) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "XNNPACK: out of memory in %s", what);
    return cb_fail(err, CB_ERR_BACKEND, "XNNPACK: %s failed (status %d)", what, (int)st);
}

/* ---- linear layers -------------------------------------------------------- */

cb_status cb_linear_create(cb_linear_op *op, const cb_linear_weights *w, int fuse_relu,
                           xnn_weights_cache_t cache, cb_error *err)
{
    op->weights = w;
    op->fc = NULL;
    const float lo = fuse_relu ? 0.0f : -INFINITY;
    enum xnn_status st;
    if (w->int8) {
        st = xnn_create_fully_connected_nc_qd8_f32_qc8w((size_t)w->in, (size_t)w->out, (size_t)w->in,
                                                         (size_t)w->out, w->scale, (const int8_t *)w->w, w->b, lo,
                                                         INFINITY, 0, NULL, cache, &op->fc);
    } else {
        st = xnn_create_fully_connected_nc_f32((size_t)w->in, (size_t)w->out, (size_t)w->in, (size_t)w->out,
                                               (const float *)w->w, w->b, lo, INFINITY, 0, NULL, cache, &op->fc);
    }
    return cb_xnn_check(st, "creating a fully-connected operator", err);
}

void cb_linear_destroy(cb_linear_op *op)
{
    if (op->fc) xnn_delete_operator(op->fc);
    op->fc = NULL;
}

cb_status cb_linear_run(cb_linear_op *op, cb_quantizer *q, const float *x, float *y, size_t rows,
                        pthreadpool_t pool, cb_error *err)
{
    cb_status s;
    if (!op->weights->int8) {
        if ((s = cb_xnn_check(xnn_reshape_fully_connected_nc_f32(op->fc, rows, pool), "fc reshape", err)) ||
            (s = cb_xnn_check(xnn_setup_fully_connected_nc_f32(op->fc, x, y), "fc setup", err)))
            return s;
        return cb_xnn_check(xnn_run_operator(op->fc, pool), "fc run", err);
    }
    if ((s = cb_quantizer_reserve(q, rows, err)) ||
        (s = cb_xnn_check(xnn_reshape_convert_nc_f32_qd8(q->op, rows, (size_t)q->width, (size_t)q->width,
                                                         (size_t)q->width, pool), "quantize reshape", err)) ||
        (s = cb_xnn_check(xnn_setup_convert_nc_f32_qd8(q->op, x, q->data, q->params), "quantize setup", err)) ||
        (s = cb_xnn_check(xnn_run_operator(q->op, pool), "quantize run", err)) ||
        (s = cb_xnn_check(xnn_reshape_fully_connected_nc_qd8_f32_qc8w(op->fc, rows, pool), "int8 fc reshape", err)) ||
        (s = cb_xnn_check(xnn_setup_fully_connected_nc_qd8_f32_qc8w(op->fc, q->data, y, q->params), "int8 fc setup",
                          err)))
        return s;
    return cb_xnn_check(xnn_run_operator(op->fc, pool), "int8 fc run", err);
}

cb_status cb_quantizer_create(cb_quantizer *q, int width, cb_error *err)
{
    memset(q, 0, sizeof *q);
    q->width = width;
    return cb_xnn_check(xnn_create_convert_nc_f32_qd8(0, &q->op), "creating a quantize operator", err);
}

cb_status cb_quantizer_reserve(cb_quantizer *q, size_t rows, cb_error *err)
{
    if (rows <= q->capacity_rows) return CB_OK;
    free(q->data);
    free(q->params);
    q->data = malloc(rows * (size_t)q->width + XNN_EXTRA_BYTES);
    q->params = malloc((rows + XNN_EXTRA_QUANTIZATION_PARAMS) * sizeof *q->params);
    if (!q->data || !q->params) {
        free(q->data);
        free(q->params);
        q->data = NULL;
        q->params = NULL;
        q->capacity_rows = 0;
        return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for %zu quantised rows", rows);
    }
    q->capacity_rows = rows;
    return CB_OK;
}

void cb_quantizer_destroy(cb_quantizer *q)
{
    if (q->op) xnn_delete_operator(q->op);
    free(q->data);
    free(q->params);
    memset(q, 0, sizeof *q);
}

/* ---- row-wise operations ------------------------------------------------------ */

typedef struct layernorm_task {
    float *x;
    const float *residual, *gamma, *beta;
    int width;
    float eps;
} layernorm_task;

/* One row, vectorised: eight partial sums in float32 (PyTorch's LayerNorm
 * also reduces in float32, in its own order). */
CB_MULTIVERSION
static void layernorm_row(void *ctx, size_t r)
{
    const layernorm_task *t = ctx;
    const size_t n = (size_t)t->width, n8 = n / 8 * 8;
    float *x = t->x + r * n;
    if (t->residual) {
        const float *res = t->residual + r * n;
        for (size_t i = 0; i < n8; i += 8) store8(x + i, load8(x + i) + load8(res + i));
        for (size_t i = n8; i < n; i++) x[i] += res[i];
    }
    v8f acc = splat8(0.0f);
    for (size_t i = 0; i < n8; i += 8) acc += load8(x + i);
    float sum = hsum8(acc);
    for (size_t i = n8; i < n; i++) sum += x[i];
    const float mean = sum / (float)n;
    acc = splat8(0.0f);
    for (size_t i = 0; i < n8; i += 8) {
        const v8f d = load8(x + i) - mean;
        acc += d * d;
    }
    float var = hsum8(acc);
    for (size_t i = n8; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
    const float inv = 1.0f / sqrtf(var / (float)n + t->eps);
    for (size_t i = 0; i < n8; i += 8)
        store8(x + i, (load8(x + i) - mean) * inv * load8(t->gamma + i) + load8(t->beta + i));
    for (size_t i = n8; i < n; i++) x[i] = (x[i] - mean) * inv * t->gamma[i] + t->beta[i];
}

void cb_layernorm_rows(float *x, const float *residual, const float *gamma, const float *beta, size_t rows,
                       int width, float eps, pthreadpool_t pool)
{
    layernorm_task t = { x, residual, gamma, beta, width, eps };
    pthreadpool_parallelize_1d(pool, layernorm_row, &t, rows, 0);
}

typedef struct act_task {
    float *x;
    size_t n;
    cb_act_fn fn;
} act_task;

#define ACT_TILE 4096

static void act_tile(void *ctx, size_t tile)
{
    const act_task *t = ctx;
    size_t begin = tile * ACT_TILE, end = begin + ACT_TILE < t->n ? begin + ACT_TILE : t->n;
    float *x = t->x;
    switch (t->fn) {
    case CB_ACT_GELU:
        for (size_t i = begin; i < end; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
        break;
    case CB_ACT_GELU_TANH:
        for (size_t i = begin; i < end; i++) {
            const float v = x[i];
            x[i] = 0.5f * v * (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)));
        }
        break;
    case CB_ACT_RELU:
        for (size_t i = begin; i < end; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case CB_ACT_TANH:
        for (size_t i = begin; i < end; i++) x[i] = tanhf(x[i]);
        break;
    }
}

void cb_activation_apply(cb_act_fn fn, float *x, size_t n, pthreadpool_t pool)
{
    act_task t = { x, n, fn };
    pthreadpool_parallelize_1d(pool, act_tile, &t, (n + ACT_TILE - 1) / ACT_TILE, 0);
}
