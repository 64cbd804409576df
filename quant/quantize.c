/* quantize.c: see quantize.h. */
#include "quantize.h"

#include <math.h>

void cb_quantize_rows_int8(const float *w, size_t rows, size_t cols, int8_t *q, float *scale)
{
    for (size_t r = 0; r < rows; r++) {
        const float *row = w + r * cols;
        float amax = 0.0f;
        for (size_t c = 0; c < cols; c++) amax = fmaxf(amax, fabsf(row[c]));
        float s = amax > 0.0f ? amax / 127.0f : 1.0f;
        scale[r] = s;
        for (size_t c = 0; c < cols; c++) {
            float v = nearbyintf(row[c] / s);
            q[r * cols + c] = (int8_t)(v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v);
        }
    }
}
