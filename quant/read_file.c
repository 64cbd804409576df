/* read_file.c: whole-file reads for the Hugging Face reader. */
#include "read_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"

cb_status cb_read_file(const char *path, const cb_allocator *alloc, char **buf, size_t *size, cb_error *err)
{
    *buf = NULL;
    *size = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        if (errno == ENOENT) return cb_fail(err, CB_ERR_MISSING_FILE, "%s: no such file", path);
        return cb_fail(err, CB_ERR_IO, "%s: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return cb_fail(err, CB_ERR_IO, "%s: not a regular file", path);
    }
    size_t n = (size_t)st.st_size;
    char *p = cb_malloc(alloc, n + 1);
    if (!p) {
        fclose(fp);
        return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes", path, n + 1);
    }
    size_t got = fread(p, 1, n, fp);
    int failed = ferror(fp);
    fclose(fp);
    if (got != n || failed) {
        cb_free(alloc, p);
        return cb_fail(err, CB_ERR_IO, "%s: read %zu of %zu bytes", path, got, n);
    }
    p[n] = '\0';
    *buf = p;
    *size = n;
    return CB_OK;
}

int cb_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

cb_status cb_path_join(char *out, size_t cap, const char *dir, const char *name, cb_error *err)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "path too long: %s/%s", dir, name);
    return CB_OK;
}

cb_status cb_read_json(const char *path, const cb_allocator *alloc, int required, cJSON **out, cb_error *err)
{
    *out = NULL;
    if (!required && !cb_file_exists(path)) return CB_OK;
    char *buf;
    size_t size;
    cb_status rc = cb_read_file(path, alloc, &buf, &size, err);
    if (rc != CB_OK) return rc;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(buf, size, &end, 0);
    size_t at = end ? (size_t)(end - buf) : 0;
    cb_free(alloc, buf);
    if (!j) return cb_fail(err, CB_ERR_HF_FORMAT, "%s: malformed JSON near byte %zu", path, at);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: not a JSON object", path);
    }
    *out = j;
    return CB_OK;
}
