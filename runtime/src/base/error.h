/* error.h: filling a cb_error, the one way the library reports problems. */
#ifndef CB_ERROR_H
#define CB_ERROR_H

#include "crossbyte.h"

#if defined(__GNUC__)
#define CB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CB_PRINTF(a, b)
#endif

/* Sets err (if not NULL) to code and the formatted message; returns code, so
 * that `return cb_fail(err, CB_ERR_IO, "cannot open %s", path);` reads well. */
cb_status cb_fail(cb_error *err, cb_status code, const char *fmt, ...) CB_PRINTF(3, 4);

/* Clears err to CB_OK and an empty message. */
void cb_error_clear(cb_error *err);

#endif
