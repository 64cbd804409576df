/* load_folder.c: cb_model_load, the converter's entry point for loading:
 * a .cbm file goes straight to the runtime (cb_model_load_file); a Hugging
 * Face folder is converted to a float32 image in memory and the runtime takes
 * that image over. It lives here, above the runtime, so that the runtime never
 * calls the converter (an application that only reads .cbm files, such as
 * the wasm build, links the runtime alone). */
#include <sys/stat.h>

#include "alloc.h"
#include "convert.h"
#include "error.h"
#include "model.h"

cb_status cb_model_load(const char *path, const cb_load_options *opts, cb_model **out, cb_error *err)
{
    cb_error_clear(err);
    if (!out) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "cb_model_load: out is NULL");
    *out = NULL;
    if (!path) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "cb_model_load: path is NULL");
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) return cb_model_load_file(path, opts, out, err);
    const cb_allocator *alloc = opts ? opts->allocator : NULL;
    cb_status s = cb_allocator_check(alloc, "cb_model_load", err);
    if (s != CB_OK) return s;
    uint8_t *image = NULL;
    size_t size = 0;
    s = cb_convert_to_memory(path, CB_DTYPE_F32, alloc, &image, &size, NULL, err);
    if (s != CB_OK) return s;
    return cb_model_adopt_image(image, size, opts, "cb_model_load", out, err);
}
