/* simd.h: the eight-float vector type the hand-written kernels use (GCC and
 * Clang vector extensions: AVX, SSE, NEON or wasm SIMD from one source), its
 * helpers, and CB_MULTIVERSION, which on x86-64 Linux compiles a function for
 * x86-64-v3 (AVX2) and for the baseline and lets the CPU pick at load time,
 * since the library itself is built for any x86-64. The library is compiled
 * without floating-point contraction: every helper here is a fixed sequence
 * of IEEE operations, the same bits on every CPU. */
#ifndef CB_SIMD_H
#define CB_SIMD_H

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define CB_MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "default")))
#define CB_MULTIVERSION_X86 1
/* The CPU runs x86-64-v4 code (AVX-512 F, VL, BW, DQ): the kernels with
 * 16-float vectors (attention.c, ops.c). GCC's CPU model, filled in by
 * libgcc before main, is only read. */
static inline int cb_cpu_has_avx512(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
}
#else
#define CB_MULTIVERSION
#endif

/* Vector helpers defined in .c files: always inlined into their (possibly
 * multiversioned) callers, so no vector ever crosses a call. */
#define CB_KERNEL static inline __attribute__((always_inline))

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

#if defined(CB_MULTIVERSION_X86)
/* Sixteen floats: only for functions compiled for x86-64-v4 (one zmm);
 * anywhere else GCC splits them into halves badly (attention_kernels.h). */
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
#endif

/* The helpers below pass 32-byte vectors by value; they are static inline,
 * so no ABI boundary is crossed and GCC's ABI note does not apply. */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

static inline v8f load8(const float *p)
{
    v8f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store8(float *p, v8f v)
{
    memcpy(p, &v, sizeof v);
}

static inline v8f splat8(float x)
{
    return (v8f){ x, x, x, x, x, x, x, x };
}


/* Lane-wise maximum. (C has no ?: on vectors: select through the mask.) */
static inline v8f max8(v8f a, v8f b)
{
    const v8i take_a = a > b;
    return (v8f)(((v8i)a & take_a) | ((v8i)b & ~take_a));
}

/* Lane-wise minimum. */
static inline v8f min8(v8f a, v8f b)
{
    const v8i take_a = a < b;
    return (v8f)(((v8i)a & take_a) | ((v8i)b & ~take_a));
}

static inline float hmax8(v8f v)
{
    float m = v[0];
    for (int i = 1; i < 8; i++) m = v[i] > m ? v[i] : m;
    return m;
}

static inline float hsum8(v8f v)
{
    return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

/* e^x for x <= 0 (softmax arguments after subtracting the maximum), within
 * 2 ulp: x = k ln2 + r with |r| <= ln2/2, e^r by Cephes' expf polynomial, 2^k
 * built in the exponent bits. k is rounded with the 1.5 * 2^23 trick, so
 * every step is a plain vector operation. One definition for any width
 * (VF floats, VI the same number of int32): every lane is computed alone, so
 * each width gives the same bits. */
#define CB_DEFINE_EXP_NONPOSITIVE(name, VF, VI)                                                     \
    static inline VF name(VF x)                                                                   \
    {                                                                                             \
        const VF lo = (VF){ 0.0f } - 87.0f, magic = (VF){ 0.0f } + 12582912.0f;                    \
        const VI above = x > lo;                                                                  \
        x = (VF)(((VI)x & above) | ((VI)lo & ~above));                                            \
        const VF t = x * 1.44269504088896341f + magic;                                            \
        const VF k = t - magic;                                                                   \
        const VF r = x - k * 0.693359375f + k * 2.12194440e-4f;                                   \
        VF p = (VF){ 0.0f } + 1.9875691500e-4f;                                                   \
        p = p * r + 1.3981999507e-3f;                                                             \
        p = p * r + 8.3334519073e-3f;                                                             \
        p = p * r + 4.1665795894e-2f;                                                             \
        p = p * r + 1.6666665459e-1f;                                                             \
        p = p * r + 5.0000001201e-1f;                                                             \
        p = p * r * r + r + 1.0f;                                                                 \
        const VI bits = ((VI)t - (VI)magic + 127) << 23;                                          \
        return p * (VF)bits;                                                                      \
    }

CB_DEFINE_EXP_NONPOSITIVE(exp8_nonpositive, v8f, v8i)

#endif
