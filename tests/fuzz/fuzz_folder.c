/* fuzz_folder.c: libFuzzer target for Hugging Face folders, the other way
 * models come in (cb_model_load on a folder converts it in memory; `crossbyte
 * convert` writes the same image to a file).
 *
 * The base is a valid folder, $CB_FUZZ_MODEL (tools/fuzz.sh runs bert-tiny
 * and roberta-tiny), copied to a scratch folder. The input damages one of
 * its files: byte 0 chooses the file (config.json, model.safetensors,
 * tokenizer.json, ...) and whether it is cut after the damage and converted
 * to int8 or float32, bytes 1-4 where the rest of the input overwrites it (in
 * model.safetensors, within the JSON header's reach: its data is only
 * copied). Whatever the damage, the conversion must either fail with a status
 * and a message, or give an image that loads and scores a pair. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert.h"
#include "crossbyte.h"
#include "fuzz_support.h"
#include "read_file.h"

#ifndef CB_FIXTURES_DIR
#define CB_FIXTURES_DIR "tests/fixtures"
#endif

#define MAX_FILES 8

/* The pristine files and the scratch folder, set up once. */
typedef struct fuzz_file {
    char name[32];
    uint8_t *data;
    size_t size;
} fuzz_file;

static fuzz_file g_files[MAX_FILES];
static size_t g_n_files;
static char g_dir[4096];
static int g_dirty = -1;  /* the file the last input changed */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_file(const char *name, const uint8_t *data, size_t size)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(data, 1, size, fp) != size || fclose(fp) != 0) abort();
}

static void remove_scratch(void)
{
    char path[4200];
    for (size_t i = 0; i < g_n_files; i++) {
        snprintf(path, sizeof path, "%s/%s", g_dir, g_files[i].name);
        unlink(path);
    }
    rmdir(g_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const char *const names[] = {
        "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
        "vocab.txt", "vocab.json", "merges.txt",
    };
    const char *model = getenv("CB_FUZZ_MODEL");
    char base[4096];
    snprintf(base, sizeof base, "%s", model && *model ? model : CB_FIXTURES_DIR "/bert-tiny");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", base, names[i]);
        if (!cb_file_exists(path)) continue;
        fuzz_file *f = &g_files[g_n_files++];
        snprintf(f->name, sizeof f->name, "%s", names[i]);
        char *buf;
        cb_error err;
        if (cb_read_file(path, NULL, &buf, &f->size, &err) != CB_OK) {
            fprintf(stderr, "fuzz_folder: %s\n", err.message);
            abort();
        }
        f->data = (uint8_t *)buf;
    }
    if (g_n_files < 3) {
        fprintf(stderr, "fuzz_folder: %s is not a model folder (set CB_FUZZ_MODEL)\n", base);
        abort();
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/cb-fuzz-folder-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_dir)) abort();
    for (size_t i = 0; i < g_n_files; i++) write_file(g_files[i].name, g_files[i].data, g_files[i].size);
    atexit(remove_scratch);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5) return 0;
    const size_t which = (data[0] & 0x3f) % g_n_files;
    const int cut = data[0] & 0x40, int8 = data[0] & 0x80;
    uint32_t at32;
    memcpy(&at32, data + 1, 4);
    const fuzz_file *f = &g_files[which];
    /* safetensors: the 8-byte length and the JSON header (a few KiB) */
    const size_t reach = strcmp(f->name, "model.safetensors") == 0 ? 65536 : f->size;
    const size_t at = f->size ? at32 % (reach < f->size ? reach : f->size) : 0;
    const size_t len = size - 5;

    if (g_dirty >= 0 && (size_t)g_dirty != which) {
        const fuzz_file *old = &g_files[g_dirty];
        write_file(old->name, old->data, old->size);
    }
    uint8_t *work = malloc(f->size + len + 1);
    if (!work) abort();
    memcpy(work, f->data, f->size);
    memcpy(work + at, data + 5, len);
    const size_t n = cut ? at + len : (at + len > f->size ? at + len : f->size);
    write_file(f->name, work, n);
    free(work);
    g_dirty = (int)which;

    uint8_t *image = NULL;
    size_t image_size = 0;
    cb_error err;
    err.message[0] = '\0';
    cb_status s = cb_convert_to_memory(g_dir, int8 ? CB_DTYPE_INT8 : CB_DTYPE_F32, NULL, &image, &image_size, NULL, &err);
    if (s != CB_OK) {
        if (image != NULL || err.message[0] == '\0') abort(); /* a failure leaves nothing and says why */
        return 0;
    }
    fuzz_load_and_score(image, image_size, NULL);
    cb_aligned_free(NULL, image);
    return 0;
}
