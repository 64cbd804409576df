/* kernel_sweep.h: the kernel sweeps, each kernel of the library called
 * directly over every width 1..96, odd larger ones and row counts 1..70, and
 * checked element by element against tests/kernel_ref.c.
 *
 * Plain C (no Criterion), so that test_kernels.c runs them natively (and
 * under ASan/UBSan) and tests/kernels/sweep_main.c in the WebAssembly build
 * under Node: one set of cases for every build. A sweep never stops at a
 * fault; it counts them and keeps the first one's description. */
#ifndef CB_KERNEL_SWEEP_H
#define CB_KERNEL_SWEEP_H

#include <pthreadpool.h>

typedef struct ks_result {
    long cases;        /* kernel calls checked */
    long values;       /* values compared */
    long failures;     /* values (or guards) that were wrong */
    double worst;      /* largest |got - ref| / tolerance among nonzero tolerances */
    char first[600];   /* the first failure */
} ks_result;

/* The widths every sweep runs: 1..96, then these. */
#define KS_ODD_WIDTHS 127, 129, 383, 385, 1000

/* pool: NULL (the calling thread) or a thread pool; the results must not
 * depend on it. */
void ks_layernorm(ks_result *r, pthreadpool_t pool);
void ks_activations(ks_result *r, pthreadpool_t pool);
void ks_bias(ks_result *r, pthreadpool_t pool);
void ks_quantize(ks_result *r, pthreadpool_t pool);
/* LayerNorm and the activations with their output quantised in the same
 * pass: bit for bit what the two passes give. */
void ks_fused_quantize(ks_result *r, pthreadpool_t pool);
/* The int8 linear layer as the encoder runs it: XNNPACK's qd8 x qc8w product
 * with no bias, then the bias added by the library (ops.c). */
void ks_int8_linear(ks_result *r, pthreadpool_t pool);
/* The head and the score activations are plain C on the calling thread:
 * they take a pool only to share the signature, and ignore it. */
void ks_head(ks_result *r, pthreadpool_t pool);
void ks_scores(ks_result *r, pthreadpool_t pool);

/* One sweep of the list below by name. */
typedef struct ks_sweep {
    const char *name;
    void (*run)(ks_result *, pthreadpool_t);
} ks_sweep;
extern const ks_sweep ks_sweeps[];
extern const int ks_n_sweeps;

/* Every sweep above with the calling thread; prints one line per sweep and
 * returns the number of failures. */
long ks_run_all(long *cases, long *values);

#endif
