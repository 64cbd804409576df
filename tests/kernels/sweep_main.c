/* sweep_main.c: every kernel sweep (tests/kernel_sweep.c) and the attention
 * sweep (tests/attention_sweep.c) in one plain C program, no Criterion: the
 * WebAssembly build compiles it for Node (CMakeLists.txt, run by
 * tools/test.sh), so the kernels are checked against the same double
 * references in wasm32 + SIMD128 as natively, where it also runs as the
 * kernel_sweep test (under ASan/UBSan in the sanitizer build).
 *
 * Prints one line per sweep and the number of cases and values checked;
 * exits 1 on any mismatch. */
#include <stdio.h>

#include "attention_sweep.h"
#include "kernel_sweep.h"

int main(void)
{
    long cases = 0, values = 0;
    long failures = ks_run_all(&cases, &values);

    long att_cases = 0, att_values = 0;
    double worst = 0;
    char failing[512];
    const int n_failing = as_sweep(1, AS_MAX_HEAD, failing, sizeof failing, &att_cases, &att_values, &worst);
    printf("kernels: attention   %6ld cases, %9ld values, head sizes 1..%d, worst |got - ref| / (1 + |ref|) = %.3g "
           "(tolerance %.0e)%s%s\n",
           att_cases, att_values, AS_MAX_HEAD, worst, AS_TOL, n_failing ? ", failing head sizes:" : "",
           n_failing ? failing : "");
    failures += n_failing;
    cases += att_cases;
    values += att_values;
    printf("kernel sweep: %ld cases, %ld values checked, %ld failures\n", cases, values, failures);
    return failures ? 1 : 0;
}
