/* simd.h: the eight-float vector type the hand-written kernels use (GCC and
 * Clang vector extensions: AVX, SSE, NEON or wasm SIMD from one source), its
 * helpers, and CB_MULTIVERSION, which on x86-64 Linux compiles a function for
 * x86-64-v3 (AVX2 + FMA) and for the baseline and lets the CPU pick at load
 * time, since the library itself is built for any x86-64. */
#ifndef CB_SIMD_H
#define CB_SIMD_H

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define CB_MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define CB_MULTIVERSION
#endif

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

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

#endif
