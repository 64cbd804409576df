/* convert.h: a Hugging Face folder to a .cbm image, in memory. cb_convert
 * writes the image to a file; cb_model_load (load_folder.c) hands it to the
 * runtime: one conversion path, not two. */
#ifndef CB_CONVERT_H
#define CB_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "crossbyte.h"

/* Every allocation comes from `alloc` (alloc.h; NULL = the C library).
 * *image is 64-byte aligned; free it with cb_aligned_free(alloc, ...).
 * *input_bytes (may be NULL) receives the size of model.safetensors. */
cb_status cb_convert_to_memory(const char *hf_dir, cb_dtype dtype, const cb_allocator *alloc, uint8_t **image,
                               size_t *size, uint64_t *input_bytes, cb_error *err);

#endif
