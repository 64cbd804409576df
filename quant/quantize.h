/* quantize.h: symmetric int8 per output channel (per row). */
#ifndef CB_QUANTIZE_H
#define CB_QUANTIZE_H

#include <stddef.h>
#include <stdint.h>

/* w is rows x cols float32. q receives round(w / scale[r]) clamped to
 * [-127, 127], scale[r] = max |w[r, :]| / 127 (1 for an all-zero row, so that
 * dequantisation stays exact). -127..127 keeps the range symmetric, which
 * XNNPACK's qc8w kernels assume (zero point 0). */
void cb_quantize_rows_int8(const float *w, size_t rows, size_t cols, int8_t *q, float *scale);

#endif
