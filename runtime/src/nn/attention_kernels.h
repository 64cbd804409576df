/* attention_kernels.h: the steps of attention.c's per-(pair, head) task,
 * one named helper each, so the tests can call them (test_attention.c) and
 * the task reads as its algorithm. All are CB_KERNEL (always inlined): the
 * task is compiled twice on x86-64 (CB_MULTIVERSION), and a helper that
 * stayed a call would run at the baseline's SSE2 in the AVX2 clone; inlined,
 * the split costs nothing (attention.c's commit gives the timings).
 *
 * Internal to the library and its tests. */
#ifndef CB_ATTENTION_KERNELS_H
#define CB_ATTENTION_KERNELS_H

#include <math.h>
#include <stdint.h>
#include <stddef.h>
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

CB_KERNEL size_t cb_attn_round16(size_t n)
{
    return (n + 15) / 16 * 16;
}

/* attention.c's AVX-512 task (and the wide helpers at the end of this file)
 * exist where target_clones does (GCC on x86-64 Linux) and the tiles are 16
 * floats wide. */
#if defined(CB_MULTIVERSION_X86) && COLS == 16
#define CB_ATTENTION_AVX512 1
#else
#define CB_ATTENTION_AVX512 0
#endif

/* One (pair, head) of the task: its inputs and its slices of the thread's
 * scratch (cb_attention_scratch_floats's layout). q, k, v point at the
 * head's first column of the pair's first row; rows are `stride` floats
 * apart. */
typedef struct cb_attn_head {
    size_t n, d, n_pad, d_pad, stride;
    const float *q, *k, *v;
    float scale;
    float *kt;           /* K^T [d, n_pad], biased, zero-padded */
    float *vp;           /* V [n, d_pad], biased, zero-padded */
    float *p;            /* scores, then probabilities [ROWS, n_pad] */
    float *qb;           /* the block's queries, biased, scaled [ROWS, d_pad] */
    float *kp;           /* DeBERTa: biased K rows [n, d_pad] */
    float *pk, *pq;      /* DeBERTa: gathered relk and relq rows [2n, d_pad] each */
    float *qrow;         /* DeBERTa: one biased, scaled query row [d_pad] */
    float *bq, *bk, *bv; /* this head's Q, K, V biases [d_pad] each */
} cb_attn_head;

/* Carves h's buffers out of one thread's scratch. */
CB_KERNEL void cb_attn_layout(cb_attn_head *h, float *scratch)
{
    h->kt = scratch;
    h->vp = h->kt + h->d * h->n_pad;
    h->p = h->vp + h->n * h->d_pad;
    h->qb = h->p + ROWS * h->n_pad;
    h->kp = h->qb + ROWS * h->d_pad;
    h->pk = h->kp + h->n * h->d_pad;
    h->pq = h->pk + 2 * h->n * h->d_pad;
    h->qrow = h->pq + 2 * h->n * h->d_pad;
    h->bq = h->qrow + h->d_pad;
    h->bk = h->bq + h->d_pad;
    h->bv = h->bk + h->d_pad;
}

/* The head's Q, K and V biases from bias [3H] at column col (zeros when
 * bias is NULL: the projection added them). */
CB_KERNEL void cb_attn_stage_biases(const cb_attn_head *h, const float *bias, size_t hidden, size_t col)
{
    for (size_t c = 0; c < h->d; c++) {
        h->bq[c] = bias ? bias[col + c] : 0.0f;
        h->bk[c] = bias ? bias[hidden + col + c] : 0.0f;
        h->bv[c] = bias ? bias[2 * hidden + col + c] : 0.0f;
    }
}

/* DeBERTa: row t of pk/pq is relative distance i - j = t - (n - 1), the
 * table row R + (i - j) clamped, as HF clamps it, to the attention span
 * min(n, R); relk/relq point at the head's column of the tables' first
 * row, rows `hidden` apart (NULL: that term is absent, its rows zero). Also
 * stages the biased K rows the position->content term reads. */
CB_KERNEL void cb_attn_gather_relative(const cb_attn_head *h, const float *relk, const float *relq, int max_rel,
                                       size_t hidden)
{
    const size_t n = h->n, d = h->d, d_pad = h->d_pad;
    const long R = max_rel, span = (long)n < R ? (long)n : R;
    for (size_t t = 0; t + 1 < 2 * n; t++) {
        long row = R + (long)t - (long)(n - 1);
        row = row < R - span ? R - span : row > R + span - 1 ? R + span - 1 : row;
        const size_t at = (size_t)row * hidden;
        memset(h->pk + t * d_pad, 0, d_pad * sizeof(float));
        memset(h->pq + t * d_pad, 0, d_pad * sizeof(float));
        if (relk) memcpy(h->pk + t * d_pad, relk + at, d * sizeof(float));
        if (relq) memcpy(h->pq + t * d_pad, relq + at, d * sizeof(float));
    }
    for (size_t j = 0; j < n; j++) {
        for (size_t c = 0; c < d; c++) h->kp[j * d_pad + c] = h->k[j * h->stride + c] + h->bk[c];
        memset(h->kp + j * d_pad + d, 0, (d_pad - d) * sizeof(float));
    }
}

/* K^T rows c0 .. c0 + 8, columns (keys) j0 .. j0 + 8: eight key rows loaded
 * as vectors, biased, and transposed in registers (unpack, then 2x2 blocks,
 * then 4x4 halves), where an element-by-element copy gathered each float
 * from a row `stride` floats away (a tenth of attention's time in the
 * profiles). Each element is the same single addition k + bk. */
CB_KERNEL void cb_attn_transpose_kt8(const cb_attn_head *h, size_t j0, size_t c0)
{
    const v8f b = load8(h->bk + c0);
    v8f r[8], t[8], u[8];
    for (size_t i = 0; i < 8; i++) r[i] = load8(h->k + (j0 + i) * h->stride + c0) + b;
    for (size_t i = 0; i < 8; i += 2) {
        t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (size_t i = 0; i < 8; i += 4)
        for (size_t k = 0; k < 2; k++) {
            u[i + 2 * k] = __builtin_shufflevector(t[i + k], t[i + k + 2], 0, 1, 8, 9, 4, 5, 12, 13);
            u[i + 2 * k + 1] = __builtin_shufflevector(t[i + k], t[i + k + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        }
    /* u[k] holds dim c0 + k of keys j0 .. j0 + 4 in its low half and dim
     * c0 + k + 4 in its high half; u[k + 4] the same of keys j0 + 4 .. j0 + 8. */
    float *dst = h->kt + c0 * h->n_pad + j0;
    for (size_t k = 0; k < 4; k++) {
        store8(dst + k * h->n_pad, __builtin_shufflevector(u[k], u[k + 4], 0, 1, 2, 3, 8, 9, 10, 11));
        store8(dst + (k + 4) * h->n_pad, __builtin_shufflevector(u[k], u[k + 4], 4, 5, 6, 7, 12, 13, 14, 15));
    }
}

/* K^T and V, biased, into contiguous zero-padded rows. */
CB_KERNEL void cb_attn_stage_kv(const cb_attn_head *h)
{
    const size_t n = h->n, d = h->d, n_pad = h->n_pad, d_pad = h->d_pad, n8 = n / 8 * 8, d8 = d / 8 * 8;
    for (size_t c0 = 0; c0 < d8; c0 += 8)
        for (size_t j0 = 0; j0 < n8; j0 += 8) cb_attn_transpose_kt8(h, j0, c0);
    for (size_t c = 0; c < d; c++) {
        for (size_t j = c < d8 ? n8 : 0; j < n; j++) h->kt[c * n_pad + j] = h->k[j * h->stride + c] + h->bk[c];
        for (size_t j = n; j < n_pad; j++) h->kt[c * n_pad + j] = 0.0f;
    }
    for (size_t j = 0; j < n; j++) {
        for (size_t c = 0; c < d; c++) h->vp[j * d_pad + c] = h->v[j * h->stride + c] + h->bv[c];
        memset(h->vp + j * d_pad + d, 0, (d_pad - d) * sizeof(float));
    }
}

/* Query rows i0 .. i0 + rows of the block, biased and scaled, one row per
 * tile row (the score tile broadcasts each element from there); rows past
 * `rows` are zero. */
CB_KERNEL void cb_attn_stage_queries(const cb_attn_head *h, size_t i0, size_t rows)
{
    const size_t d = h->d, d8 = d / 8 * 8;
    for (size_t r = 0; r < ROWS; r++) {
        float *dst = h->qb + r * h->d_pad;
        if (r >= rows) {
            memset(dst, 0, d * sizeof(float));
            continue;
        }
        const float *src = h->q + (i0 + r) * h->stride;
        size_t c = 0;
        for (; c < d8; c += 8) store8(dst + c, (load8(src + c) + load8(h->bq + c)) * h->scale);
        for (; c < d; c++) dst[c] = (src[c] + h->bq[c]) * h->scale;
    }
}

/* Scores of keys j0 .. j0 + COLS for the block: a ROWS x COLS tile of
 * Q K^T, summed over the head dims in order. */
CB_KERNEL void cb_attn_score_tile(const cb_attn_head *h, size_t j0)
{
    v8f acc[ROWS][TILE_V];
    for (size_t r = 0; r < ROWS; r++)
        for (size_t t = 0; t < TILE_V; t++) acc[r][t] = splat8(0.0f);
    for (size_t c = 0; c < h->d; c++) {
        v8f kv[TILE_V];
        for (size_t t = 0; t < TILE_V; t++) kv[t] = load8(h->kt + c * h->n_pad + j0 + 8 * t);
        for (size_t r = 0; r < ROWS; r++) {
            /* vector * scalar broadcasts (vbroadcastss), unlike a vector
             * literal of eight copies */
            const float qv = h->qb[r * h->d_pad + c];
            for (size_t t = 0; t < TILE_V; t++) acc[r][t] += kv[t] * qv;
        }
    }
    for (size_t r = 0; r < ROWS; r++)
        for (size_t t = 0; t < TILE_V; t++) store8(h->p + r * h->n_pad + j0 + 8 * t, acc[r][t]);
}

/* DeBERTa: adds q_i . relk[i - j] + k_j . relq[i - j] to the block's
 * scores (cb_attn_gather_relative staged both). */
CB_KERNEL void cb_attn_relative_scores(const cb_attn_head *h, size_t i0, size_t rows)
{
    const size_t n = h->n, d = h->d, d_pad = h->d_pad;
    for (size_t r = 0; r < rows; r++) {
        const size_t i = i0 + r;
        memset(h->qrow, 0, d_pad * sizeof(float));
        for (size_t c = 0; c < d; c++) h->qrow[c] = (h->q[i * h->stride + c] + h->bq[c]) * h->scale;
        for (size_t j = 0; j < n; j++) {
            const size_t t = i + n - 1 - j;
            v8f acc = splat8(0.0f);
            for (size_t c = 0; c < d_pad; c += 8)
                acc += load8(h->qrow + c) * load8(h->pk + t * d_pad + c) +
                       load8(h->kp + j * d_pad + c) * load8(h->pq + t * d_pad + c);
            h->p[r * h->n_pad + j] += hsum8(acc);
        }
    }
}

/* The largest of n_pad (a multiple of 16) floats, in two independent
 * chains of 8 lanes: one chain waits a compare and a blend per step. The
 * maximum is the same in any order (a +0 / -0 tie may come out either way;
 * x - max and so e^(x - max) are the same for both). */
CB_KERNEL float cb_attn_row_max(const float *pr, size_t n_pad)
{
    v8f a = load8(pr), b = load8(pr + 8);
    for (size_t j = 16; j < n_pad; j += 16) {
        a = max8(load8(pr + j), a);
        b = max8(load8(pr + j + 8), b);
    }
    return hmax8(max8(a, b));
}

/* Softmax of one row of n scores padded to n_pad (a multiple of 8) in
 * place, unnormalised: e^(x - max), padding columns 0; returns 1 / sum.
 * The sum runs in eight lanes, then hsum8: the same order for every tile
 * shape. */
CB_KERNEL float cb_attn_softmax_row(float *pr, size_t n, size_t n_pad)
{
    for (size_t j = n; j < n_pad; j++) pr[j] = -INFINITY;
    const v8f mx = splat8(cb_attn_row_max(pr, n_pad));
    v8f s8 = splat8(0.0f);
    for (size_t j = 0; j < n_pad; j += 8) {
        const v8f e = exp8_nonpositive(load8(pr + j) - mx);
        store8(pr + j, e);
        s8 += e;
    }
    /* Padding lanes added e^-87 each to a sum of at least 1: nothing. */
    for (size_t j = n; j < n_pad; j++) pr[j] = 0.0f;
    return 1.0f / hsum8(s8);
}

/* Head dims c0 .. c0 + COLS of the block's context: a ROWS x COLS tile of
 * P V summed over the keys, times each row's 1 / sum, written to out (the
 * block's first row, rows out_stride apart). Only for c0 < d: d_pad is a
 * multiple of 16, so with COLS = 8 it can hold a whole tile past d, whose
 * width d - c0 would wrap around and copy COLS zeros past the head
 * (issue 15). The tile reads V no further than d rounded up to COLS. */
CB_KERNEL void cb_attn_context_tile(const cb_attn_head *h, size_t c0, size_t rows, const float *inv, float *out,
                                    size_t out_stride)
{
    v8f acc[ROWS][TILE_V];
    for (size_t r = 0; r < ROWS; r++)
        for (size_t t = 0; t < TILE_V; t++) acc[r][t] = splat8(0.0f);
    for (size_t j = 0; j < h->n; j++) {
        v8f vv[TILE_V];
        for (size_t t = 0; t < TILE_V; t++) vv[t] = load8(h->vp + j * h->d_pad + c0 + 8 * t);
        for (size_t r = 0; r < ROWS; r++) {
            const float w = h->p[r * h->n_pad + j];
            for (size_t t = 0; t < TILE_V; t++) acc[r][t] += vv[t] * w;
        }
    }
    /* A whole tile is stored as vectors: copying it through a buffer with a
     * variable length read the vectors back in 8-byte pieces, stalled on
     * store forwarding. */
    const size_t width = h->d - c0 < COLS ? h->d - c0 : COLS;
    for (size_t r = 0; r < rows; r++) {
        float tile[COLS];
        for (size_t t = 0; t < TILE_V; t++) store8(tile + 8 * t, acc[r][t] * splat8(inv[r]));
        if (width == COLS) memcpy(out + r * out_stride + c0, tile, sizeof tile);
        else memcpy(out + r * out_stride + c0, tile, width * sizeof(float));
    }
}

/* The same two tiles with each tile row of 16 floats in one 16-float
 * vector, for attention.c's AVX-512 task: one zmm register per row where
 * the AVX2 tiles use two ymm, on CPUs that execute 512-bit operations at
 * full width twice the multiplies per instruction. Each lane is still one
 * output element with the same products summed in the same order, so the
 * bits are those of cb_attn_score_tile and cb_attn_context_tile
 * (test_attention.c compares them). Only inlined into a function compiled
 * for AVX-512: GCC splits a 64-byte vector into ymm halves badly elsewhere
 * (the AVX2 clone ran the 100-passage rerank 2.4x slower with them). */
#if CB_ATTENTION_AVX512
CB_DEFINE_EXP_NONPOSITIVE(cb_exp16_nonpositive, v16f, v16i)

/* cb_attn_softmax_row with e^x on 16 lanes at a time; each half is added to
 * the eight-lane sum in turn, low then high, the order of the 8-wide loop,
 * so the bits are the same. n_pad is a multiple of 16. */
CB_KERNEL float cb_attn_softmax_row16(float *pr, size_t n, size_t n_pad)
{
    for (size_t j = n; j < n_pad; j++) pr[j] = -INFINITY;
    const float mx = cb_attn_row_max(pr, n_pad);
    v8f s8 = splat8(0.0f);
    for (size_t j = 0; j < n_pad; j += 16) {
        v16f x;
        memcpy(&x, pr + j, sizeof x);
        const v16f e = cb_exp16_nonpositive(x - mx);
        memcpy(pr + j, &e, sizeof e);
        s8 += __builtin_shufflevector(e, e, 0, 1, 2, 3, 4, 5, 6, 7);
        s8 += __builtin_shufflevector(e, e, 8, 9, 10, 11, 12, 13, 14, 15);
    }
    for (size_t j = n; j < n_pad; j++) pr[j] = 0.0f;
    return 1.0f / hsum8(s8);
}

CB_KERNEL void cb_attn_score_tile16(const cb_attn_head *h, size_t j0)
{
    v16f acc[ROWS];
    for (size_t r = 0; r < ROWS; r++) acc[r] = (v16f){ 0.0f };
    for (size_t c = 0; c < h->d; c++) {
        v16f kv;
        memcpy(&kv, h->kt + c * h->n_pad + j0, sizeof kv);
        for (size_t r = 0; r < ROWS; r++) acc[r] += kv * h->qb[r * h->d_pad + c];
    }
    for (size_t r = 0; r < ROWS; r++) memcpy(h->p + r * h->n_pad + j0, &acc[r], sizeof acc[r]);
}

CB_KERNEL void cb_attn_context_tile16(const cb_attn_head *h, size_t c0, size_t rows, const float *inv, float *out,
                                      size_t out_stride)
{
    v16f acc[ROWS];
    for (size_t r = 0; r < ROWS; r++) acc[r] = (v16f){ 0.0f };
    for (size_t j = 0; j < h->n; j++) {
        v16f vv;
        memcpy(&vv, h->vp + j * h->d_pad + c0, sizeof vv);
        for (size_t r = 0; r < ROWS; r++) acc[r] += vv * h->p[r * h->n_pad + j];
    }
    const size_t width = h->d - c0 < COLS ? h->d - c0 : COLS;
    for (size_t r = 0; r < rows; r++) {
        const v16f tile = acc[r] * inv[r];
        if (width == COLS) memcpy(out + r * out_stride + c0, &tile, sizeof tile);  /* as cb_attn_context_tile */
        else memcpy(out + r * out_stride + c0, &tile, width * sizeof(float));
    }
}
#else
/* No wide task here: attention_head's `if (wide)` branches (wide is 0 at
 * every call) name the 8-float helpers. */
#define cb_attn_score_tile16 cb_attn_score_tile
#define cb_attn_softmax_row16 cb_attn_softmax_row
#define cb_attn_context_tile16 cb_attn_context_tile
#endif

#endif
