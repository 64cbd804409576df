/* attention.c: softmax(Q K^T / sqrt(d)) V for every (pair, head).
 *
 * The hot loop outside XNNPACK. For each pair and head, K is transposed and V
 * copied into contiguous, zero-padded scratch; then blocks of ROWS query rows
 * are computed with register tiles of ROWS x COLS floats (GCC/Clang vector
 * extensions, so the same source becomes AVX, SSE, NEON or wasm SIMD). No
 * floating-point sum is reordered across vector lanes except the softmax
 * total, so results do not depend on the batch or thread layout. On x86-64 the
 * task is compiled for x86-64-v3 (AVX2) and for the baseline, and the CPU
 * picks at load time (GCC's target_clones): the library itself is built for
 * any x86-64. Without FMA contraction (CMakeLists.txt), so both clones, ARM
 * and WebAssembly compute the same bits. */
#include "attention.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "simd.h"

/* Register tiles of ROWS x COLS floats, ROWS * COLS / 8 v8f accumulators.
 * With AVX2 (16 ymm) and NEON (32 q registers) 6 x 16 keeps 12 v8f live. In
 * WebAssembly every v8f is two v128 that V8 maps onto x86's 16 xmm
 * registers: 6 x 16 needs 24 of them. With 4 x 8 the WebAssembly build
 * reranks with TinyBERT-L2 at 1.69x onnxruntime-web's speed, against 1.39x
 * with 6 x 16 (tools/bench/wasm_bench.mjs; docs/benchmarks.md as of
 * commits fde10db and 5fc0763). The tile
 * shape changes no element's summation order, so every shape computes the
 * same bits.
 *
 * -DCB_ATTN_ROWS=r -DCB_ATTN_TILE_V=t override the defaults, so any build can
 * compile any shape: the tests run the WebAssembly shape natively too
 * (CMakeLists.txt, test_attention_wasm_tile). */
#ifndef CB_ATTN_ROWS
#if defined(__wasm__)
#define CB_ATTN_ROWS 4      /* query rows per register tile */
#else
#define CB_ATTN_ROWS 6
#endif
#endif
#ifndef CB_ATTN_TILE_V
#if defined(__wasm__)
#define CB_ATTN_TILE_V 1    /* v8f per tile row */
#else
#define CB_ATTN_TILE_V 2
#endif
#endif
#define ROWS CB_ATTN_ROWS
#define TILE_V CB_ATTN_TILE_V
#define COLS (8 * TILE_V) /* keys (scores) or head dims (context) per tile */

/* Rows of K^T, V and the probabilities are padded to a multiple of 16 floats
 * whatever the tile (the softmax's padding lanes, and so its bits, stay the
 * same for every shape); a tile must not step past that padding. */
_Static_assert(ROWS >= 1, "CB_ATTN_ROWS must be at least 1");
_Static_assert(TILE_V >= 1 && 16 % COLS == 0, "CB_ATTN_TILE_V must be 1 or 2 (COLS must divide 16)");

static size_t round16(size_t n)
{
    return (n + 15) / 16 * 16;
}

size_t cb_attention_scratch_floats(size_t max_len, size_t head_dim)
{
    const size_t n_pad = round16(max_len), d_pad = round16(head_dim);
    return head_dim * n_pad     /* K^T [d, n_pad] */
           + max_len * d_pad    /* V [n, d_pad] */
           + ROWS * n_pad       /* probabilities [ROWS, n_pad] */
           + head_dim * ROWS    /* query block [d, ROWS] */
           + max_len * d_pad    /* relative terms: K rows [n, d_pad] */
           + 4 * max_len * d_pad /* gathered relk and relq rows [2n, d_pad] each */
           + d_pad              /* one scaled query row */
           + 3 * d_pad;         /* this head's Q, K, V biases */
}

CB_MULTIVERSION
static void attention_task(void *ctx, size_t thread, size_t task)
{
    const cb_attention_args *a = ctx;
    const size_t pair = task / (size_t)a->heads, head = task % (size_t)a->heads;
    const size_t n = (size_t)a->lengths[pair], d = (size_t)(a->hidden / a->heads), stride = 3 * (size_t)a->hidden;
    const size_t n_pad = round16(n), d_pad = round16(d);
    const float *q = a->qkv + a->offsets[pair] * stride + head * d, *k = q + a->hidden, *v = k + a->hidden;
    float *out = a->ctx + (a->first_row_only ? pair : a->offsets[pair]) * (size_t)a->hidden + head * d;
    const size_t n_query = a->first_row_only ? 1 : n;
    float *kt = a->scratch + thread * a->scratch_stride;   /* [d, n_pad] */
    float *vp = kt + d * n_pad;                             /* [n, d_pad] */
    float *p = vp + n * d_pad;                              /* [ROWS, n_pad] */
    float *qt = p + ROWS * n_pad;                           /* [d, ROWS] */
    float *kp = qt + d * ROWS;                              /* [n, d_pad] */
    float *pk = kp + n * d_pad, *pq = pk + 2 * n * d_pad;   /* [2n, d_pad] each */
    float *qrow = pq + 2 * n * d_pad;                       /* [d_pad] */
    const float scale = a->scale;
    const int rel = a->relk || a->relq;
    /* This head's Q, K and V biases (zeros when the projection added them). */
    float *bq = qrow + d_pad, *bk = bq + d_pad, *bv = bk + d_pad;  /* [d_pad] each */
    for (size_t c = 0; c < d; c++) {
        bq[c] = a->bias ? a->bias[head * d + c] : 0.0f;
        bk[c] = a->bias ? a->bias[(size_t)a->hidden + head * d + c] : 0.0f;
        bv[c] = a->bias ? a->bias[2 * (size_t)a->hidden + head * d + c] : 0.0f;
    }
    if (rel) {
        /* Row t of pk/pq is relative distance i - j = t - (n - 1); HF clamps
         * the table index to the attention span min(n, R). */
        const long R = a->max_rel, span = (long)n < R ? (long)n : R;
        for (size_t t = 0; t + 1 < 2 * n; t++) {
            long row = R + (long)t - (long)(n - 1);
            row = row < R - span ? R - span : row > R + span - 1 ? R + span - 1 : row;
            const size_t at = (size_t)row * (size_t)a->hidden + head * d;
            memset(pk + t * d_pad, 0, d_pad * sizeof(float));
            memset(pq + t * d_pad, 0, d_pad * sizeof(float));
            if (a->relk) memcpy(pk + t * d_pad, a->relk + at, d * sizeof(float));
            if (a->relq) memcpy(pq + t * d_pad, a->relq + at, d * sizeof(float));
        }
        for (size_t j = 0; j < n; j++) {
            for (size_t c = 0; c < d; c++) kp[j * d_pad + c] = k[j * stride + c] + bk[c];
            memset(kp + j * d_pad + d, 0, (d_pad - d) * sizeof(float));
        }
    }

    for (size_t c = 0; c < d; c++) {
        for (size_t j = 0; j < n; j++) kt[c * n_pad + j] = k[j * stride + c] + bk[c];
        for (size_t j = n; j < n_pad; j++) kt[c * n_pad + j] = 0.0f;
    }
    for (size_t j = 0; j < n; j++) {
        for (size_t c = 0; c < d; c++) vp[j * d_pad + c] = v[j * stride + c] + bv[c];
        memset(vp + j * d_pad + d, 0, (d_pad - d) * sizeof(float));
    }

    for (size_t i0 = 0; i0 < n_query; i0 += ROWS) {
        const size_t rows = n_query - i0 < ROWS ? n_query - i0 : ROWS;
        /* This block's query rows, scaled, transposed, missing rows zero. */
        for (size_t c = 0; c < d; c++)
            for (size_t r = 0; r < ROWS; r++)
                qt[c * ROWS + r] = r < rows ? (q[(i0 + r) * stride + c] + bq[c]) * scale : 0.0f;
        /* Scores: a ROWS x COLS tile of Q K^T per step, summed over the head dims. */
        for (size_t j0 = 0; j0 < n_pad; j0 += COLS) {
            v8f acc[ROWS][TILE_V];
            for (size_t r = 0; r < ROWS; r++)
                for (size_t t = 0; t < TILE_V; t++) acc[r][t] = splat8(0.0f);
            for (size_t c = 0; c < d; c++) {
                v8f kv[TILE_V];
                for (size_t t = 0; t < TILE_V; t++) kv[t] = load8(kt + c * n_pad + j0 + 8 * t);
                for (size_t r = 0; r < ROWS; r++) {
                    /* vector * scalar broadcasts (vbroadcastss), unlike a
                     * vector literal of eight copies */
                    const float qv = qt[c * ROWS + r];
                    for (size_t t = 0; t < TILE_V; t++) acc[r][t] += kv[t] * qv;
                }
            }
            for (size_t r = 0; r < ROWS; r++)
                for (size_t t = 0; t < TILE_V; t++) store8(p + r * n_pad + j0 + 8 * t, acc[r][t]);
        }
        /* DeBERTa: + q_i . relk[i - j] + k_j . relq[i - j]. */
        for (size_t r = 0; rel && r < rows; r++) {
            const size_t i = i0 + r;
            memset(qrow, 0, d_pad * sizeof(float));
            for (size_t c = 0; c < d; c++) qrow[c] = (q[i * stride + c] + bq[c]) * scale;
            for (size_t j = 0; j < n; j++) {
                const size_t t = i + n - 1 - j;
                v8f acc = splat8(0.0f);
                for (size_t c = 0; c < d_pad; c += 8)
                    acc += load8(qrow + c) * load8(pk + t * d_pad + c) +
                           load8(kp + j * d_pad + c) * load8(pq + t * d_pad + c);
                p[r * n_pad + j] += hsum8(acc);
            }
        }
        /* Softmax over the pair's own keys; padding columns get weight 0. */
        float inv[ROWS];
        for (size_t r = 0; r < rows; r++) {
            float *pr = p + r * n_pad;
            for (size_t j = n; j < n_pad; j++) pr[j] = -INFINITY;
            v8f m8 = load8(pr);
            for (size_t j = 8; j < n_pad; j += 8) {
                const v8f x = load8(pr + j);
                m8 = max8(x, m8);
            }
            const v8f mx = splat8(hmax8(m8));
            v8f s8 = splat8(0.0f);
            for (size_t j = 0; j < n_pad; j += 8) {
                const v8f e = exp8_nonpositive(load8(pr + j) - mx);
                store8(pr + j, e);
                s8 += e;
            }
            /* Padding lanes added e^-87 each to a sum of at least 1: nothing. */
            for (size_t j = n; j < n_pad; j++) pr[j] = 0.0f;
            inv[r] = 1.0f / hsum8(s8);
        }
        /* Context: a ROWS x COLS tile of P V per step, summed over the keys.
         * Only tiles that start inside the head: d_pad is a multiple of 16,
         * so with COLS = 8 it can hold a whole tile past d, whose width
         * d - c0 would wrap around and copy COLS zeros past the head
         * (issue 15). The tiles read V no further than d rounded up to COLS. */
        for (size_t c0 = 0; c0 < d; c0 += COLS) {
            v8f acc[ROWS][TILE_V];
            for (size_t r = 0; r < ROWS; r++)
                for (size_t t = 0; t < TILE_V; t++) acc[r][t] = splat8(0.0f);
            for (size_t j = 0; j < n; j++) {
                v8f vv[TILE_V];
                for (size_t t = 0; t < TILE_V; t++) vv[t] = load8(vp + j * d_pad + c0 + 8 * t);
                for (size_t r = 0; r < ROWS; r++) {
                    const float w = p[r * n_pad + j];
                    for (size_t t = 0; t < TILE_V; t++) acc[r][t] += vv[t] * w;
                }
            }
            for (size_t r = 0; r < rows; r++) {
                float tile[COLS];
                for (size_t t = 0; t < TILE_V; t++) store8(tile + 8 * t, acc[r][t] * splat8(inv[r]));
                const size_t width = d - c0 < COLS ? d - c0 : COLS;
                memcpy(out + (i0 + r) * (size_t)a->hidden + c0, tile, width * sizeof(float));
            }
        }
    }
}

void cb_attention(const cb_attention_args *a, pthreadpool_t pool)
{
    pthreadpool_parallelize_1d_with_thread(pool, attention_task, (void *)a, a->n_pairs * (size_t)a->heads, 0);
}
