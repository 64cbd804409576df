/* runtime/src/base/: what every layer uses: status codes and messages
 * (error.c), the per-model allocator hooks (alloc.c), float16 (half.c). It
 * calls nothing else of crossbyte's.
 *
 * error.c: status codes and messages. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

const char *cb_status_string(cb_status code)
{
    switch (code) {
    case CB_OK: return "ok";
    case CB_ERR_INVALID_ARGUMENT: return "invalid argument";
    case CB_ERR_OUT_OF_MEMORY: return "out of memory";
    case CB_ERR_IO: return "input/output error";
    case CB_ERR_MODEL_FORMAT: return "malformed model file";
    case CB_ERR_MODEL_VERSION: return "unsupported model file version";
    case CB_ERR_UNSUPPORTED_MODEL: return "unsupported model";
    case CB_ERR_MISSING_FILE: return "missing file in model folder";
    case CB_ERR_HF_FORMAT: return "malformed Hugging Face file";
    case CB_ERR_INVALID_UTF8: return "invalid UTF-8 in text";
    case CB_ERR_TEXT_TOO_LONG: return "text too long";
    case CB_ERR_MAX_LENGTH: return "max_length out of range";
    case CB_ERR_BACKEND: return "XNNPACK error";
    case CB_ERR_NOT_SINGLE_LABEL: return "model has several labels";
    case CB_ERR_WRONG_MODEL_KIND: return "wrong kind of model for this call";
    }
    return "unknown status";
}

cb_status cb_fail(cb_error *err, cb_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

void cb_error_clear(cb_error *err)
{
    if (err) {
        err->code = CB_OK;
        err->message[0] = '\0';
    }
}
