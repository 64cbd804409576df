/* test_cpu_kernels.c: XNNPACK runs the int8 dot-product kernels the CPU has.
 * The int8 speed rests on them (issue 14): a VNNI CPU running the AVX2
 * kernels loses about half its int8 throughput and nothing else would say so.
 * The CPU's features come from the compiler's own detection
 * (__builtin_cpu_supports), independent of XNNPACK's; built on x86-64 only
 * (CMakeLists.txt). Prints the family, which crossbyte-bench reports too. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "act_quant.h"
#include "crossbyte.h"

Test(cpu, int8_gemm_kernels_match_the_cpu)
{
    __builtin_cpu_init();
    const int avx512 = !!__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                       __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    const int avx512vnni = avx512 && !!__builtin_cpu_supports("avx512vnni");
    const int avxvnni = !!__builtin_cpu_supports("avxvnni");
    const int avx2 = !!__builtin_cpu_supports("avx2");
    const char *got = cb_int8_gemm_kernels();
    printf("CPU: avx2 %d, avx512 (f/bw/dq/vl) %d, avx512vnni %d, avxvnni %d; XNNPACK int8 GEMM kernels: %s\n", avx2,
           avx512, avx512vnni, avxvnni, got);
    const char *want = avx512vnni ? "avx512vnni" : avxvnni ? "avxvnni" : avx512 ? "avx512skx" : avx2 ? "avx2" : "sse41";
    cr_assert_str_eq(got, want, "this CPU should run XNNPACK's %s int8 kernels, it runs %s", want, got);
}

/* tools/setup.sh builds XNNPACK with tools/deps/patches/native/
 * 0002-qd8-vnni-unsigned-input.patch: its VNNI kernels read the unsigned
 * bytes the quantiser stores instead of flipping every broadcast themselves
 * (a third of their instructions). Without the patch linked in, or on
 * kernels that sign-extend, the quantiser must store plain levels; the
 * kernel sweep's int8 linear check (test_kernels) then tells whether
 * kernels and bytes agree. */
Test(cpu, vnni_kernels_read_unsigned_bytes)
{
    const char *family = cb_int8_gemm_kernels();
    const int vnni = !strcmp(family, "avx512vnni") || !strcmp(family, "avxvnni");
    printf("XNNPACK int8 GEMM kernels: %s; the quantiser stores levels ^ 0x%02x\n", family,
           (unsigned)cb_int8_gemm_input_xor());
    cr_assert_eq(cb_int8_gemm_input_xor(), vnni ? 0x80 : 0x00,
                 "%s kernels: the quantiser should store levels ^ 0x%02x, it stores levels ^ 0x%02x", family,
                 vnni ? 0x80 : 0x00, (unsigned)cb_int8_gemm_input_xor());
}
