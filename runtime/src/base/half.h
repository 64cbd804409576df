/* half.h: IEEE 754 binary16 -> binary32, for safetensors' F16 weights. */
#ifndef CB_HALF_H
#define CB_HALF_H

#include <stdint.h>

float cb_half_to_float(uint16_t h);

#endif
