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
    int8_t *data;                            /* [rows, width] + XNN_EXTRA_BYTES: levels ^ level_xor */
    struct xnn_quantization_params *params;  /* [rows + XNN_EXTRA_QUANTIZATION_PARAMS] */
    size_t capacity_rows;
    int width;
    uint8_t level_xor;                       /* cb_int8_gemm_input_xor() */
    const cb_allocator *alloc;
} cb_quantizer;

/* What XNNPACK's int8 GEMM kernels on this CPU read for an int8 level L:
 * 0 for L itself; 0x80 for L ^ 0x80, the unsigned byte L + 128, which the
 * VNNI kernels of a patched XNNPACK (tools/deps/patches/native/
 * 0002-qd8-vnni-unsigned-input.patch) feed vpdpbusd directly instead of
 * flipping each byte themselves, a third of their instructions. The same
 * integer sums either way, so the same output bits. (cpu_kernels.c) */
uint8_t cb_int8_gemm_input_xor(void);

/* The int8 level stored at byte i of q->data. */
static inline int cb_quantizer_level(const cb_quantizer *q, size_t i)
{
    return (int8_t)(q->data[i] ^ (int8_t)q->level_xor);
}

/* No allocation until cb_quantizer_reserve. The byte format is the one this
 * CPU's kernels read (level_xor). */
void cb_quantizer_init(cb_quantizer *q, int width, const cb_allocator *alloc);
cb_status cb_quantizer_reserve(cb_quantizer *q, size_t rows, cb_error *err);
/* Quantises x[rows, width] into q (reserved for rows). */
void cb_quantize_rows(cb_quantizer *q, const float *x, size_t rows, pthreadpool_t pool);
/* After a pass that quantised rows 0 .. rows - 1 into q row by row (ops.h's
 * fused passes): the entries XNNPACK reads past the last row. */
void cb_quantize_finish(cb_quantizer *q, size_t rows);
void cb_quantizer_destroy(cb_quantizer *q);

#endif
