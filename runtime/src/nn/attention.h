/* attention.h: multi-head self-attention over packed rows (see ops.h). */
#ifndef CB_ATTENTION_H
#define CB_ATTENTION_H

#include <pthreadpool.h>
#include <stddef.h>

/* qkv: [rows, 3H] with Q, K, V side by side, heads contiguous inside each;
 * ctx: [rows, H] output. Pair p owns rows [offsets[p], offsets[p] + lengths[p]).
 * scratch: one block of cb_attention_scratch_floats(max_len, head_dim) floats
 * per thread, scratch_stride floats apart. */
typedef struct cb_attention_args {
    const float *qkv;
    float *ctx;
    const size_t *offsets;
    const int *lengths;
    size_t n_pairs;
    int hidden, heads;
    float *scratch;
    size_t scratch_stride;
    float scale;             /* on Q K^T: 1/sqrt(head_dim), DeBERTa: 1/sqrt(head_dim * (1 + terms)) */
    /* DeBERTa's relative terms (NULL when absent): row R + (i - j), clamped
     * to the table, of relk (content->position) and relq (position->content,
     * already scaled) [2R, H]. */
    const float *relk, *relq;
    int max_rel;             /* R */
    const float *bias;       /* [3H] added to qkv's rows as they are read, or NULL */
    /* Only each pair's first query row (all keys and values still count),
     * written to ctx row p for pair p: what a cross-encoder's last layer
     * needs. That row's bits are the ones the full computation gives it. */
    int first_row_only;
} cb_attention_args;

size_t cb_attention_scratch_floats(size_t max_len, size_t head_dim);

void cb_attention(const cb_attention_args *a, pthreadpool_t pool);

#endif
