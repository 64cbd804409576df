/* attention_sweep.h: cb_attention against kr_attention_head (kernel_ref.h)
 * on every head size 1..96, plain C so that test_attention.c (natively, at
 * both tile shapes) and tests/kernels/sweep_main.c (in the WebAssembly build)
 * run the same cases.
 *
 * Each call packs several pairs (offsets with a gap row here and there, as
 * the kernel allows), 2..4 heads, Q, K and V side by side in one [rows, 3H]
 * buffer as the fused QKV projection leaves them. Every element a pair owns
 * must match the reference; every other float of the output (gap rows,
 * guards before and after) and the guard after each thread's scratch must
 * keep its canary bits. A tile that writes past its head (issue 15: the
 * WebAssembly shape's context tile with head_dim % 16 in 1..7) changes a
 * canary or a neighbour's value.
 *
 * Tolerance: |got - ref| <= 1e-5 * (1 + |ref|). The inputs lie in [-1, 1]
 * (biases in [-0.5, 0.5]), so the scaled scores are O(1) and the context is
 * an average of values below 1.5. float32 rounds each of the <= 96 products
 * and sums of a score and the <= 70 terms of a context element by u = 6e-8
 * relative; the errors are independent, so they grow like sqrt(terms) * u
 * (~1e-6), and the kernel's e^x is within 2 ulp. Each sweep prints the worst
 * difference it saw: 2.3e-7 on x86-64, 40 times below the tolerance; a real
 * fault (a lost key, a missing bias, a wrong scale, a zeroed column) moves
 * values by 1e-2 or more. */
#ifndef CB_ATTENTION_SWEEP_H
#define CB_ATTENTION_SWEEP_H

#include <pthreadpool.h>
#include <stddef.h>

#include "attention.h"

#define AS_MAX_HEAD 96
#define AS_MAX_LEN 70
#define AS_TOL 1e-5
#define AS_GUARD 64              /* canary floats before and after buffers */

/* Lengths every head size runs with. */
extern const int as_required_lengths[10];
#define AS_N_REQUIRED 10

enum { AS_REL_NONE, AS_REL_BOTH, AS_REL_C2P, AS_REL_P2C };

typedef struct attn_case {
    int head_dim, heads;
    int lengths[32];
    size_t n_pairs;
    int with_bias, rel, max_rel;
} attn_case;

/* Buffers of one call; ctx_buf and scratch_buf hold the guards. */
typedef struct attn_call {
    attn_case k;
    size_t rows, offsets[32], max_len;
    float *qkv, *bias, *relk, *relq;
    float *ctx_buf, *ctx;            /* ctx = ctx_buf + AS_GUARD, [rows, H] */
    float *scratch;
    size_t scratch_floats;
    cb_attention_args args;
} attn_call;

/* The first fault since as_clear_fault: sweeps check every head size and
 * then list the failing ones, rather than stop at the first. */
extern char as_fault_text[512];
extern int as_faulted;
void as_clear_fault(void);

/* Builds the inputs of case k from the current kr_seed stream; pair p
 * starts p % 3 == 2 rows after the last one ended (a gap row), else right
 * after it. Aborts when memory runs out (the sweep cannot run without it). */
void as_call_init(attn_call *c, const attn_case *k, size_t n_threads);
void as_call_free(attn_call *c);
/* Runs the kernel with canaries everywhere in the output and after each
 * thread's scratch. */
void as_call_run(attn_call *c, pthreadpool_t pool, size_t n_threads);
/* Checks every float of the output: the reference where a pair owns it, the
 * canary elsewhere (faults recorded). Returns the largest scaled
 * difference; *values (may be NULL) counts the values compared. */
double as_check_output(const attn_call *c, long *values);

/* Head sizes lo..hi, four calls each: no biases and no relative terms with
 * the required lengths and more, so every 7 consecutive head sizes run all
 * of 1..70; then biases with both relative terms, c2p only and p2c only.
 * Returns the number of failing head sizes (listed in failing), adds the
 * calls and values checked to *cases and *values, the worst difference to
 * *worst (max). */
int as_sweep(int lo, int hi, char *failing, size_t failing_size, long *cases, long *values, double *worst);

#endif
