/* cpu_kernels.c: which XNNPACK int8 GEMM microkernels this CPU runs, by name,
 * for diagnostics (crossbyte-bench, tests/test_cpu_kernels.c), and the byte
 * format they read (cb_int8_gemm_input_xor, act_quant.h).
 *
 * XNNPACK picks the dynamically quantised GEMM (qd8_f32_qc8w) once per
 * process from the CPU's features and keeps it in an internal config whose
 * first member is the array of GEMM kernels by row count (src/xnnpack/
 * config-types.h: struct xnn_gemm_config starts with minmax.dqgemm[XNN_MAX_MR],
 * one function pointer each when, as on x86, XNN_MAX_UARCH_TYPES is 1). We
 * compare those pointers with the kernels XNNPACK builds for x86-64 rather
 * than include its private headers; elsewhere the answer is "unknown". */
#include <stddef.h>

#include "act_quant.h"
#include "crossbyte.h"

#if defined(__x86_64__) && !defined(__EMSCRIPTEN__)
/* Internal to XNNPACK (XNN_INTERNAL), but resolvable in a static link. */
const void *xnn_init_qd8_f32_qc8w_gemm_config(void);

/* Defined next to the VNNI kernels by tools/deps/patches/native/
 * 0002-qd8-vnni-unsigned-input.patch, which makes them read unsigned bytes;
 * weak, so an XNNPACK without the patch links and leaves them NULL. */
extern const int xnn_crossbyte_avx512vnni_unsigned_input __attribute__((weak));
extern const int xnn_crossbyte_avxvnni_unsigned_input __attribute__((weak));
#define VNNI512 &xnn_crossbyte_avx512vnni_unsigned_input
#define VNNI256 &xnn_crossbyte_avxvnni_unsigned_input

/* family, kernel, the marker of a build whose kernel reads unsigned bytes
 * (NULL: it reads the int8 levels). */
#define KERNELS(X)                                                                    \
    X(avx512vnni, xnn_qd8_f32_qc8w_gemm_minmax_ukernel_10x16c8__avx512vnni_prfm, VNNI512) \
    X(avx512vnni, xnn_qd8_f32_qc8w_gemm_minmax_ukernel_1x16c8__avx512vnni_prfm, VNNI512)  \
    X(avxvnni, xnn_qd8_f32_qc8w_gemm_minmax_ukernel_5x8c8__avxvnni_prfm, VNNI256)         \
    X(avxvnni, xnn_qd8_f32_qc8w_gemm_minmax_ukernel_1x8c8__avxvnni_prfm, VNNI256)         \
    X(avx512skx, xnn_qd8_f32_qc8w_gemm_minmax_ukernel_8x16c8__avx512skx_prfm, NULL)       \
    X(avx512skx, xnn_qd8_f32_qc8w_gemm_minmax_ukernel_1x16c8__avx512skx_prfm, NULL)       \
    X(avx256skx, xnn_qd8_f32_qc8w_gemm_minmax_ukernel_8x8c8__avx256skx, NULL)             \
    X(avx256skx, xnn_qd8_f32_qc8w_gemm_minmax_ukernel_1x8c8__avx256skx, NULL)             \
    X(avx2, xnn_qd8_f32_qc8w_gemm_minmax_ukernel_4x8c8__avx2, NULL)                       \
    X(avx2, xnn_qd8_f32_qc8w_gemm_minmax_ukernel_1x8c8__avx2, NULL)                       \
    X(sse41, xnn_qd8_f32_qc8w_gemm_minmax_ukernel_4x4c8__sse41_ld64, NULL)                \
    X(sse41, xnn_qd8_f32_qc8w_gemm_minmax_ukernel_1x4c8__sse41_ld64, NULL)

/* Only their addresses are taken; the type does not matter. */
#define DECLARE(family, fn, marker) void fn(void);
KERNELS(DECLARE)
#undef DECLARE

typedef struct known_kernel {
    const char *family;
    void (*fn)(void);
    const int *unsigned_input;
} known_kernel;

/* The entry of the kernels XNNPACK chose on this CPU, or NULL. */
static const known_kernel *chosen_kernel(void)
{
    static const known_kernel known[] = {
#define ENTRY(family, fn, marker) { #family, fn, marker },
        KERNELS(ENTRY)
#undef ENTRY
    };
    typedef void (*fn_ptr)(void);
    const fn_ptr *gemm = xnn_init_qd8_f32_qc8w_gemm_config();  /* minmax.dqgemm[32] */
    for (size_t mr = 0; gemm && mr < 32; mr++)
        for (size_t k = 0; gemm[mr] && k < sizeof known / sizeof *known; k++)
            if (gemm[mr] == known[k].fn) return &known[k];
    return NULL;
}

const char *cb_int8_gemm_kernels(void)
{
    const known_kernel *k = chosen_kernel();
    return k ? k->family : "unknown";
}

uint8_t cb_int8_gemm_input_xor(void)
{
    const known_kernel *k = chosen_kernel();
    return k && k->unsigned_input ? 0x80 : 0;
}
#else
const char *cb_int8_gemm_kernels(void)
{
    return "unknown";
}

uint8_t cb_int8_gemm_input_xor(void)
{
    return 0;
}
#endif
