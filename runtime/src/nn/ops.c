/* ops.c: see ops.h. */
#include "ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "act_quant_row.h"
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
    const float lo = fuse_relu && !w->int8 ? 0.0f : -INFINITY;
    enum xnn_status st;
    if (w->int8) {
        /* No bias and no clamp inside XNNPACK: its int8 kernels add the bias
         * with an FMA on x86 and ARM and without one in WebAssembly, and
         * with no bias both round the same single product. add_bias_rows
         * adds it in the same way on every CPU. */
        st = xnn_create_fully_connected_nc_qd8_f32_qc8w((size_t)w->in, (size_t)w->out, (size_t)w->in,
                                                         (size_t)w->out, w->scale, (const int8_t *)w->w, NULL,
                                                         -INFINITY, INFINITY, 0, NULL, cache, &op->fc);
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

const float *cb_linear_unapplied_bias(const cb_linear_op *op)
{
    return op->weights->int8 ? op->weights->b : NULL;
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
    if ((s = cb_quantizer_reserve(q, rows, err))) return s;
    cb_quantize_rows(q, x, rows, pool);
    return cb_linear_run_quantized(op, q, y, rows, pool, err);
}

cb_status cb_linear_run_quantized(cb_linear_op *op, cb_quantizer *q, float *y, size_t rows, pthreadpool_t pool,
                                  cb_error *err)
{
    cb_status s;
    if ((s = cb_xnn_check(xnn_reshape_fully_connected_nc_qd8_f32_qc8w(op->fc, rows, pool), "int8 fc reshape", err)) ||
        (s = cb_xnn_check(xnn_setup_fully_connected_nc_qd8_f32_qc8w(op->fc, q->data, y, q->params), "int8 fc setup",
                          err)) ||
        (s = cb_xnn_check(xnn_run_operator(op->fc, pool), "int8 fc run", err)))
        return s;
    return CB_OK;
}

/* ---- row-wise operations ------------------------------------------------------ */

typedef struct layernorm_task {
    float *x;
    const float *bias, *residual, *gamma, *beta;
    int width;
    float eps;
    cb_quantizer *q;  /* the fused pass's */
} layernorm_task;

/* One row, vectorised: eight partial sums in float32 (PyTorch's LayerNorm
 * also reduces in float32, in its own order). */
CB_KERNEL void layernorm_row_kernel(const layernorm_task *t, size_t r)
{
    const size_t n = (size_t)t->width, n8 = n / 8 * 8;
    float *x = t->x + r * n;
    if (t->bias && t->residual) { /* one pass, same order: (x + bias) + residual */
        const float *res = t->residual + r * n;
        for (size_t i = 0; i < n8; i += 8) store8(x + i, (load8(x + i) + load8(t->bias + i)) + load8(res + i));
        for (size_t i = n8; i < n; i++) x[i] = (x[i] + t->bias[i]) + res[i];
    } else if (t->bias || t->residual) {
        const float *add = t->bias ? t->bias : t->residual + r * n;
        for (size_t i = 0; i < n8; i += 8) store8(x + i, load8(x + i) + load8(add + i));
        for (size_t i = n8; i < n; i++) x[i] += add[i];
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

CB_MULTIVERSION
static void layernorm_row(void *ctx, size_t r)
{
    layernorm_row_kernel(ctx, r);
}

CB_MULTIVERSION
static void layernorm_quantize_row(void *ctx, size_t r)
{
    const layernorm_task *t = ctx;
    const size_t n = (size_t)t->width;
    layernorm_row_kernel(t, r);
    cb_quantize_row_kernel(t->x + r * n, n, t->q->data + r * n, &t->q->params[r], t->q->level_xor);
}

void cb_layernorm_rows(float *x, const float *bias, const float *residual, const float *gamma, const float *beta,
                       size_t rows, int width, float eps, pthreadpool_t pool)
{
    layernorm_task t = { x, bias, residual, gamma, beta, width, eps, NULL };
    pthreadpool_parallelize_1d(pool, layernorm_row, &t, rows, 0);
}

void cb_layernorm_quantize_rows(float *x, const float *bias, const float *residual, const float *gamma,
                                const float *beta, size_t rows, int width, float eps, cb_quantizer *q,
                                pthreadpool_t pool)
{
    layernorm_task t = { x, bias, residual, gamma, beta, width, eps, q };
    pthreadpool_parallelize_1d(pool, layernorm_quantize_row, &t, rows, 0);
    cb_quantize_finish(q, rows);
}

typedef struct act_task {
    float *x;
    const float *bias;
    size_t width;
    cb_act_fn fn;
    cb_quantizer *q;  /* the fused pass's */
} act_task;

/* erf-based GELU, x/2 (1 + erf(x/sqrt 2)), as XNNPACK's f32-vgelu kernels
 * compute it (rational 12/10 interpolant, within a few ulp; BSD-licensed
 * coefficients) but in one portable kernel: XNNPACK's versions differ
 * between CPUs in their last bits (FMA or not), and int8 models amplify last
 * bits (act_quant.c). */
#define CB_DEFINE_GELU(name, VF, VI)                                                              \
    CB_KERNEL VF name(VF x)                                                                     \
    {                                                                                           \
        const VF cap = (VF){ 0.0f } + 5.1158981323e+00f; /* erf(x / sqrt 2) is +-1 beyond */    \
        const VI below = x < cap;                                                               \
        VF v = (VF)(((VI)x & below) | ((VI)cap & ~below));                                      \
        const VI above = v > -cap;                                                              \
        v = (VF)(((VI)v & above) | ((VI)-cap & ~above));                                        \
        const VF v2 = v * v;                                                                    \
        VF p = v2 * 4.5835321316e-08f + 1.2609783880e-05f;                                      \
        p = v2 * p + 3.2973114867e-04f;                                                         \
        p = v2 * p + 9.3065137044e-03f;                                                         \
        p = v2 * p + 6.6972173750e-02f;                                                         \
        p = v2 * p + 7.9788452387e-01f;                                                         \
        p = v * p;                                                                              \
        VF q = v2 * 1.1988805682e-06f + 7.2267655923e-05f;                                      \
        q = v2 * q + 1.8622842617e-03f;                                                         \
        q = v2 * q + 2.8431978077e-02f;                                                         \
        q = v2 * q + 2.5060352683e-01f;                                                         \
        q = v2 * q + 1.0f;                                                                      \
        return (x * 0.5f) * (p / q + 1.0f);                                                     \
    }

/* One definition for any width: every lane alone, the same bits at each. */
CB_DEFINE_GELU(gelu8, v8f, v8i)

/* tanh from e^(-2|x|): (1 - e) / (1 + e) with the sign of x. Absolute error
 * a few 1e-8, which is what its two uses (the pooler, tanh-GELU) need. */
CB_KERNEL v8f tanh8(v8f x)
{
    const v8i sign = (v8i)x & (v8i)splat8(-0.0f);
    const v8f ax = (v8f)((v8i)x ^ sign);
    const v8f e = exp8_nonpositive(ax * splat8(-2.0f));
    const v8f t = (splat8(1.0f) - e) / (splat8(1.0f) + e);
    return (v8f)((v8i)t | sign);
}

CB_KERNEL v8f act8(cb_act_fn fn, v8f x)
{
    switch (fn) {
    case CB_ACT_GELU: return gelu8(x);
    case CB_ACT_GELU_TANH: {
        const v8f inner = splat8(0.7978845608028654f) * (x + splat8(0.044715f) * x * x * x);
        return splat8(0.5f) * x * (splat8(1.0f) + tanh8(inner));
    }
    case CB_ACT_RELU: return max8(x, splat8(0.0f));
    case CB_ACT_TANH: return tanh8(x);
    }
    return x;
}

/* Vectors per step of act_span: natively 2, because each activation is a
 * long chain of dependent operations and two chains side by side keep the
 * FP units busy (GELU's pass -20 %, MiniLM-L6's 128-token pair -3 %); in
 * WebAssembly 1, because every v8f is two v128 there and V8 spills the
 * second chain's (the same pair 7 % slower in Node). Every element gets the
 * same operations either way. */
#if defined(__wasm__)
#define ACT_STEP 8
#else
#define ACT_STEP 16
#endif

/* x[0..n8) (n8 a multiple of 8) through fn, bias added first when given.
 * Always inlined with a constant fn (act_row_kernel's switch), so the loop
 * carries no dispatch. */
CB_KERNEL void act_span(cb_act_fn fn, float *x, const float *bias, size_t n8)
{
    size_t i = 0;
    for (; ACT_STEP == 16 && i + 16 <= n8; i += 16) {
        v8f a = load8(x + i), b = load8(x + i + 8);
        if (bias) {
            a += load8(bias + i);
            b += load8(bias + i + 8);
        }
        a = act8(fn, a);
        b = act8(fn, b);
        store8(x + i, a);
        store8(x + i + 8, b);
    }
    for (; i < n8; i += 8) store8(x + i, act8(fn, bias ? load8(x + i) + load8(bias + i) : load8(x + i)));
}

CB_KERNEL void act_row_kernel(const act_task *t, size_t r)
{
    const size_t n = t->width, n8 = n / 8 * 8;
    float *x = t->x + r * n;
    const float *bias = t->bias;
    switch (t->fn) {
    case CB_ACT_GELU: act_span(CB_ACT_GELU, x, bias, n8); break;
    case CB_ACT_GELU_TANH: act_span(CB_ACT_GELU_TANH, x, bias, n8); break;
    case CB_ACT_RELU: act_span(CB_ACT_RELU, x, bias, n8); break;
    case CB_ACT_TANH: act_span(CB_ACT_TANH, x, bias, n8); break;
    }
    if (n8 < n) { /* the tail through the same kernel, so every element gets the same arithmetic */
        float tmp[8] = { 0 };
        for (size_t i = n8; i < n; i++) tmp[i - n8] = bias ? x[i] + bias[i] : x[i];
        store8(tmp, act8(t->fn, load8(tmp)));
        memcpy(x + n8, tmp, (n - n8) * sizeof *tmp);
    }
}

CB_MULTIVERSION
static void act_row(void *ctx, size_t r)
{
    act_row_kernel(ctx, r);
}

CB_MULTIVERSION
static void act_quantize_row(void *ctx, size_t r)
{
    const act_task *t = ctx;
    act_row_kernel(t, r);
    cb_quantize_row_kernel(t->x + r * t->width, t->width, t->q->data + r * t->width, &t->q->params[r],
                           t->q->level_xor);
}

#if defined(CB_MULTIVERSION_X86)
CB_DEFINE_GELU(gelu16, v16f, v16i)

/* act_quantize_row for erf-GELU rows of a multiple of 16 floats on AVX-512
 * CPUs: 16 lanes per operation (one zmm), the same operations per element
 * as gelu8. Chosen by cb_activation_quantize_rows; a 64-byte vector outside
 * an AVX-512 function is split badly by GCC (attention_kernels.h). */
__attribute__((target("arch=x86-64-v4"))) static void gelu_quantize_row_avx512(void *ctx, size_t r)
{
    const act_task *t = ctx;
    float *x = t->x + r * t->width;
    for (size_t i = 0; i < t->width; i += 16) {
        v16f v;
        memcpy(&v, x + i, sizeof v);
        if (t->bias) {
            v16f b;
            memcpy(&b, t->bias + i, sizeof b);
            v += b;
        }
        v = gelu16(v);
        memcpy(x + i, &v, sizeof v);
    }
    cb_quantize_row_kernel(x, t->width, t->q->data + r * t->width, &t->q->params[r], t->q->level_xor);
}
#endif

void cb_activation_rows(cb_act_fn fn, float *x, const float *bias, size_t rows, size_t width, pthreadpool_t pool)
{
    act_task t = { x, bias, width, fn, NULL };
    pthreadpool_parallelize_1d(pool, act_row, &t, rows, 0);
}

void cb_activation_quantize_rows(cb_act_fn fn, float *x, const float *bias, size_t rows, size_t width,
                                 cb_quantizer *q, pthreadpool_t pool)
{
    act_task t = { x, bias, width, fn, q };
    pthreadpool_task_1d_t task = act_quantize_row;
#if defined(CB_MULTIVERSION_X86)
    if (fn == CB_ACT_GELU && width % 16 == 0 && cb_cpu_has_avx512()) task = gelu_quantize_row_avx512;
#endif
    pthreadpool_parallelize_1d(pool, task, &t, rows, 0);
    cb_quantize_finish(q, rows);
}

typedef struct bias_task {
    float *x;
    const float *bias;
    size_t width;
} bias_task;

CB_MULTIVERSION
static void bias_row(void *ctx, size_t r)
{
    const bias_task *t = ctx;
    const size_t n = t->width, n8 = n / 8 * 8;
    float *x = t->x + r * n;
    for (size_t i = 0; i < n8; i += 8) store8(x + i, load8(x + i) + load8(t->bias + i));
    for (size_t i = n8; i < n; i++) x[i] += t->bias[i];
}

void cb_add_bias_rows(float *x, const float *bias, size_t rows, size_t width, pthreadpool_t pool)
{
    if (!bias) return;
    bias_task t = { x, bias, width };
    pthreadpool_parallelize_1d(pool, bias_row, &t, rows, 0);
}
