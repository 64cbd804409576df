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
 * any x86-64. CPUs with AVX-512 run a third version whose tiles hold a row of
 * 16 floats in one zmm register (attention_task_avx512). Without FMA
 * contraction (CMakeLists.txt), so all three, ARM and WebAssembly compute the
 * same bits. */
#include "attention.h"

#include "attention_kernels.h"

size_t cb_attention_scratch_floats(size_t max_len, size_t head_dim)
{
    const size_t n_pad = cb_attn_round16(max_len), d_pad = cb_attn_round16(head_dim);
    return head_dim * n_pad     /* K^T [d, n_pad] */
           + max_len * d_pad    /* V [n, d_pad] */
           + ROWS * n_pad       /* probabilities [ROWS, n_pad] */
           + ROWS * d_pad       /* query block [ROWS, d_pad] */
           + max_len * d_pad    /* relative terms: K rows [n, d_pad] */
           + 4 * max_len * d_pad /* gathered relk and relq rows [2n, d_pad] each */
           + d_pad              /* one scaled query row */
           + 3 * d_pad;         /* this head's Q, K, V biases */
}

/* One (pair, head): stage K^T and V (and DeBERTa's tables), then for each
 * block of ROWS queries: scores tile by tile, the relative terms, the
 * softmax of each row, the context tile by tile (attention_kernels.h).
 * wide (a constant at each call) picks the 16-float tiles. */
CB_KERNEL void attention_head(void *ctx, size_t thread, size_t task, int wide)
{
    const cb_attention_args *a = ctx;
    const size_t pair = task / (size_t)a->heads, head = task % (size_t)a->heads;
    const size_t hidden = (size_t)a->hidden, d = hidden / (size_t)a->heads, col = head * d;
    cb_attn_head h = { .n = (size_t)a->lengths[pair], .d = d, .stride = 3 * hidden, .scale = a->scale };
    h.n_pad = cb_attn_round16(h.n);
    h.d_pad = cb_attn_round16(d);
    h.q = a->qkv + a->offsets[pair] * h.stride + col;
    h.k = h.q + hidden;
    h.v = h.k + hidden;
    cb_attn_layout(&h, a->scratch + thread * a->scratch_stride);
    float *out = a->ctx + (a->first_row_only ? pair : a->offsets[pair]) * hidden + col;
    const size_t n_query = a->first_row_only ? 1 : h.n;
    const int rel = a->relk || a->relq;

    cb_attn_stage_biases(&h, a->bias, hidden, col);
    if (rel) cb_attn_gather_relative(&h, a->relk ? a->relk + col : NULL, a->relq ? a->relq + col : NULL, a->max_rel,
                                     hidden);
    cb_attn_stage_kv(&h);
    for (size_t i0 = 0; i0 < n_query; i0 += ROWS) {
        const size_t rows = n_query - i0 < ROWS ? n_query - i0 : ROWS;
        cb_attn_stage_queries(&h, i0, rows);
        for (size_t j0 = 0; j0 < h.n_pad; j0 += COLS) {
            if (wide) cb_attn_score_tile16(&h, j0);
            else cb_attn_score_tile(&h, j0);
        }
        if (rel) cb_attn_relative_scores(&h, i0, rows);
        /* Softmax over the pair's own keys; padding columns get weight 0. */
        float inv[ROWS];
        for (size_t r = 0; r < rows; r++)
            inv[r] = wide ? cb_attn_softmax_row16(h.p + r * h.n_pad, h.n, h.n_pad)
                          : cb_attn_softmax_row(h.p + r * h.n_pad, h.n, h.n_pad);
        for (size_t c0 = 0; c0 < d; c0 += COLS) {
            if (wide) cb_attn_context_tile16(&h, c0, rows, inv, out + i0 * hidden, hidden);
            else cb_attn_context_tile(&h, c0, rows, inv, out + i0 * hidden, hidden);
        }
    }
}

CB_MULTIVERSION
static void attention_task(void *ctx, size_t thread, size_t task)
{
    attention_head(ctx, thread, task, 0);
}

#if CB_ATTENTION_AVX512
/* The task for CPUs with AVX-512 (F, VL, BW, DQ: x86-64-v4), with the
 * 16-float tiles; chosen per call by cb_attention. */
__attribute__((target("arch=x86-64-v4"))) static void attention_task_avx512(void *ctx, size_t thread, size_t task)
{
    attention_head(ctx, thread, task, 1);
}
#endif

void cb_attention(const cb_attention_args *a, pthreadpool_t pool)
{
    pthreadpool_task_1d_with_thread_t task = attention_task;
#if CB_ATTENTION_AVX512
    if (cb_cpu_has_avx512()) task = attention_task_avx512;
#endif
    pthreadpool_parallelize_1d_with_thread(pool, task, (void *)a, a->n_pairs * (size_t)a->heads, 0);
}
