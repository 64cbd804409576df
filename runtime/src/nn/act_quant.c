/* act_quant.c: dynamic int8 quantisation of activations, one scale and zero
 * point per row, in the layout XNNPACK's qd8 fully-connected operators read
 * (the row kernel and why it is ours: act_quant_row.h). */
#include "act_quant.h"

#include <string.h>

#include "act_quant_row.h"
#include "error.h"

typedef struct quantize_task {
    const float *x;
    cb_quantizer *q;
} quantize_task;

CB_MULTIVERSION
static void quantize_row(void *ctx, size_t r)
{
    const quantize_task *t = ctx;
    cb_quantizer *q = t->q;
    const size_t n = (size_t)q->width;
    cb_quantize_row_kernel(t->x + r * n, n, q->data + r * n, &q->params[r], q->level_xor);
}

void cb_quantize_rows(cb_quantizer *q, const float *x, size_t rows, pthreadpool_t pool)
{
    quantize_task t = { x, q };
    pthreadpool_parallelize_1d(pool, quantize_row, &t, rows, 0);
    cb_quantize_finish(q, rows);
}

void cb_quantize_finish(cb_quantizer *q, size_t rows)
{
    /* XNNPACK's kernels may read up to XNN_EXTRA_QUANTIZATION_PARAMS entries
     * past the last row: give them the last row's values, as its own
     * quantiser does. */
    for (size_t i = 0; i < XNN_EXTRA_QUANTIZATION_PARAMS; i++) q->params[rows + i] = q->params[rows - 1];
}

void cb_quantizer_init(cb_quantizer *q, int width, const cb_allocator *alloc)
{
    memset(q, 0, sizeof *q);
    q->width = width;
    q->level_xor = cb_int8_gemm_input_xor();
    q->alloc = alloc;
}

cb_status cb_quantizer_reserve(cb_quantizer *q, size_t rows, cb_error *err)
{
    if (rows <= q->capacity_rows) return CB_OK;
    cb_free(q->alloc, q->data);
    cb_free(q->alloc, q->params);
    q->data = cb_malloc(q->alloc, rows * (size_t)q->width + XNN_EXTRA_BYTES);
    q->params = cb_malloc(q->alloc, (rows + XNN_EXTRA_QUANTIZATION_PARAMS) * sizeof *q->params);
    if (!q->data || !q->params) {
        cb_free(q->alloc, q->data);
        cb_free(q->alloc, q->params);
        q->data = NULL;
        q->params = NULL;
        q->capacity_rows = 0;
        return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for %zu quantised rows", rows);
    }
    q->capacity_rows = rows;
    return CB_OK;
}

void cb_quantizer_destroy(cb_quantizer *q)
{
    cb_free(q->alloc, q->data);
    cb_free(q->alloc, q->params);
    memset(q, 0, sizeof *q);
}
