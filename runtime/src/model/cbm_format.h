/* cbm_format.h: the .cbm model file layout, shared by the writer (quant/)
 * and the reader (model_file.c). docs/format.md describes it for people.
 *
 *   offset  size  field
 *   0       8     magic "CBMODEL\0"
 *   8       4     format version (CBM_VERSION), little-endian
 *   12      4     header size (64)
 *   16      8     meta offset (64): UTF-8 JSON, no terminator
 *   24      8     meta size in bytes
 *   32      8     data offset (multiple of 64)
 *   40      8     data size in bytes
 *   48      8     checksum: cbm_checksum() of every byte from 64 to file end
 *   56      8     file size in bytes
 *
 * Every tensor in the data section starts at a multiple of CBM_ALIGN from the
 * file start, so a memory-mapped file (or a 64-byte aligned buffer) is used
 * in place, without copies.
 */
#ifndef CB_CBM_FORMAT_H
#define CB_CBM_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define CBM_MAGIC "CBMODEL"          /* 7 chars + NUL = 8 bytes */
#define CBM_MAGIC_SIZE 8
#define CBM_VERSION 1u
#define CBM_HEADER_SIZE 64u
#define CBM_ALIGN 64u

typedef struct cbm_header {
    uint32_t version;
    uint32_t header_size;
    uint64_t meta_offset, meta_size;
    uint64_t data_offset, data_size;
    uint64_t checksum;
    uint64_t file_size;
} cbm_header;

/* Tensor element types as the "dtype" strings of the tensor table. */
typedef enum cbm_dtype {
    CBM_F32 = 0,   /* "f32" */
    CBM_I8 = 1,    /* "i8": int8 weights, with a "<name>.scale" f32 tensor */
    CBM_U8 = 2     /* "u8": raw bytes (vocabulary, merges) */
} cbm_dtype;

size_t cbm_dtype_size(cbm_dtype t);
const char *cbm_dtype_name(cbm_dtype t);
int cbm_dtype_from_name(const char *name, cbm_dtype *out); /* 1 if known */

/* 64-bit checksum: four interleaved multiply-xor lanes over 8-byte words,
 * fast enough to check a 100 MB file at load. Not cryptographic: it finds
 * truncation and flipped bytes, not tampering. */
uint64_t cbm_checksum(const uint8_t *data, size_t size);

void cbm_header_encode(const cbm_header *h, uint8_t out[CBM_HEADER_SIZE]);
/* Returns 0 and fills h when the magic matches; -1 otherwise. Fields are not
 * validated here (model_file.c does it, with messages). */
int cbm_header_decode(const uint8_t *in, size_t size, cbm_header *h);

#endif
