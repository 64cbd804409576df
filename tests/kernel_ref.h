/* kernel_ref.h: plain double-precision references of the library's kernels,
 * and the fixed-seed inputs and canaries their tests share.
 *
 * No Criterion and no library calls here: the same file builds into the
 * native Criterion suites (test_kernels, test_attention) and into the plain
 * sweep program the WebAssembly build runs under Node
 * (tests/kernels/sweep_main.c), so one reference serves every build.
 *
 * Each reference returns, beside its value, the error bound the float32
 * kernel is allowed, as a multiple of u = 2^-24 (float32's unit roundoff)
 * times the magnitude of the computation; each comment derives its bound. */
#ifndef CB_KERNEL_REF_H
#define CB_KERNEL_REF_H

#include <stddef.h>
#include <stdint.h>

/* float32's unit roundoff: half an ulp of 1. */
#define KR_U (1.0 / 16777216.0)

/* ---- inputs: a fixed-seed generator (splitmix64) -------------------------- */

void kr_seed(uint64_t seed);
uint64_t kr_next_u64(void);
/* Uniform in [-amp, amp]. */
float kr_uniform(float amp);
void kr_fill(float *x, size_t n, float amp);

/* ---- canaries: a quiet NaN no kernel computes ----------------------------- */

#define KR_CANARY 0x7fc0beefu
void kr_set_canary(float *x, size_t n);
int kr_is_canary(const float *x);
/* Index of the first float of x[0..n) that lost its canary, or n. */
size_t kr_first_changed(const float *x, size_t n);

/* ---- element-wise activations (ops.c: cb_activation_rows) ----------------- */

/* The activations of model_config.h's cb_act_fn, by the same numbers. */
enum { KR_ACT_GELU = 0, KR_ACT_GELU_TANH = 1, KR_ACT_RELU = 2, KR_ACT_TANH = 3 };

/* act(x) in double for a float input x (the kernel's input, after any bias
 * was added in float32); *tol: the absolute error the kernel may make. */
double kr_act(int fn, double x, double *tol);

/* ---- LayerNorm (ops.c: cb_layernorm_rows) ---------------------------------- */

/* out[i] = LayerNorm(x + bias + residual)[i] * gamma[i] + beta[i] in double
 * (bias, residual may be NULL); tol[i]: the kernel's allowed error. */
void kr_layernorm_row(const float *x, const float *bias, const float *residual, const float *gamma,
                      const float *beta, size_t n, double eps, double *out, double *tol);

/* ---- activation quantisation (act_quant.c) ---------------------------------- */

/* What a row's int8 quantisation must be, from the exact scheme in double:
 * the zero point and each level lie in [lo, hi] (equal unless the exact
 * value is within the kernel's rounding error of a tie, where either
 * neighbour is right), scale within its bound. */
typedef struct kr_quant_row {
    double scale, scale_tol;
    int zp_lo, zp_hi;
    int all_zero;          /* the range is 0 (or too small to invert in float): every level 0, scale 1 */
} kr_quant_row;
void kr_quant_params(const float *x, size_t n, kr_quant_row *r);
/* Allowed levels of x (row params r, zero point zp the kernel chose). */
void kr_quant_level(const kr_quant_row *r, int zp, float x, int *lo, int *hi);

/* ---- score activations (crossbyte.c: cb_score_activate) -------------------- */

enum { KR_SCORE_IDENTITY = 0, KR_SCORE_SIGMOID = 1, KR_SCORE_SOFTMAX = 2, KR_SCORE_TANH = 3 };
void kr_score(int fn, const float *v, size_t n, double *out, double *tol);

/* ---- attention (attention.c) ------------------------------------------------ */

/* softmax(scale (Q K^T + Q relk^T) + K relq^T) V of one (pair, head) in
 * double, biases added to Q, K and V. q, k, v point at the head's first
 * column of the pair's first row, rows `stride` floats apart; bq, bk, bv the
 * head's biases or NULL; relk, relq at the head's column of the tables'
 * first row (rows `rel_stride` apart, 2 max_rel of them) or NULL.
 * out: [n, d]. */
void kr_attention_head(const float *q, const float *k, const float *v, size_t stride, const float *bq,
                       const float *bk, const float *bv, const float *relk, const float *relq, size_t rel_stride,
                       int max_rel, double scale, size_t n, size_t d, double *out);

#endif
