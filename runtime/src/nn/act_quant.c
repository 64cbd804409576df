/* act_quant.c: dynamic int8 quantisation of activations, one scale and zero
 * point per row, in the layout XNNPACK's qd8 fully-connected operators read.
 *
 * The scheme is XNNPACK's own (xnn_f32_qd8_asymmetric_quantization_params):
 * the row's range, widened to hold 0, spread over the 256 levels, with a
 * rounded zero point. It is computed here rather than by
 * xnn_convert_nc_f32_qd8 so that it is one piece of our code, built without
 * floating-point contraction like the rest of the library: int8 scores are
 * then the same bits on x86, ARM and WebAssembly. That matters more than it
 * seems: a last-bit difference in one activation can move it to the next
 * level, and such single flips moved int8 logits by up to 4e-2 between
 * builds that differed only in FMA use. Every step is one IEEE operation. */
#include "act_quant.h"

#include <math.h>
#include <string.h>

#include "error.h"
#include "simd.h"

typedef struct quantize_task {
    const float *x;
    cb_quantizer *q;
} quantize_task;

/* Round to nearest, ties to even, for |v| < 2^22 (here |v| <= 127.5): adding
 * and removing 1.5 * 2^23 leaves no fraction bits. Not reassociated without
 * -ffast-math, which the library is never built with. */
#define CB_ROUND_MAGIC 12582912.0f

typedef int8_t v8c __attribute__((vector_size(8)));
typedef int8_t v32c __attribute__((vector_size(32)));

CB_MULTIVERSION
static void quantize_row(void *ctx, size_t r)
{
    const quantize_task *t = ctx;
    cb_quantizer *q = t->q;
    const size_t n = (size_t)q->width, n8 = n / 8 * 8;
    const float *x = t->x + r * n;
    int8_t *out = q->data + r * n;

    v8f vlo = splat8(0.0f), vhi = splat8(0.0f);  /* the range always holds 0 */
    for (size_t i = 0; i < n8; i += 8) {
        const v8f v = load8(x + i);
        vlo = min8(vlo, v);
        vhi = max8(vhi, v);
    }
    float lo = 0.0f, hi = 0.0f;
    for (int k = 0; k < 8; k++) {
        lo = vlo[k] < lo ? vlo[k] : lo;
        hi = vhi[k] > hi ? vhi[k] : hi;
    }
    for (size_t i = n8; i < n; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }

    /* Levels per unit: 255 / (hi - lo). When hi - lo overflows (|x| near
     * FLT_MAX), the same quotient from the halves, which cannot. When the
     * range is too small to invert (255 / range > FLT_MAX: every |x| < 1e-36)
     * the row quantises as zeros with scale 1, as a row of zeros does: an
     * infinite inv would make 0 * inv a NaN, and converting a NaN to an
     * integer is undefined (tests/kernel_sweep.c found both). */
    const float range = hi - lo;
    const float quotient = isfinite(range) ? 255.0f / range : 127.5f / (hi * 0.5f - lo * 0.5f);
    float inv = 1.0f;
    int32_t zp = 0;
    if (hi > lo && isfinite(quotient)) {
        inv = quotient;
        /* XNNPACK rounds the zero point from whichever end has the smaller
         * error; in exact arithmetic both give -128 - lo * inv. */
        const float from_min = -128.0f - lo * inv, from_max = 127.0f - hi * inv;
        const float exact = (-128.0f + lo * inv) + (127.0f + hi * inv) > 0.0f ? from_min : from_max;
        zp = (int32_t)lrintf(exact < -128.0f ? -128.0f : exact > 127.0f ? 127.0f : exact);
    }
    q->params[r].zero_point = zp;
    q->params[r].scale = 1.0f / inv;

    const v8f vinv = splat8(inv), vmagic = splat8(CB_ROUND_MAGIC), vzp = splat8((float)zp);
    const v8f vmin = splat8(-128.0f), vmax = splat8(127.0f);
    for (size_t i = 0; i < n8; i += 8) {
        v8f v = ((load8(x + i) * vinv + vmagic) - vmagic) + vzp;  /* integers: the + zp is exact */
        v = min8(max8(v, vmin), vmax);  /* the extremes may round half a level out */
        /* The low byte of each int32 lane (values are in [-128, 127]):
         * a byte shuffle, where a converting cast becomes scalar code. */
        const v32c b = (v32c)__builtin_convertvector(v, v8i);
        const v8c c = __builtin_shufflevector(b, b, 0, 4, 8, 12, 16, 20, 24, 28);
        memcpy(out + i, &c, sizeof c);
    }
    for (size_t i = n8; i < n; i++) {
        float v = (x[i] * inv + CB_ROUND_MAGIC) - CB_ROUND_MAGIC;
        v = v < -128.0f - (float)zp ? -128.0f - (float)zp : v > 127.0f - (float)zp ? 127.0f - (float)zp : v;
        out[i] = (int8_t)((int32_t)v + zp);
    }
}

void cb_quantize_rows(cb_quantizer *q, const float *x, size_t rows, pthreadpool_t pool)
{
    quantize_task t = { x, q };
    pthreadpool_parallelize_1d(pool, quantize_row, &t, rows, 0);
    /* XNNPACK's kernels may read up to XNN_EXTRA_QUANTIZATION_PARAMS entries
     * past the last row: give them the last row's values, as its own
     * quantiser does. */
    for (size_t i = 0; i < XNN_EXTRA_QUANTIZATION_PARAMS; i++) q->params[rows + i] = q->params[rows - 1];
}

void cb_quantizer_init(cb_quantizer *q, int width, const cb_allocator *alloc)
{
    memset(q, 0, sizeof *q);
    q->width = width;
    q->alloc = alloc;
}

cb_status cb_quantizer_reserve(cb_quantizer *q, size_t rows, cb_error *err)
{
    if (rows <= q->capacity_rows) return CB_OK;
    cb_free(q->alloc, q->data);
    cb_free(q->alloc, q->params);
    q->data = cb_malloc(q->alloc, rows * (size_t)q->width + XNN_EXTRA_BYTES);
    q->params = cb_malloc(q->alloc, (rows + XNN_EXTRA_QUANTIZATION_PARAMS) * sizeof *q->params);
    if (!q->data || !q->params) {
        cb_free(q->alloc, q->data);
        cb_free(q->alloc, q->params);
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
    cb_free(q->alloc, q->data);
    cb_free(q->alloc, q->params);
    memset(q, 0, sizeof *q);
}
