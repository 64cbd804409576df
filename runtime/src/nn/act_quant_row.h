/* act_quant_row.h: one row of act_quant.c's quantisation as an always-inlined
 * kernel, so that the passes that write a layer's input (LayerNorm, the
 * activation: ops.c) can quantise each row while it is still in L1, in the
 * same operations as cb_quantize_rows.
 *
 * The scheme is XNNPACK's own (xnn_f32_qd8_asymmetric_quantization_params):
 * the row's range, widened to hold 0, spread over the 256 levels, with a
 * rounded zero point. It is computed here rather than by
 * xnn_convert_nc_f32_qd8 so that it is one piece of our code, built without
 * floating-point contraction like the rest of the library: int8 scores are
 * then the same bits on x86, ARM and WebAssembly. That matters more than it
 * seems: a last-bit difference in one activation can move it to the next
 * level, and such single flips moved int8 logits by up to 4e-2 between
 * builds that differed only in FMA use. Every step is one IEEE operation.
 *
 * Internal to the library and its tests. */
#ifndef CB_ACT_QUANT_ROW_H
#define CB_ACT_QUANT_ROW_H

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <xnnpack.h>

#include "simd.h"

/* Round to nearest, ties to even, for |v| < 2^22 (here |v| <= 127.5): adding
 * and removing 1.5 * 2^23 leaves no fraction bits. Not reassociated without
 * -ffast-math, which the library is never built with. */
#define CB_ROUND_MAGIC 12582912.0f

typedef int8_t v8c __attribute__((vector_size(8)));
typedef int8_t v32c __attribute__((vector_size(32)));

/* Quantises x[0..n) into out[0..n) with its own scale and zero point,
 * written to *params; each level is stored XORed with level_xor (0, or
 * 0x80 for the kernels that read unsigned bytes: act_quant.h). */
CB_KERNEL void cb_quantize_row_kernel(const float *x, size_t n, int8_t *out, struct xnn_quantization_params *params,
                                      uint8_t level_xor)
{
    const size_t n8 = n / 8 * 8;

    /* The range always holds 0. Two independent chains each for min and max
     * (each step of one waits a compare and a blend): the extremes are the
     * same in any order. */
    v8f vlo = splat8(0.0f), vhi = splat8(0.0f), vlo2 = vlo, vhi2 = vhi;
    size_t i0 = 0;
    for (; i0 + 16 <= n8; i0 += 16) {
        const v8f v = load8(x + i0), w = load8(x + i0 + 8);
        vlo = min8(vlo, v);
        vhi = max8(vhi, v);
        vlo2 = min8(vlo2, w);
        vhi2 = max8(vhi2, w);
    }
    for (; i0 < n8; i0 += 8) {
        const v8f v = load8(x + i0);
        vlo = min8(vlo, v);
        vhi = max8(vhi, v);
    }
    vlo = min8(vlo, vlo2);
    vhi = max8(vhi, vhi2);
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
    params->zero_point = zp;
    params->scale = 1.0f / inv;

    const v8f vinv = splat8(inv), vmagic = splat8(CB_ROUND_MAGIC), vzp = splat8((float)zp);
    const v8f vmin = splat8(-128.0f), vmax = splat8(127.0f);
    const int8_t flip = (int8_t)level_xor;
    const v8c vflip = { flip, flip, flip, flip, flip, flip, flip, flip };
    for (size_t i = 0; i < n8; i += 8) {
        v8f v = ((load8(x + i) * vinv + vmagic) - vmagic) + vzp;  /* integers: the + zp is exact */
        v = min8(max8(v, vmin), vmax);  /* the extremes may round half a level out */
        /* The low byte of each int32 lane (values are in [-128, 127]):
         * a byte shuffle, where a converting cast becomes scalar code. */
        const v32c b = (v32c)__builtin_convertvector(v, v8i);
        const v8c c = __builtin_shufflevector(b, b, 0, 4, 8, 12, 16, 20, 24, 28) ^ vflip;
        memcpy(out + i, &c, sizeof c);
    }
    for (size_t i = n8; i < n; i++) {
        float v = (x[i] * inv + CB_ROUND_MAGIC) - CB_ROUND_MAGIC;
        v = v < -128.0f - (float)zp ? -128.0f - (float)zp : v > 127.0f - (float)zp ? 127.0f - (float)zp : v;
        out[i] = (int8_t)(((int32_t)v + zp) ^ flip);
    }
}

#endif
