/* kernel_sweep.c: see kernel_sweep.h. Every output buffer is followed by
 * canaries (kernel_ref.h) that must survive the call. */
#include "kernel_sweep.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xnnpack.h>

#include "encoder.h"
#include "kernel_ref.h"
#include "model.h"
#include "ops.h"

#define GUARD 16

static const int odd_widths[] = { KS_ODD_WIDTHS };
#define N_WIDTHS (96 + (int)(sizeof odd_widths / sizeof *odd_widths))

/* The i-th width of the sweep: 1..96, then the odd larger ones. */
static int width_at(int i)
{
    return i < 96 ? i + 1 : odd_widths[i - 96];
}

/* Rows for width w: 1..96 cycle through every count 1..70; the wide ones run
 * a few rows (their cost is in the width). */
static size_t rows_for(int w)
{
    return w <= 96 ? (size_t)((w - 1) % 70 + 1) : (size_t)(w % 5 + 1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        /* The sweeps need a few megabytes; without them nothing can be checked. */
        fprintf(stderr, "kernel sweep: out of memory for %zu bytes\n", n);
        abort();
    }
    return p;
}

__attribute__((format(printf, 2, 3))) static void fail(ks_result *r, const char *fmt, ...)
{
    if (r->failures++) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->first, sizeof r->first, fmt, ap);
    va_end(ap);
}

/* One value against its reference; returns 1 when it is within tol. */
static int check(ks_result *r, double got, double ref, double tol)
{
    r->values++;
    const double diff = fabs(got - ref);
    if (tol > 0 && diff / tol > r->worst) r->worst = diff / tol;
    return diff <= tol || (got == ref);   /* got == ref: infinities of the same sign */
}

static void check_guard(ks_result *r, const float *guard, const char *what, int w, size_t rows)
{
    const size_t at = kr_first_changed(guard, GUARD);
    if (at < GUARD) fail(r, "%s, width %d, %zu rows: a write %zu floats past the output", what, w, rows, at);
}

/* ---- LayerNorm ---------------------------------------------------------------- */

/* Inputs of kind k: 0 mean 0 and spread 1; 1 spread 1000; 2 mean 100 and
 * spread 1 (the mean cancels: the test of the two-pass variance); 3 every
 * element equal (variance 0: only eps keeps 1/sigma finite). */
static void layernorm_inputs(int kind, float *x, size_t n)
{
    const float c = kr_uniform(50.0f);
    for (size_t i = 0; i < n; i++) {
        switch (kind) {
        case 0: x[i] = kr_uniform(1.0f); break;
        case 1: x[i] = kr_uniform(1000.0f); break;
        case 2: x[i] = 100.0f + kr_uniform(1.0f); break;
        default: x[i] = c; break;
        }
    }
}

void ks_layernorm(ks_result *r, pthreadpool_t pool)
{
    for (int wi = 0; wi < N_WIDTHS; wi++) {
        const int w = width_at(wi);
        const size_t n = (size_t)w, rows = rows_for(w);
        kr_seed(0x1a0000u + (uint64_t)w);
        float *x = xmalloc((rows * n + GUARD) * sizeof *x), *res = xmalloc(rows * n * sizeof *res);
        float *bias = xmalloc(n * sizeof *bias), *gamma = xmalloc(n * sizeof *gamma), *beta = xmalloc(n * sizeof *beta);
        float *in = xmalloc(rows * n * sizeof *in);
        double *ref = xmalloc(n * sizeof *ref), *tol = xmalloc(n * sizeof *tol);
        kr_fill(bias, n, 0.5f);
        kr_fill(gamma, n, 2.0f);
        kr_fill(beta, n, 1.0f);
        kr_fill(res, rows * n, 1.0f);
        for (int variant = 0; variant < 4; variant++) {   /* bits: 1 bias, 2 residual */
            const float *b = variant & 1 ? bias : NULL, *rs = variant & 2 ? res : NULL;
            for (size_t row = 0; row < rows; row++) layernorm_inputs((int)((row + (size_t)variant) % 4), in + row * n, n);
            memcpy(x, in, rows * n * sizeof *x);
            kr_set_canary(x + rows * n, GUARD);
            const float eps = variant % 2 ? 1e-12f : 1e-5f;
            cb_layernorm_rows(x, b, rs, gamma, beta, rows, w, eps, pool);
            r->cases++;
            check_guard(r, x + rows * n, "layernorm", w, rows);
            for (size_t row = 0; row < rows; row++) {
                kr_layernorm_row(in + row * n, b, rs ? rs + row * n : NULL, gamma, beta, n, (double)eps, ref, tol);
                for (size_t i = 0; i < n; i++)
                    if (!check(r, x[row * n + i], ref[i], tol[i]))
                        fail(r, "layernorm, width %d, row %zu of %zu (bias %d, residual %d, kind %d), column %zu: "
                                "%.9g, reference %.9g, tolerance %.3g",
                             w, row, rows, variant & 1, variant >> 1, (int)((row + (size_t)variant) % 4), i,
                             (double)x[row * n + i], ref[i], tol[i]);
            }
        }
        free(x), free(res), free(bias), free(gamma), free(beta), free(in), free(ref), free(tol);
    }
}

/* ---- element-wise activations ---------------------------------------------------- */

/* Where the kernels change regime: 0, signed zero, tiny, GELU's clamp at
 * +-5.1159, tanh's e^x floor at -87 (|x| = 43.5), large and overflowing
 * cubes (tanh-GELU's x^3 is infinite from |x| = 7e12). */
static const float act_specials[] = { 0.0f, -0.0f, 1e-30f, -1e-30f, 5.1158981323f, -5.1158981323f, 6.0f, -6.0f,
                                      43.5f, -43.5f, 1e4f, -1e4f, 1e30f, -1e30f };
#define N_SPECIALS (sizeof act_specials / sizeof *act_specials)

static const char *act_names[] = { "gelu", "gelu_tanh", "relu", "tanh" };

void ks_activations(ks_result *r, pthreadpool_t pool)
{
    for (int fn = CB_ACT_GELU; fn <= CB_ACT_TANH; fn++) {
        for (int wi = 0; wi < N_WIDTHS; wi++) {
            const int w = width_at(wi);
            const size_t n = (size_t)w, rows = rows_for(w);
            kr_seed(0xac000000u + (uint64_t)fn * 4096 + (uint64_t)w);
            float *x = xmalloc((rows * n + GUARD) * sizeof *x), *in = xmalloc(rows * n * sizeof *in);
            float *bias = xmalloc(n * sizeof *bias);
            for (size_t i = 0; i < rows * n; i++)
                in[i] = kr_next_u64() % 16 == 0 ? act_specials[kr_next_u64() % N_SPECIALS] : kr_uniform(8.0f);
            kr_fill(bias, n, 1.0f);
            for (int with_bias = 0; with_bias < 2; with_bias++) {
                memcpy(x, in, rows * n * sizeof *x);
                kr_set_canary(x + rows * n, GUARD);
                cb_activation_rows((cb_act_fn)fn, x, with_bias ? bias : NULL, rows, n, pool);
                r->cases++;
                check_guard(r, x + rows * n, act_names[fn], w, rows);
                for (size_t i = 0; i < rows * n; i++) {
                    /* The kernel's input: x + bias rounded to float32, which
                     * is the correctly rounded sum (double holds it exactly
                     * or rounds innocuously: 53 >= 2 * 24 + 2). */
                    const float xin = with_bias ? (float)((double)in[i] + (double)bias[i % n]) : in[i];
                    double tol;
                    const double ref = kr_act(fn, xin, &tol);
                    if (!check(r, x[i], ref, tol))
                        fail(r, "%s, width %d, %zu rows, bias %d, element %zu: f(%.9g) = %.9g, reference %.9g, "
                                "tolerance %.3g",
                             act_names[fn], w, rows, with_bias, i, (double)xin, (double)x[i], ref, tol);
                }
            }
            free(x), free(in), free(bias);
        }
    }
}

/* ---- bias rows ------------------------------------------------------------------- */

/* cb_add_bias_rows is one float32 addition per element: the correctly
 * rounded sum, bit for bit; with no bias nothing changes. */
void ks_bias(ks_result *r, pthreadpool_t pool)
{
    for (int wi = 0; wi < N_WIDTHS; wi++) {
        const int w = width_at(wi);
        const size_t n = (size_t)w, rows = rows_for(w);
        kr_seed(0xb1a50000u + (uint64_t)w);
        float *x = xmalloc((rows * n + GUARD) * sizeof *x), *in = xmalloc(rows * n * sizeof *in);
        float *bias = xmalloc(n * sizeof *bias);
        kr_fill(in, rows * n, 4.0f);
        kr_fill(bias, n, 1.0f);
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            memcpy(x, in, rows * n * sizeof *x);
            kr_set_canary(x + rows * n, GUARD);
            cb_add_bias_rows(x, with_bias ? bias : NULL, rows, n, pool);
            r->cases++;
            check_guard(r, x + rows * n, "bias", w, rows);
            for (size_t i = 0; i < rows * n; i++) {
                const float want = with_bias ? (float)((double)in[i] + (double)bias[i % n]) : in[i];
                r->values++;
                if (memcmp(&want, x + i, sizeof want))
                    fail(r, "bias, width %d, %zu rows, bias %d, element %zu: %.9g, want %.9g", w, rows, with_bias, i,
                         (double)x[i], (double)want);
            }
        }
        free(x), free(in), free(bias);
    }
}

/* ---- activation quantisation ----------------------------------------------------- */

/* Row kinds: each kernel branch and both ends of the float32 range. */
enum { Q_UNIFORM, Q_ZEROS, Q_POSITIVE, Q_NEGATIVE, Q_HUGE, Q_NEAR_MAX, Q_TINY, Q_OUTLIER, Q_CONSTANT, Q_SMALL,
       Q_KINDS };
static const char *q_kind_names[] = { "uniform", "zeros", "positive", "negative", "huge", "near FLT_MAX",
                                      "tiny", "outlier", "constant", "small" };

static void quant_inputs(int kind, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (kind) {
        case Q_UNIFORM: x[i] = kr_uniform(3.0f); break;
        case Q_ZEROS: x[i] = 0.0f; break;
        case Q_POSITIVE: x[i] = 0.25f + fabsf(kr_uniform(2.0f)); break;
        case Q_NEGATIVE: x[i] = -0.25f - fabsf(kr_uniform(2.0f)); break;
        case Q_HUGE: x[i] = kr_uniform(1e30f); break;
        case Q_NEAR_MAX: x[i] = kr_uniform(FLT_MAX); break;   /* hi - lo overflows */
        case Q_TINY: x[i] = kr_uniform(1e-38f); break;        /* 255 / range overflows: zeros */
        case Q_OUTLIER: x[i] = i == n / 2 ? 1e4f : kr_uniform(1e-2f); break;
        case Q_CONSTANT: x[i] = 5.0f; break;
        default: x[i] = kr_uniform(1e-30f); break;
        }
    }
}

void ks_quantize(ks_result *r, pthreadpool_t pool)
{
    for (int wi = 0; wi < N_WIDTHS; wi++) {
        const int w = width_at(wi);
        const size_t n = (size_t)w, rows = w <= 96 ? rows_for(w) : Q_KINDS;
        kr_seed(0x9a000000u + (uint64_t)w);
        float *x = xmalloc(rows * n * sizeof *x);
        for (size_t row = 0; row < rows; row++) quant_inputs((int)((row + (size_t)w) % Q_KINDS), x + row * n, n);
        cb_quantizer q;
        cb_quantizer_init(&q, w, NULL);
        /* One spare row, filled with a byte pattern that must survive. */
        if (cb_quantizer_reserve(&q, rows + 1, NULL) != CB_OK) {
            fprintf(stderr, "kernel sweep: out of memory for a quantizer\n");
            abort();
        }
        memset(q.data + rows * n, 0x5a, n);
        cb_quantize_rows(&q, x, rows, pool);
        r->cases++;
        for (size_t i = 0; i < n; i++)
            if (q.data[rows * n + i] != 0x5a) {
                fail(r, "quantize, width %d, %zu rows: a write past the last row at byte %zu", w, rows, i);
                break;
            }
        for (size_t row = 0; row < rows; row++) {
            const int kind = (int)((row + (size_t)w) % Q_KINDS);
            const float *xr = x + row * n;
            kr_quant_row ref;
            kr_quant_params(xr, n, &ref);
            const float scale = q.params[row].scale;
            const int zp = q.params[row].zero_point;
            r->values += 2;
            if (ref.all_zero ? (scale != 1.0f || zp != 0)
                             : (!(fabs((double)scale - ref.scale) <= ref.scale_tol) || zp < ref.zp_lo || zp > ref.zp_hi))
                fail(r, "quantize, width %d, row %zu (%s): scale %.9g, zero point %d; reference %.9g (within %.2g), "
                        "zero point in [%d, %d]%s",
                     w, row, q_kind_names[kind], (double)scale, zp, ref.scale, ref.scale_tol, ref.zp_lo, ref.zp_hi,
                     ref.all_zero ? " (a zero row)" : "");
            for (size_t i = 0; i < n; i++) {
                int lo, hi;
                kr_quant_level(&ref, zp, xr[i], &lo, &hi);
                const int level = cb_quantizer_level(&q, row * n + i);
                /* Dequantised, a level is within half a level of x (the
                 * rounding, or the rounded zero point at a clamped end),
                 * plus the kernel's float32 errors in levels: x * inv
                 * (3 u 255), the zero point (4 u 256) or the scale
                 * (3 u 255): 0.5 + 1.1e-4; 0.5 + 2e-4 allowed. A zero row
                 * holds only |x| < 1e-36. */
                const double deq = (double)scale * (level - zp);
                const double bound = ref.all_zero ? 1e-36 : (double)scale * (0.5 + 2e-4);
                r->values++;
                if (level < lo || level > hi || !(fabs(deq - (double)xr[i]) <= bound))
                    fail(r, "quantize, width %d, row %zu (%s), column %zu: x %.9g -> level %d (zero point %d, "
                            "scale %.9g), reference level in [%d, %d]",
                         w, row, q_kind_names[kind], i, (double)xr[i], level, zp, (double)scale, lo, hi);
            }
        }
        /* XNNPACK reads up to XNN_EXTRA_QUANTIZATION_PARAMS entries past the
         * last row: they repeat it. */
        for (size_t i = 0; i < XNN_EXTRA_QUANTIZATION_PARAMS; i++) {
            r->values++;
            if (q.params[rows + i].scale != q.params[rows - 1].scale ||
                q.params[rows + i].zero_point != q.params[rows - 1].zero_point)
                fail(r, "quantize, width %d: the extra quantisation params %zu differ from the last row's", w, i);
        }
        cb_quantizer_destroy(&q);
        free(x);
    }
}

/* ---- fused quantisation ------------------------------------------------------------ */

/* The int8 encoder quantises LayerNorm's and the activations' output rows in
 * the same pass that writes them (cb_layernorm_quantize_rows,
 * cb_activation_quantize_rows). They must give exactly what the two passes
 * give: the same float rows, the same int8 levels and the same parameters,
 * bit for bit, including the entries XNNPACK reads past the last row. */
static void compare_fused(ks_result *r, const char *what, int w, size_t rows, const float *x_two, const float *x_one,
                          const cb_quantizer *q_two, const cb_quantizer *q_one)
{
    const size_t n = (size_t)w;
    r->cases++;
    r->values += (long)(rows * n * 2 + rows + XNN_EXTRA_QUANTIZATION_PARAMS);
    check_guard(r, x_one + rows * n, what, w, rows);
    for (size_t i = 0; i < rows * n; i++)
        if (memcmp(x_two + i, x_one + i, sizeof *x_one)) {
            fail(r, "%s, width %d, %zu rows, element %zu: fused %.9g, two passes %.9g", what, w, rows, i,
                 (double)x_one[i], (double)x_two[i]);
            return;
        }
    for (size_t i = 0; i < rows * n; i++)
        if (q_two->data[i] != q_one->data[i]) {
            fail(r, "%s, width %d, %zu rows, element %zu: fused level %d, two passes %d", what, w, rows, i,
                 q_one->data[i], q_two->data[i]);
            return;
        }
    for (size_t i = 0; i < n; i++)
        if (q_one->data[rows * n + i] != 0x5a) {
            fail(r, "%s, width %d, %zu rows: a write past the last quantised row at byte %zu", what, w, rows, i);
            return;
        }
    for (size_t i = 0; i < rows + XNN_EXTRA_QUANTIZATION_PARAMS; i++)
        if (memcmp(&q_two->params[i], &q_one->params[i], sizeof q_one->params[i])) {
            fail(r, "%s, width %d, %zu rows, params %zu: fused scale %.9g zero point %d, two passes %.9g, %d", what, w,
                 rows, i, (double)q_one->params[i].scale, q_one->params[i].zero_point, (double)q_two->params[i].scale,
                 q_two->params[i].zero_point);
            return;
        }
}

static void reserve_or_die(cb_quantizer *q, int w, size_t rows)
{
    cb_quantizer_init(q, w, NULL);
    if (cb_quantizer_reserve(q, rows + 1, NULL) != CB_OK) {
        fprintf(stderr, "kernel sweep: out of memory for a quantizer\n");
        abort();
    }
    memset(q->data + rows * (size_t)w, 0x5a, (size_t)w);
}

void ks_fused_quantize(ks_result *r, pthreadpool_t pool)
{
    for (int wi = 0; wi < N_WIDTHS; wi++) {
        const int w = width_at(wi);
        const size_t n = (size_t)w, rows = rows_for(w);
        kr_seed(0xf05e0000u + (uint64_t)w);
        float *in = xmalloc(rows * n * sizeof *in), *two = xmalloc(rows * n * sizeof *two);
        float *one = xmalloc((rows * n + GUARD) * sizeof *one), *res = xmalloc(rows * n * sizeof *res);
        float *bias = xmalloc(n * sizeof *bias), *gamma = xmalloc(n * sizeof *gamma), *beta = xmalloc(n * sizeof *beta);
        kr_fill(bias, n, 0.5f);
        kr_fill(gamma, n, 2.0f);
        kr_fill(beta, n, 1.0f);
        kr_fill(res, rows * n, 1.0f);
        cb_quantizer q_two, q_one;
        reserve_or_die(&q_two, w, rows);
        reserve_or_die(&q_one, w, rows);
        for (int variant = 0; variant < 4; variant++) {   /* bits: 1 bias, 2 residual */
            const float *b = variant & 1 ? bias : NULL, *rs = variant & 2 ? res : NULL;
            for (size_t row = 0; row < rows; row++) layernorm_inputs((int)((row + (size_t)variant) % 4), in + row * n, n);
            memcpy(two, in, rows * n * sizeof *two);
            memcpy(one, in, rows * n * sizeof *one);
            kr_set_canary(one + rows * n, GUARD);
            cb_layernorm_rows(two, b, rs, gamma, beta, rows, w, 1e-12f, pool);
            cb_quantize_rows(&q_two, two, rows, pool);
            cb_layernorm_quantize_rows(one, b, rs, gamma, beta, rows, w, 1e-12f, &q_one, pool);
            compare_fused(r, "layernorm + quantize", w, rows, two, one, &q_two, &q_one);
        }
        for (int fn = CB_ACT_GELU; fn <= CB_ACT_TANH; fn++) {
            for (size_t i = 0; i < rows * n; i++)
                in[i] = kr_next_u64() % 16 == 0 ? act_specials[kr_next_u64() % N_SPECIALS] : kr_uniform(8.0f);
            for (int with_bias = 0; with_bias < 2; with_bias++) {
                memcpy(two, in, rows * n * sizeof *two);
                memcpy(one, in, rows * n * sizeof *one);
                kr_set_canary(one + rows * n, GUARD);
                cb_activation_rows((cb_act_fn)fn, two, with_bias ? bias : NULL, rows, n, pool);
                cb_quantize_rows(&q_two, two, rows, pool);
                cb_activation_quantize_rows((cb_act_fn)fn, one, with_bias ? bias : NULL, rows, n, &q_one, pool);
                compare_fused(r, act_names[fn], w, rows, two, one, &q_two, &q_one);
            }
        }
        cb_quantizer_destroy(&q_two);
        cb_quantizer_destroy(&q_one);
        free(in), free(two), free(one), free(res), free(bias), free(gamma), free(beta);
    }
}

/* ---- the int8 linear layer and its bias ------------------------------------------- */

static void xnn_ready(void)
{
    if (xnn_initialize(NULL) != xnn_status_success) {
        fprintf(stderr, "kernel sweep: xnn_initialize failed\n");
        abort();
    }
}

/* y = x W^T + b with W int8 [out, in] and a scale per output channel, as
 * cb_linear_run + cb_add_bias_rows compute it. Two references:
 *   - from the kernel's own levels q and row parameters (s_x, z): the
 *     integer sum acc = sum (q_i - z) w_i is exact in int32 (|acc| <=
 *     1000 * 255 * 127 < 2^31); XNNPACK converts it to float (one rounding
 *     above 2^24), multiplies by s_x and by the channel's scale s_w (two
 *     roundings; the FMA it uses with a zero bias rounds the product once),
 *     and the library adds b (one more):
 *     tol = 5 u (|acc s_x s_w| + |b|);
 *   - from x itself: each level is within s_x (0.5 + 2e-4) of its x (the
 *     quantisation sweep's bound), so y is within
 *     s_x (0.5 + 2e-4) s_w sum |w_i| of x W^T s_w + b, plus the above. */
void ks_int8_linear(ks_result *r, pthreadpool_t pool)
{
    xnn_ready();
    for (int wi = 0; wi < N_WIDTHS; wi++) {
        const int in = width_at(wi), out = 1 + (in * 7) % 37;
        const size_t rows = rows_for(in);
        kr_seed(0x18000000u + (uint64_t)in);
        int8_t *w = xmalloc((size_t)out * (size_t)in);
        float *scale = xmalloc((size_t)out * sizeof *scale), *bias = xmalloc((size_t)out * sizeof *bias);
        float *x = xmalloc((rows * (size_t)in + XNN_EXTRA_BYTES) * sizeof *x);
        float *y = xmalloc((rows * (size_t)out + GUARD) * sizeof *y);
        for (size_t i = 0; i < (size_t)out * (size_t)in; i++) w[i] = (int8_t)((int)(kr_next_u64() % 255) - 127);
        for (int o = 0; o < out; o++) scale[o] = 1e-3f + fabsf(kr_uniform(2e-2f));
        kr_fill(bias, (size_t)out, 1.0f);
        kr_fill(x, rows * (size_t)in, 2.0f);
        const cb_linear_weights lw = { .in = in, .out = out, .int8 = 1, .w = w, .scale = scale, .b = bias };
        cb_linear_op op;
        cb_quantizer q;
        cb_quantizer_init(&q, in, NULL);
        cb_error err;
        if (cb_linear_create(&op, &lw, 0, NULL, &err) != CB_OK) {
            fail(r, "int8 linear %d -> %d: %s", in, out, err.message);
            cb_quantizer_destroy(&q);
            free(w), free(scale), free(bias), free(x), free(y);
            continue;
        }
        kr_set_canary(y + rows * (size_t)out, GUARD);
        if (cb_linear_run(&op, &q, x, y, rows, pool, &err) != CB_OK) {
            fail(r, "int8 linear %d -> %d, %zu rows: %s", in, out, rows, err.message);
        } else {
            cb_add_bias_rows(y, cb_linear_unapplied_bias(&op), rows, (size_t)out, pool);
            r->cases++;
            check_guard(r, y + rows * (size_t)out, "int8 linear", in, rows);
            for (size_t row = 0; row < rows; row++) {
                const double sx = q.params[row].scale;
                const int zp = q.params[row].zero_point;
                for (int o = 0; o < out; o++) {
                    const int8_t *wr = w + (size_t)o * (size_t)in;
                    const float *xr = x + row * (size_t)in;
                    int64_t acc = 0;
                    double exact = 0, wsum = 0;
                    for (int i = 0; i < in; i++) {
                        acc += ((int64_t)cb_quantizer_level(&q, row * (size_t)in + (size_t)i) - zp) * wr[i];
                        exact += (double)xr[i] * wr[i];
                        wsum += abs(wr[i]);
                    }
                    const double prod = (double)acc * sx * scale[o], ref = prod + bias[o];
                    const double tol = 5.0 * KR_U * (fabs(prod) + fabs((double)bias[o]));
                    const double got = y[row * (size_t)out + (size_t)o];
                    if (!check(r, got, ref, tol))
                        fail(r, "int8 linear %d -> %d, row %zu of %zu, output %d: %.9g, from the levels %.9g "
                                "(tolerance %.3g)", in, out, row, rows, o, got, ref, tol);
                    const double ref_x = exact * scale[o] + bias[o];
                    const double tol_x = sx * (0.5 + 2e-4) * scale[o] * wsum + tol;
                    r->values++;
                    if (!(fabs(got - ref_x) <= tol_x))
                        fail(r, "int8 linear %d -> %d, row %zu, output %d: %.9g, from x %.9g (quantisation bound %.3g)",
                             in, out, row, o, got, ref_x, tol_x);
                }
            }
        }
        cb_linear_destroy(&op);
        cb_quantizer_destroy(&q);
        free(w), free(scale), free(bias), free(x), free(y);
    }
}

/* ---- the classification head -------------------------------------------------------- */

/* cb_head_rows: dense (float32 or int8 with a scale per row) + b, the head
 * activation, then out + b, every sum sequential in float32. First-order
 * error bounds, propagated (u = 2^-24):
 *   dense: H products and H - 1 additions, then the int8 scale and the bias:
 *     e_h = (H + 2) u (s sum |w_i x_i| + |b|);
 *   activation: the input's error through a slope of at most 1.13 (GELU's
 *     steepest; tanh and ReLU 1), plus the kernel's own (kr_act):
 *     e_a = 1.13 e_h + tol_act(h);
 *   out: e = (H + 2) u (sum |w_i a_i| + |b|) + sum |w_i| e_a_i. */
void ks_head(ks_result *r, pthreadpool_t pool)
{
    (void)pool;
    static const int acts[] = { CB_ACT_TANH, CB_ACT_GELU, CB_ACT_GELU_TANH, CB_ACT_RELU };
    for (int wi = 0; wi < N_WIDTHS; wi++) {
        const int H = width_at(wi), L = 1 + wi % 5, act = acts[wi % 4], int8 = wi % 2;
        const size_t rows = H <= 96 ? rows_for(H) : 3;
        kr_seed(0x4ead0000u + (uint64_t)H);
        int8_t *w8 = xmalloc((size_t)H * (size_t)H);
        float *wf = xmalloc((size_t)H * (size_t)H * sizeof *wf), *dscale = xmalloc((size_t)H * sizeof *dscale);
        float *db = xmalloc((size_t)H * sizeof *db), *ow = xmalloc((size_t)L * (size_t)H * sizeof *ow);
        float *ob = xmalloc((size_t)L * sizeof *ob), *x = xmalloc(rows * (size_t)H * sizeof *x);
        float *h = xmalloc(rows * (size_t)H * sizeof *h), *logits = xmalloc((rows * (size_t)L + GUARD) * sizeof *logits);
        double *a = xmalloc((size_t)H * sizeof *a), *ea = xmalloc((size_t)H * sizeof *ea);
        for (size_t i = 0; i < (size_t)H * (size_t)H; i++) w8[i] = (int8_t)((int)(kr_next_u64() % 255) - 127);
        /* float weights of about 1 / sqrt(H), so the dense outputs are O(1)
         * and the activations work on their interesting range */
        const float amp = 2.0f / sqrtf((float)H);
        kr_fill(wf, (size_t)H * (size_t)H, amp);
        for (int o = 0; o < H; o++) dscale[o] = amp / 127.0f * (0.5f + fabsf(kr_uniform(1.0f)));
        kr_fill(db, (size_t)H, 0.5f);
        kr_fill(ow, (size_t)L * (size_t)H, amp);
        kr_fill(ob, (size_t)L, 0.5f);
        kr_fill(x, rows * (size_t)H, 1.5f);
        const cb_linear_weights dense = { .in = H, .out = H, .int8 = int8, .w = int8 ? (const void *)w8 : wf,
                                          .scale = int8 ? dscale : NULL, .b = db };
        const cb_linear_weights outw = { .in = H, .out = L, .w = ow, .b = ob };
        kr_set_canary(logits + rows * (size_t)L, GUARD);
        cb_head_rows(&dense, (cb_act_fn)act, &outw, x, rows, h, logits);
        r->cases++;
        check_guard(r, logits + rows * (size_t)L, "head", H, rows);
        for (size_t p = 0; p < rows; p++) {
            const float *xp = x + p * (size_t)H;
            for (int o = 0; o < H; o++) {
                double acc = 0, mag = 0;
                for (int i = 0; i < H; i++) {
                    const double wv = int8 ? (double)w8[(size_t)o * H + i] * dscale[o] : wf[(size_t)o * H + i];
                    acc += wv * xp[i];
                    mag += fabs(wv * xp[i]);
                }
                const double hv = acc + db[o], e_h = (H + 2.0) * KR_U * (mag + fabs((double)db[o]));
                double tol_act;
                a[o] = kr_act(act, hv, &tol_act);
                ea[o] = 1.13 * e_h + tol_act;
            }
            for (int o = 0; o < L; o++) {
                double acc = 0, mag = 0, prop = 0;
                for (int i = 0; i < H; i++) {
                    const double wv = ow[(size_t)o * H + i];
                    acc += wv * a[i];
                    mag += fabs(wv * a[i]);
                    prop += fabs(wv) * ea[i];
                }
                const double ref = acc + ob[o], tol = (H + 2.0) * KR_U * (mag + fabs((double)ob[o])) + prop;
                const double got = logits[p * (size_t)L + (size_t)o];
                if (!check(r, got, ref, tol))
                    fail(r, "head, H %d, %s dense, %s, row %zu of %zu, label %d: %.9g, reference %.9g (tolerance %.3g)",
                         H, int8 ? "int8" : "float32", act_names[act], p, rows, o, got, ref, tol);
            }
        }
        free(w8), free(wf), free(dscale), free(db), free(ow), free(ob), free(x), free(h), free(logits), free(a),
            free(ea);
    }
}

/* ---- score activations -------------------------------------------------------------- */

static const char *score_names[] = { "none", "sigmoid", "softmax", "tanh" };

/* 1..64 labels (CB_MAX_LABELS) for each activation, logits up to +-20 with
 * extremes now and then: +-100 (sigmoid's e^-v overflows below -88) and
 * +-1e4 (softmax's other labels underflow to 0). */
void ks_scores(ks_result *r, pthreadpool_t pool)
{
    (void)pool;
    static const float extremes[] = { 100.0f, -100.0f, 1e4f, -1e4f, 0.0f, -0.0f };
    float v[CB_MAX_LABELS + GUARD], in[CB_MAX_LABELS];
    double ref[CB_MAX_LABELS], tol[CB_MAX_LABELS];
    for (int fn = CB_SCORE_IDENTITY; fn <= CB_SCORE_TANH; fn++) {
        for (int n = 1; n <= CB_MAX_LABELS; n++) {
            for (int rep = 0; rep < 4; rep++) {
                kr_seed(0x5c0e0000u + (uint64_t)fn * 1024 + (uint64_t)n * 8 + (uint64_t)rep);
                for (int i = 0; i < n; i++)
                    in[i] = rep == 3 && kr_next_u64() % 4 == 0 ? extremes[kr_next_u64() % 6] : kr_uniform(20.0f);
                memcpy(v, in, (size_t)n * sizeof *v);
                kr_set_canary(v + n, GUARD);
                cb_score_activate((cb_score_fn)fn, v, n);
                r->cases++;
                check_guard(r, v + n, score_names[fn], n, 1);
                kr_score(fn, in, (size_t)n, ref, tol);
                for (int i = 0; i < n; i++)
                    if (!check(r, v[i], ref[i], tol[i]))
                        fail(r, "score %s, %d labels, label %d: f(%.9g) = %.9g, reference %.9g (tolerance %.3g)",
                             score_names[fn], n, i, (double)in[i], (double)v[i], ref[i], tol[i]);
            }
        }
    }
}

/* ---- all of them ------------------------------------------------------------------- */

const ks_sweep ks_sweeps[] = { { "layernorm", ks_layernorm }, { "activations", ks_activations },
                               { "bias", ks_bias },           { "quantize", ks_quantize },
                               { "fused quantize", ks_fused_quantize },
                               { "int8 linear", ks_int8_linear }, { "head", ks_head },
                               { "scores", ks_scores } };
const int ks_n_sweeps = (int)(sizeof ks_sweeps / sizeof *ks_sweeps);

long ks_run_all(long *cases, long *values)
{
    long failures = 0;
    *cases = *values = 0;
    for (int i = 0; i < ks_n_sweeps; i++) {
        ks_result r = { 0 };
        ks_sweeps[i].run(&r, NULL);
        printf("kernels: %-14s %6ld cases, %9ld values, worst %.3g of the tolerance, %ld failures%s%s\n",
               ks_sweeps[i].name, r.cases, r.values, r.worst, r.failures, r.failures ? ": " : "", r.first);
        *cases += r.cases;
        *values += r.values;
        failures += r.failures;
    }
    return failures;
}
