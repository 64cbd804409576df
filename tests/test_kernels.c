/* test_kernels.c: the library's row-wise kernels, its int8 linear layer and
 * its head, each called directly and checked element by element against a
 * double-precision reference (tests/kernel_sweep.c, tests/kernel_ref.c,
 * where every tolerance is derived) over widths 1..96, 127, 129, 383, 385
 * and 1000 and row counts 1..70, with canaries after every output.
 *
 * The same sweeps run in the WebAssembly build under Node
 * (tests/kernels/sweep_main.c, tools/test.sh). Each test prints the worst
 * difference it saw as a fraction of its tolerance. */
#include <criterion/criterion.h>
#include <pthreadpool.h>
#include <stdio.h>
#include <string.h>

#include "kernel_sweep.h"

#ifndef CB_TEST_TIMEOUT_SCALE
#define CB_TEST_TIMEOUT_SCALE 1
#endif
/* One limit for every test of the file: Criterion 2.4.1 leaks its timeout
 * records (LeakSanitizer) when a file mixes them. */
#define TIMEOUT (240 * CB_TEST_TIMEOUT_SCALE)

/* Runs the sweep called `name` (kernel_sweep.c's list) on `pool`. */
static void sweep(const char *name, pthreadpool_t pool)
{
    const ks_sweep *s = NULL;
    for (int i = 0; i < ks_n_sweeps; i++)
        if (!strcmp(ks_sweeps[i].name, name)) s = &ks_sweeps[i];
    cr_assert(s, "no sweep %s", name);
    ks_result r = { 0 };
    s->run(&r, pool);
    printf("kernels: %s%s: %ld cases, %ld values, worst %.3g of the tolerance\n", name, pool ? " (2 threads)" : "",
           r.cases, r.values, r.worst);
    cr_assert(r.cases > 0 && r.values > 0, "%s: nothing was checked", name);
    cr_assert(r.failures == 0, "%s: %ld failures in %ld values; the first: %s", name, r.failures, r.values, r.first);
}

Test(kernels, layernorm_with_bias_and_residual, .timeout = TIMEOUT) { sweep("layernorm", NULL); }
Test(kernels, activations, .timeout = TIMEOUT) { sweep("activations", NULL); }
Test(kernels, bias_rows, .timeout = TIMEOUT) { sweep("bias", NULL); }
Test(kernels, activation_quantisation, .timeout = TIMEOUT) { sweep("quantize", NULL); }
Test(kernels, fused_quantisation, .timeout = TIMEOUT) { sweep("fused quantize", NULL); }
Test(kernels, int8_linear_and_bias, .timeout = TIMEOUT) { sweep("int8 linear", NULL); }
Test(kernels, classifier_head, .timeout = TIMEOUT) { sweep("head", NULL); }
Test(kernels, score_activations, .timeout = TIMEOUT) { sweep("scores", NULL); }

/* The row-wise kernels again through a 2-thread pool: rows are independent,
 * so the same references hold. */
Test(kernels, threaded, .timeout = TIMEOUT)
{
    pthreadpool_t pool = pthreadpool_create(2);
    cr_assert(pool, "cannot start 2 threads");
    const char *pooled[] = { "layernorm", "activations", "bias", "quantize", "fused quantize", "int8 linear" };
    for (size_t i = 0; i < sizeof pooled / sizeof *pooled; i++) sweep(pooled[i], pool);
    pthreadpool_destroy(pool);
}
