/* hwcaps.c: the aarch64 CPU features that decide which int8 GEMM kernels
 * XNNPACK runs (cpuinfo reads the same AT_HWCAP bits), as the kernel -- or qemu
 * -cpu MODEL -- reports them. tools/aarch64/test.sh prints it for every CPU
 * model the suites run under, to show which kernel family each run exercised.
 *
 *   aarch64-linux-gnu-gcc -static -O2 tests/cross/hwcaps.c -o hwcaps
 *   qemu-aarch64 -cpu cortex-a76 ./hwcaps    (or ./hwcaps on a device)
 *
 * Prints one line; exit status 0. */
#include <asm/hwcap.h>
#include <stdio.h>
#include <sys/auxv.h>

int main(void)
{
    const unsigned long h = getauxval(AT_HWCAP), h2 = getauxval(AT_HWCAP2);
    const int neon = (h & HWCAP_ASIMD) != 0;
    const int dot = (h & HWCAP_ASIMDDP) != 0;   /* ARMv8.2 SDOT/UDOT */
    const int i8mm = (h2 & HWCAP2_I8MM) != 0;   /* ARMv8.6 SMMLA */
    const int fp16 = (h & HWCAP_ASIMDHP) != 0;
    printf("neon=%d dotprod=%d i8mm=%d fp16=%d: XNNPACK qd8 int8 GEMM kernels %s\n", neon, dot, i8mm, fp16,
           i8mm ? "neoni8mm" : dot ? "neondot" : neon ? "neon_mlal" : "scalar");
    return 0;
}
