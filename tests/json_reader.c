/* json_reader.c: see json_reader.h. */
#include "json_reader.h"

#include <criterion/criterion.h>
#include <stdlib.h>

#include "read_file.h"

void load_json(const char *path, jv *out)
{
    char *buf;
    size_t size;
    cb_error err;
    cr_assert_eq(cb_read_file(path, NULL, &buf, &size, &err), CB_OK, "%s", err.message);
    char why[160];
    cr_assert(jv_parse(buf, size, out, why, sizeof why), "%s: %s", path, why);
    free(buf);
}
