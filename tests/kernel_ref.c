/* kernel_ref.c: see kernel_ref.h. */
#include "kernel_ref.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- inputs ------------------------------------------------------------------ */

static uint64_t rng_state;

void kr_seed(uint64_t seed)
{
    rng_state = seed;
}

uint64_t kr_next_u64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

float kr_uniform(float amp)
{
    return (float)(((double)(kr_next_u64() >> 11) / 9007199254740992.0 * 2.0 - 1.0) * amp);
}

void kr_fill(float *x, size_t n, float amp)
{
    for (size_t i = 0; i < n; i++) x[i] = kr_uniform(amp);
}

/* ---- canaries ------------------------------------------------------------------ */

void kr_set_canary(float *x, size_t n)
{
    const uint32_t c = KR_CANARY;
    for (size_t i = 0; i < n; i++) memcpy(x + i, &c, sizeof c);
}

int kr_is_canary(const float *x)
{
    uint32_t b;
    memcpy(&b, x, sizeof b);
    return b == KR_CANARY;
}

size_t kr_first_changed(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!kr_is_canary(x + i)) return i;
    return n;
}

/* ---- activations ------------------------------------------------------------------ */

static double sech2(double x)
{
    const double c = cosh(x);
    return isfinite(c) ? 1.0 / (c * c) : 0.0;
}

/* The bounds, from the kernels' operations in ops.c (u = 2^-24):
 *
 * tanh8: t = (1 - e) / (1 + e), e = e^-2|x| within 2 ulp (simd.h). The 2 ulp
 * of e move t by at most 2u e * 2 / (1 + e)^2 <= u; 1 - e is exact for
 * e >= 1/2 (Sterbenz) and else rounds by u |1 - e|; 1 + e and the division
 * round by u each, relative: |t - tanh| <= u (1 + 3 |t|). An absolute bound:
 * near 0 the subtraction 1 - e leaves few significant bits, so tanh8 is
 * accurate to ulps of 1 (its output's range), not of small outputs.
 *
 * gelu8: 0.5 x (1 + erf(x / sqrt 2)) with erf from a rational function p / q
 * on the input clamped to +-5.1159 (erf is +-1 in float32 beyond). Both
 * polynomials have positive coefficients in v^2, so Horner's rule in float32
 * is within 2 u per step relative: 2 * 6 u for p, 2 * 5 u for q, one more
 * for the division: erf within 23 u + the interpolant's own error (below
 * 1 u, XNNPACK's derivation) absolutely (|erf| <= 1). 1 + erf rounds by 2u,
 * the product by u |gelu| <= u |x|: |err| <= 0.5 |x| (24 u + 2 u) + u |x|
 * = 14 u |x|.
 *
 * tanh-GELU: inner = c (x + a x x x), a = 0.044715f, c = 0.7978845608f: the
 * cube and its product with a round 3 times, each constant is within u of
 * PyTorch's, the sum and the product with c round once each: |inner error|
 * <= 7 u c (|x| + |a x^3|); it moves tanh by sech^2(inner) times that. Then
 * 1 + t rounds by u |1 + t| and the product by u |result|:
 * |err| <= 0.5 |x| (tanh8's bound + sech^2 * inner error + u |1 + t|)
 *          + u |result|.
 *
 * ReLU: max(x, 0) is exact. */
double kr_act(int fn, double x, double *tol)
{
    switch (fn) {
    case KR_ACT_GELU: {
        const double r = 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
        *tol = 14.0 * KR_U * fabs(x);
        return r;
    }
    case KR_ACT_GELU_TANH: {
        const double a3 = 0.044715 * x * x * x, c = 0.79788456080286535588; /* sqrt(2 / pi) */
        const double inner = c * (x + a3), t = tanh(inner), r = 0.5 * x * (1.0 + t);
        const double inner_err = 7.0 * KR_U * c * (fabs(x) + fabs(a3));
        const double t_err = KR_U * (1.0 + 3.0 * fabs(t)) + sech2(inner) * inner_err;
        *tol = 0.5 * fabs(x) * (t_err + KR_U * fabs(1.0 + t)) + KR_U * fabs(r);
        return r;
    }
    case KR_ACT_RELU:
        *tol = 0.0;
        return x > 0.0 ? x : 0.0;
    case KR_ACT_TANH: {
        const double t = tanh(x);
        *tol = KR_U * (1.0 + 3.0 * fabs(t));
        return t;
    }
    }
    *tol = 0.0;
    return NAN;
}

/* ---- LayerNorm ------------------------------------------------------------------ */

/* The kernel (ops.c, layernorm_row) adds bias then residual in float32
 * (2 roundings of x' = (x + b) + r, each within u A, A = |x| + |b| + |r|);
 * sums x' in eight lanes of n/8 terms, a 3-level tree and a tail of < 8:
 * k = n/8 + 10 roundings at most, each within u of a partial sum bounded by
 * sum A (Higham's gamma_k), then divides by n: the mean is within
 * (k + 3) u S, S = mean of A. Each deviation d = x' - mean carries that error
 * plus 2 u A and its own rounding; the variance is a k-term sum of squares,
 * then /n, + eps, sqrt and 1/: relative error of 1/sigma within
 * (k + 8) u (1 + 2 S / sigma) to first order. The normalised value
 * z = d / sigma is thus within (k + 8) u (|z| (1 + 2 S / sigma) +
 * (A + S) / sigma); times gamma and plus beta round twice more:
 * tol = (k + 8) u |gamma| (|z| (1 + 2 S / sigma) + (A + S) / sigma)
 *       + 3 u (|gamma z| + |beta|).
 * For n <= 96 and inputs of mean 0 that is about 20 ulps of the output. */
void kr_layernorm_row(const float *x, const float *bias, const float *residual, const float *gamma,
                      const float *beta, size_t n, double eps, double *out, double *tol)
{
    double sum = 0.0, abs_sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double b = bias ? bias[i] : 0.0, r = residual ? residual[i] : 0.0;
        out[i] = (double)x[i] + b + r;
        sum += out[i];
        abs_sum += fabs((double)x[i]) + fabs(b) + fabs(r);
    }
    const double mean = sum / (double)n, S = abs_sum / (double)n;
    double var = 0.0;
    for (size_t i = 0; i < n; i++) var += (out[i] - mean) * (out[i] - mean);
    const double sigma = sqrt(var / (double)n + eps);
    const double k = (double)(n / 8) + 10.0;
    for (size_t i = 0; i < n; i++) {
        const double A = fabs((double)x[i]) + (bias ? fabs((double)bias[i]) : 0.0) +
                         (residual ? fabs((double)residual[i]) : 0.0);
        const double z = (out[i] - mean) / sigma;
        out[i] = z * gamma[i] + beta[i];
        tol[i] = (k + 8.0) * KR_U * fabs((double)gamma[i]) * (fabs(z) * (1.0 + 2.0 * S / sigma) + (A + S) / sigma) +
                 3.0 * KR_U * (fabs(z * gamma[i]) + fabs((double)beta[i]));
    }
}

/* ---- activation quantisation ------------------------------------------------ */

/* The kernel's float32 steps against the exact scheme (act_quant.c): the range
 * r = hi - lo rounds once, 255 / r once (or 127.5 / (hi/2 - lo/2) when r
 * overflows: the same two roundings), x * inv once: a level's unrounded
 * value v = x inv (|v| <= 255) is within 3 u 255 of the exact one; the zero
 * point -128 - lo inv adds one rounding of a value <= 128: within
 * 4 u 256 = 6.1e-5 of exact. A value that far from a tie (k + 1/2) rounds as
 * the exact one does; closer, either neighbour is right. The scale 1 / inv
 * is within 3 u, relative. */
#define KR_QUANT_TIE (4.0 * KR_U * 256.0)

static int clamp_level(double v)
{
    return v < -128.0 ? -128 : v > 127.0 ? 127 : (int)v;
}

void kr_quant_params(const float *x, size_t n, kr_quant_row *r)
{
    double lo = 0.0, hi = 0.0;
    for (size_t i = 0; i < n; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    memset(r, 0, sizeof *r);
    /* Too small a range to invert in float32 (255 / r > FLT_MAX: every
     * |x| < 1e-36) quantises as zeros, scale 1: the definition act_quant.c
     * documents, decided with its own float32 quotient. */
    const float range = (float)hi - (float)lo;
    const float inv_f = isfinite(range) ? 255.0f / range : 127.5f / ((float)hi * 0.5f - (float)lo * 0.5f);
    if (!(hi > lo) || !isfinite(inv_f)) {
        r->all_zero = 1;
        r->scale = 1.0;
        return;
    }
    const double inv = 255.0 / (hi - lo), zp = -128.0 - lo * inv;
    r->scale = (hi - lo) / 255.0;
    r->scale_tol = 3.0 * KR_U * r->scale;
    r->zp_lo = clamp_level(nearbyint(zp - KR_QUANT_TIE));
    r->zp_hi = clamp_level(nearbyint(zp + KR_QUANT_TIE));
}

void kr_quant_level(const kr_quant_row *r, int zp, float x, int *lo, int *hi)
{
    if (r->all_zero) {
        *lo = *hi = 0;
        return;
    }
    const double v = (double)x / r->scale;
    *lo = clamp_level(nearbyint(v - KR_QUANT_TIE) + zp);
    *hi = clamp_level(nearbyint(v + KR_QUANT_TIE) + zp);
}

/* ---- score activations -------------------------------------------------------- */

/* crossbyte.c's activate with libm's expf and tanhf (within 1 and 2 ulp in
 * glibc and musl, the C libraries of the native and WebAssembly builds):
 *   sigmoid 1 / (1 + e^-v): expf, the sum and the division round once each:
 *     3 u relative;
 *   tanh: tanhf's 2 ulp = 4 u relative;
 *   softmax e^(v_i - max) / sum: v_i - max rounds by u |d_i|, which e^
 *     turns into a relative u |d_i|; expf adds u; the n-term sum is within
 *     n u; the division u: relative u (|d_i| + 2 + n + 1 + sum p_j (|d_j| + 1)).
 * Outputs below FLT_MIN are subnormal, with fewer bits (and sigmoid's e^-v
 * overflows for v < -88, giving 0): FLT_MIN absolute on top. */
void kr_score(int fn, const float *v, size_t n, double *out, double *tol)
{
    switch (fn) {
    case KR_SCORE_IDENTITY:
        for (size_t i = 0; i < n; i++) out[i] = v[i], tol[i] = 0.0;
        return;
    case KR_SCORE_SIGMOID:
        for (size_t i = 0; i < n; i++) {
            out[i] = 1.0 / (1.0 + exp(-(double)v[i]));
            tol[i] = 3.0 * KR_U * out[i] + FLT_MIN;
        }
        return;
    case KR_SCORE_TANH:
        for (size_t i = 0; i < n; i++) {
            out[i] = tanh((double)v[i]);
            tol[i] = 4.0 * KR_U * fabs(out[i]) + FLT_MIN;
        }
        return;
    case KR_SCORE_SOFTMAX: {
        double mx = v[0], sum = 0.0, spread = 0.0;
        for (size_t i = 1; i < n; i++) mx = v[i] > mx ? v[i] : mx;
        for (size_t i = 0; i < n; i++) sum += (out[i] = exp((double)v[i] - mx));
        for (size_t i = 0; i < n; i++) {
            out[i] /= sum;
            spread += out[i] * (fabs((double)v[i] - mx) + 1.0);
        }
        for (size_t i = 0; i < n; i++)
            tol[i] = KR_U * out[i] * (fabs((double)v[i] - mx) + 3.0 + (double)n + spread) + FLT_MIN;
        return;
    }
    }
}

/* ---- attention ------------------------------------------------------------------- */

/* Row of the relative tables for query i and key j: R + (i - j), clamped to
 * the table's 2R rows. */
static size_t rel_row(int max_rel, size_t i, size_t j)
{
    long r = (long)max_rel + (long)i - (long)j;
    if (r < 0) r = 0;
    if (r > 2L * max_rel - 1) r = 2L * max_rel - 1;
    return (size_t)r;
}

void kr_attention_head(const float *q, const float *k, const float *v, size_t stride, const float *bq,
                       const float *bk, const float *bv, const float *relk, const float *relq, size_t rel_stride,
                       int max_rel, double scale, size_t n, size_t d, double *out)
{
    double *qd = malloc(3 * n * d * sizeof *qd), *w = malloc(n * sizeof *w);
    if (!qd || !w) abort(); /* a few kilobytes: a test machine that lacks them cannot run the sweep */
    double *kd = qd + n * d, *vd = kd + n * d;
    for (size_t j = 0; j < n; j++)
        for (size_t e = 0; e < d; e++) {
            qd[j * d + e] = (double)q[j * stride + e] + (bq ? (double)bq[e] : 0.0);
            kd[j * d + e] = (double)k[j * stride + e] + (bk ? (double)bk[e] : 0.0);
            vd[j * d + e] = (double)v[j * stride + e] + (bv ? (double)bv[e] : 0.0);
        }
    for (size_t i = 0; i < n; i++) {
        double mx = -INFINITY, sum = 0;
        for (size_t j = 0; j < n; j++) {
            const size_t t = rel_row(max_rel, i, j) * rel_stride;
            double qk = 0, qr = 0, kr = 0;
            for (size_t e = 0; e < d; e++) {
                qk += qd[i * d + e] * kd[j * d + e];
                if (relk) qr += qd[i * d + e] * (double)relk[t + e];
                if (relq) kr += kd[j * d + e] * (double)relq[t + e];
            }
            w[j] = scale * (qk + qr) + kr;
            mx = w[j] > mx ? w[j] : mx;
        }
        for (size_t j = 0; j < n; j++) sum += (w[j] = exp(w[j] - mx));
        for (size_t e = 0; e < d; e++) {
            double acc = 0;
            for (size_t j = 0; j < n; j++) acc += w[j] * vd[j * d + e];
            out[i * d + e] = acc / sum;
        }
    }
    free(qd);
    free(w);
}
