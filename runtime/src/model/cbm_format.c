/* cbm_format.c: header coding and checksum of .cbm files (see cbm_format.h). */
#include "cbm_format.h"

#include <string.h>

size_t cbm_dtype_size(cbm_dtype t)
{
    return t == CBM_F32 ? 4 : 1;
}

const char *cbm_dtype_name(cbm_dtype t)
{
    switch (t) {
    case CBM_F32: return "f32";
    case CBM_I8: return "i8";
    case CBM_U8: return "u8";
    }
    return "?";
}

int cbm_dtype_from_name(const char *name, cbm_dtype *out)
{
    static const cbm_dtype all[] = { CBM_F32, CBM_I8, CBM_U8 };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(name, cbm_dtype_name(all[i])) == 0) {
            *out = all[i];
            return 1;
        }
    }
    return 0;
}

/* On little-endian CPUs (all the targets: x86, ARM, wasm) one unaligned
 * load: GCC does not merge the byte loop below into one, and the checksum
 * reads every byte of a model at load time. */
static uint64_t load_le64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
#else
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
#endif
}

static uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void store_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

#define CBM_PRIME 0x9E3779B97F4A7C15ull

static uint64_t mix(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= CBM_PRIME;
    return h ^ (h >> 31);
}

uint64_t cbm_checksum(const uint8_t *data, size_t size)
{
    /* Each step of a lane is a bijection of its state, so any change to a
     * single word changes the result; four lanes keep the multiplier busy. */
    uint64_t lane[4] = { 1, 2, 3, 4 };
    size_t i = 0;
    for (; i + 32 <= size; i += 32) {
        for (int k = 0; k < 4; k++) lane[k] = mix(lane[k], load_le64(data + i + 8 * k));
    }
    uint8_t tail[32] = { 0 };
    memcpy(tail, data + i, size - i);
    for (int k = 0; k < 4; k++) lane[k] = mix(lane[k], load_le64(tail + 8 * k));
    uint64_t h = mix((uint64_t)size, lane[0]);
    for (int k = 1; k < 4; k++) h = mix(h, lane[k]);
    return h;
}

void cbm_header_encode(const cbm_header *h, uint8_t out[CBM_HEADER_SIZE])
{
    memset(out, 0, CBM_HEADER_SIZE);
    memcpy(out, CBM_MAGIC, CBM_MAGIC_SIZE);
    store_le32(out + 8, h->version);
    store_le32(out + 12, h->header_size);
    store_le64(out + 16, h->meta_offset);
    store_le64(out + 24, h->meta_size);
    store_le64(out + 32, h->data_offset);
    store_le64(out + 40, h->data_size);
    store_le64(out + 48, h->checksum);
    store_le64(out + 56, h->file_size);
}

int cbm_header_decode(const uint8_t *in, size_t size, cbm_header *h)
{
    if (size < CBM_HEADER_SIZE || memcmp(in, CBM_MAGIC, CBM_MAGIC_SIZE) != 0) return -1;
    h->version = load_le32(in + 8);
    h->header_size = load_le32(in + 12);
    h->meta_offset = load_le64(in + 16);
    h->meta_size = load_le64(in + 24);
    h->data_offset = load_le64(in + 32);
    h->data_size = load_le64(in + 40);
    h->checksum = load_le64(in + 48);
    h->file_size = load_le64(in + 56);
    return 0;
}
