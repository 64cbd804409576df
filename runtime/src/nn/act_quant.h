/* act_quant.h: dynamic int8 quantisation of activations (act_quant.c), what
 * every int8 linear layer (ops.c) feeds XNNPACK's qd8 operators. */
#ifndef CB_ACT_QUANT_H
#define CB_ACT_QUANT_H

#include <pthreadpool.h>
#include <stddef.h>
#include <stdint.h>
#include <xnnpack.h>

#include "alloc.h"
#include "crossbyte.h"

/* Dynamic int8 quantisation of activations (one scale and zero point per
 * row), shared by every int8 linear layer of the same input width. */
typedef struct cb_quantizer {
    int8_t *data;                            /* [rows, width] + XNN_EXTRA_BYTES */
    struct xnn_quantization_params *params;  /* [rows + XNN_EXTRA_QUANTIZATION_PARAMS] */
    size_t capacity_rows;
    int width;
    const cb_allocator *alloc;
} cb_quantizer;

/* No allocation until cb_quantizer_reserve. */
void cb_quantizer_init(cb_quantizer *q, int width, const cb_allocator *alloc);
cb_status cb_quantizer_reserve(cb_quantizer *q, size_t rows, cb_error *err);
/* Quantises x[rows, width] into q (reserved for rows). */
void cb_quantize_rows(cb_quantizer *q, const float *x, size_t rows, pthreadpool_t pool);
/* After a pass that quantised rows 0 .. rows - 1 into q row by row (ops.h's
 * fused passes): the entries XNNPACK reads past the last row. */
void cb_quantize_finish(cb_quantizer *q, size_t rows);
void cb_quantizer_destroy(cb_quantizer *q);

#endif
