/* fuzz_model.c: libFuzzer target for the model loader.
 *
 * A random file would almost never get past the magic number, so the input
 * is applied to a valid image instead: its first four bytes choose where the
 * file is cut (truncation), the next four where the rest of the input
 * overwrites the image. That place is within the header, the metadata JSON
 * and the tensor table's reach (the first 64 KiB, where all the parsing is)
 * and any offset is as cheap for the fuzzer as another: overwriting only
 * from the start, libFuzzer's short inputs never got past the header.
 * The checksum is skipped, or every change would stop there. Whatever the
 * damage, loading must either fail with a status or give a model that scores
 * a pair. The valid image is a .cbm file named by $CB_FUZZ_CBM. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crossbyte.h"
#include "fuzz_support.h"

/* The fuzzer's pristine image and scratch copy, set up once. */
static uint8_t *g_image, *g_work;
static size_t g_size;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *path = getenv("CB_FUZZ_CBM");
    FILE *fp = path ? fopen(path, "rb") : NULL;
    if (!fp) {
        fprintf(stderr, "fuzz_model: set CB_FUZZ_CBM to a .cbm file\n");
        abort();
    }
    fseek(fp, 0, SEEK_END);
    g_size = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    g_image = aligned_alloc(64, (g_size + 63) / 64 * 64);
    g_work = aligned_alloc(64, (g_size + 63) / 64 * 64);
    if (!g_image || !g_work || fread(g_image, 1, g_size, fp) != g_size) abort();
    fclose(fp);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8) return 0;
    uint32_t cut, at;
    memcpy(&cut, data, 4);
    memcpy(&at, data + 4, 4);
    const size_t n = g_size - (cut % 64 == 0 ? cut % (uint32_t)(g_size + 1) : 0);
    memcpy(g_work, g_image, g_size);
    const size_t start = n ? at % (n < 65536 ? n : 65536) : 0, len = size - 8;
    memcpy(g_work + start, data + 8, len < n - start ? len : n - start);
    cb_load_options o = { .skip_checksum = 1 };
    fuzz_load_and_score(g_work, n, &o);
    return 0;
}
