/* test_attention.c: cb_attention, called directly, against a plain
 * double-precision reference, on every head size 1..96: the cases, the
 * reference and the tolerance are in tests/attention_sweep.c (shared with
 * the WebAssembly build's sweep, tests/kernels/sweep_main.c).
 *
 * The same file is built twice (CMakeLists.txt): test_attention against the
 * library, with the tile shape of the build, and test_attention_wasm_tile
 * with runtime/src/nn/attention.c compiled in at the WebAssembly shape. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthreadpool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attention_kernels.h"
#include "attention_sweep.h"
#include "kernel_ref.h"

#ifndef CB_TEST_TIMEOUT_SCALE
#define CB_TEST_TIMEOUT_SCALE 1
#endif
#define TIMEOUT (120 * CB_TEST_TIMEOUT_SCALE)

static void sweep(int lo, int hi)
{
    char failing[512];
    long cases = 0, values = 0;
    double worst = 0;
    const int n_failing = as_sweep(lo, hi, failing, sizeof failing, &cases, &values, &worst);
    printf("attention: head sizes %d..%d, %ld calls, %ld values, worst |got - ref| / (1 + |ref|) = %.3g\n", lo, hi,
           cases, values, worst);
    cr_assert(n_failing == 0, "%d of head sizes %d..%d fail:%s (each one's first fault is on stderr)", n_failing, lo,
              hi, failing);
}

Test(attention, head_sizes_1_to_24, .timeout = TIMEOUT) { sweep(1, 24); }
Test(attention, head_sizes_25_to_48, .timeout = TIMEOUT) { sweep(25, 48); }
Test(attention, head_sizes_49_to_72, .timeout = TIMEOUT) { sweep(49, 72); }
Test(attention, head_sizes_73_to_96, .timeout = TIMEOUT) { sweep(73, 96); }

/* Two threads compute the same bits as one: no sum depends on the thread
 * layout. */
Test(attention, threads_agree_bitwise, .timeout = TIMEOUT)
{
    const int dims[] = { 20, 36, 64, 83 };
    for (size_t i = 0; i < sizeof dims / sizeof *dims; i++) {
        kr_seed(0x7777u + (uint64_t)i);
        attn_case k = { .head_dim = dims[i], .heads = 4, .with_bias = 1, .rel = AS_REL_BOTH, .max_rel = 12 };
        k.n_pairs = AS_N_REQUIRED;
        memcpy(k.lengths, as_required_lengths, sizeof as_required_lengths);
        attn_call c;
        as_call_init(&c, &k, 2);
        const size_t n = c.rows * (size_t)c.args.hidden;
        float *one = malloc(n * sizeof(float));
        cr_assert(one);
        as_clear_fault();
        as_call_run(&c, NULL, 1);
        as_check_output(&c, NULL);
        memcpy(one, c.ctx, n * sizeof(float));
        pthreadpool_t pool = pthreadpool_create(2);
        cr_assert(pool);
        as_call_run(&c, pool, 2);
        pthreadpool_destroy(pool);
        as_check_output(&c, NULL);
        cr_assert(!as_faulted, "head_dim %d: %s", dims[i], as_fault_text);
        cr_assert(memcmp(one, c.ctx, n * sizeof(float)) == 0, "head_dim %d: 2 threads differ from 1", dims[i]);
        free(one);
        as_call_free(&c);
    }
}

/* first_row_only (a cross-encoder's last layer): pair p's first query row,
 * written to row p, has the bits the full pass gives row offsets[p]; no other
 * float of the output changes. Every head size, with and without biases and
 * DeBERTa's terms. */
Test(attention, first_row_only_keeps_the_bits, .timeout = TIMEOUT)
{
    for (int d = 1; d <= 96; d++) {
        kr_seed(0x1f1f0000u + (uint64_t)d);
        attn_case k = { .head_dim = d, .heads = 2 + d % 3, .with_bias = d % 2, .rel = d % 4, .max_rel = 1 + d % 17 };
        k.n_pairs = AS_N_REQUIRED;
        memcpy(k.lengths, as_required_lengths, sizeof as_required_lengths);
        attn_call c;
        as_call_init(&c, &k, 1);
        const size_t H = (size_t)c.args.hidden;
        float *full = malloc(c.rows * H * sizeof(float));
        cr_assert(full);
        as_clear_fault();
        as_call_run(&c, NULL, 1);
        as_check_output(&c, NULL);
        cr_assert(!as_faulted, "head_dim %d: %s", d, as_fault_text);
        memcpy(full, c.ctx, c.rows * H * sizeof(float));
        c.args.first_row_only = 1;
        as_call_run(&c, NULL, 1);
        for (size_t p = 0; p < k.n_pairs; p++)
            cr_assert(memcmp(c.ctx + p * H, full + c.offsets[p] * H, H * sizeof(float)) == 0,
                      "head_dim %d, pair %zu: the first row differs from the full pass", d, p);
        cr_assert_eq(kr_first_changed(c.ctx + k.n_pairs * H, (c.rows - k.n_pairs) * H + AS_GUARD),
                     (c.rows - k.n_pairs) * H + AS_GUARD, "head_dim %d: a write past row %zu", d, k.n_pairs);
        cr_assert(!as_faulted, "head_dim %d: %s", d, as_fault_text);
        free(full);
        as_call_free(&c);
    }
}

/* The softmax step alone (attention_kernels.h's cb_attn_softmax_row), for
 * every length 1..70, against the double softmax. Tolerance, relative to
 * each probability (u = 2^-24): x_j - max rounds by u |x_j - max|, which
 * e^ turns into a relative error of that size; e^x is within 2 ulp (4 u);
 * the sum runs in 8 lanes of n_pad / 8 terms and a 3-level tree
 * (n_pad / 8 + 3 roundings of partial sums); 1 / sum rounds once:
 * tol = p u (|x_j - max| + 4 + n_pad / 8 + 4). And absolutely: e^x is
 * clamped at x = -87 (simd.h), so a weight below e^-87 = 1.6e-38 comes out
 * as e^-87 (the first run of this test met it): + 2 e^-87.
 * Padding columns must be exactly 0, and the float after the row untouched. */
Test(attention, softmax_row_helper, .timeout = TIMEOUT)
{
    float row[80 + 1];
    double want[80];
    for (size_t n = 1; n <= AS_MAX_LEN; n++) {
        const size_t n_pad = cb_attn_round16(n);
        for (int rep = 0; rep < 4; rep++) {
            kr_seed(0x50f7u + n * 8 + (size_t)rep);
            kr_fill(row, n, rep == 3 ? 60.0f : 10.0f);   /* 60: most weights underflow */
            kr_set_canary(row + n, n_pad + 1 - n);
            double mx = -INFINITY, sum = 0;
            for (size_t j = 0; j < n; j++) mx = row[j] > mx ? row[j] : mx;
            for (size_t j = 0; j < n; j++) sum += (want[j] = exp((double)row[j] - mx));
            double dist[80];
            for (size_t j = 0; j < n; j++) dist[j] = fabs((double)row[j] - mx), want[j] /= sum;
            const float inv = cb_attn_softmax_row(row, n, n_pad);
            for (size_t j = 0; j < n; j++) {
                const double got = (double)row[j] * inv;
                const double tol = want[j] * KR_U * (dist[j] + 8.0 + (double)(n_pad / 8)) + 2.0 * exp(-87.0);
                cr_assert(fabs(got - want[j]) <= tol, "n %zu, column %zu: %.9g, reference %.9g (tolerance %.3g)", n, j,
                          got, want[j], tol);
            }
            for (size_t j = n; j < n_pad; j++) cr_assert(row[j] == 0.0f, "n %zu: padding column %zu is %g", n, j, row[j]);
            cr_assert(kr_is_canary(row + n_pad), "n %zu: a write past the padded row", n);
        }
    }
}

#if CB_ATTENTION_AVX512
/* The AVX-512 task's 16-float tiles and softmax (attention_kernels.h) against
 * the eight-float ones, bit for bit, on every key count 1..AS_MAX_LEN and
 * head sizes around the tile width; random scores span a wide range so that
 * the softmax's clamp at e^-87 is met too. */
typedef struct wide_case {
    cb_attn_head h;
    size_t rows;
    float inv[ROWS];
    float *out;
} wide_case;

static void narrow_steps(wide_case *w)
{
    cb_attn_head *h = &w->h;
    for (size_t j0 = 0; j0 < h->n_pad; j0 += COLS) cb_attn_score_tile(h, j0);
    for (size_t r = 0; r < w->rows; r++) w->inv[r] = cb_attn_softmax_row(h->p + r * h->n_pad, h->n, h->n_pad);
    for (size_t c0 = 0; c0 < h->d; c0 += COLS) cb_attn_context_tile(h, c0, w->rows, w->inv, w->out, h->d);
}

__attribute__((target("arch=x86-64-v4"))) static void wide_steps(wide_case *w)
{
    cb_attn_head *h = &w->h;
    for (size_t j0 = 0; j0 < h->n_pad; j0 += COLS) cb_attn_score_tile16(h, j0);
    for (size_t r = 0; r < w->rows; r++) w->inv[r] = cb_attn_softmax_row16(h->p + r * h->n_pad, h->n, h->n_pad);
    for (size_t c0 = 0; c0 < h->d; c0 += COLS) cb_attn_context_tile16(h, c0, w->rows, w->inv, w->out, h->d);
}

static void wide_fill(wide_case *w, float *scratch, size_t n, size_t d, uint64_t seed)
{
    memset(&w->h, 0, sizeof w->h);
    w->h.n = n, w->h.d = d, w->h.n_pad = cb_attn_round16(n), w->h.d_pad = cb_attn_round16(d);
    cb_attn_layout(&w->h, scratch);
    kr_seed(seed);
    memset(w->h.kt, 0, d * w->h.n_pad * sizeof(float));
    memset(w->h.vp, 0, n * w->h.d_pad * sizeof(float));
    for (size_t c = 0; c < d; c++) kr_fill(w->h.kt + c * w->h.n_pad, n, 3.0f);
    for (size_t j = 0; j < n; j++) kr_fill(w->h.vp + j * w->h.d_pad, d, 1.0f);
    memset(w->h.qb, 0, ROWS * w->h.d_pad * sizeof(float));
    for (size_t r = 0; r < ROWS; r++) kr_fill(w->h.qb + r * w->h.d_pad, d, (float)(1 + seed % 4) * 2.0f);
}

Test(attention, avx512_tiles_give_the_eight_float_bits, .timeout = TIMEOUT)
{
    if (!(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
          __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")))
        cr_skip_test("this CPU has no AVX-512: the library runs the eight-float tiles only");
    const size_t dims[] = { 1, 7, 16, 17, 24, 32, 33, 64, 83, 96 };
    const size_t max_d = 96;
    float *s1 = malloc(cb_attention_scratch_floats(AS_MAX_LEN, max_d) * sizeof(float));
    float *s2 = malloc(cb_attention_scratch_floats(AS_MAX_LEN, max_d) * sizeof(float));
    float *o1 = malloc(ROWS * max_d * sizeof(float)), *o2 = malloc(ROWS * max_d * sizeof(float));
    cr_assert(s1 && s2 && o1 && o2);
    long compared = 0;
    for (size_t n = 1; n <= AS_MAX_LEN; n++)
        for (size_t i = 0; i < sizeof dims / sizeof *dims; i++) {
            const size_t d = dims[i];
            wide_case a, b;
            wide_fill(&a, s1, n, d, 0x1600u + n * 131 + d);
            wide_fill(&b, s2, n, d, 0x1600u + n * 131 + d);
            a.rows = b.rows = 1 + (n + d) % ROWS;
            a.out = o1, b.out = o2;
            memset(o1, 0, ROWS * max_d * sizeof(float));
            memset(o2, 0, ROWS * max_d * sizeof(float));
            narrow_steps(&a);
            wide_steps(&b);
            cr_assert(memcmp(a.h.p, b.h.p, ROWS * a.h.n_pad * sizeof(float)) == 0,
                      "n %zu, d %zu: probabilities differ", n, d);
            cr_assert(memcmp(a.inv, b.inv, a.rows * sizeof(float)) == 0, "n %zu, d %zu: 1 / sum differs", n, d);
            cr_assert(memcmp(o1, o2, ROWS * max_d * sizeof(float)) == 0, "n %zu, d %zu: context differs", n, d);
            compared += (long)(ROWS * a.h.n_pad + a.rows * d);
        }
    printf("attention: AVX-512 tiles against eight-float tiles, %ld values, all identical\n", compared);
    free(s1), free(s2), free(o1), free(o2);
}
#endif
