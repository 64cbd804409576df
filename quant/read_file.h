/* read_file.h: whole-file reads for the Hugging Face reader. */
#ifndef CB_READ_FILE_H
#define CB_READ_FILE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "alloc.h"
#include "crossbyte.h"

/* Reads `path` into a buffer from `alloc` (alloc.h) with a NUL appended (not
 * counted in *size). The caller frees *buf with cb_free(alloc, ...). A missing file is CB_ERR_MISSING_FILE, any
 * other failure CB_ERR_IO or CB_ERR_OUT_OF_MEMORY, each naming the path. */
cb_status cb_read_file(const char *path, const cb_allocator *alloc, char **buf, size_t *size, cb_error *err);

/* 1 when `path` names an existing regular file. */
int cb_file_exists(const char *path);

/* dir + "/" + name into out (capacity cap); CB_ERR_INVALID_ARGUMENT if too long. */
cb_status cb_path_join(char *out, size_t cap, const char *dir, const char *name, cb_error *err);

/* Parses `path` as one JSON object into *out (the caller deletes it). When
 * not `required`, a missing file gives CB_OK and *out NULL. Malformed JSON is
 * CB_ERR_HF_FORMAT naming the path and byte offset. */
cb_status cb_read_json(const char *path, const cb_allocator *alloc, int required, cJSON **out, cb_error *err);

#endif
