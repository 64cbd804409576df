/* fuzz_support.h: what the model fuzzers check after loading (each fuzzer is
 * one translation unit, so this is a header of static functions). */
#ifndef CB_FUZZ_SUPPORT_H
#define CB_FUZZ_SUPPORT_H

#include <stdlib.h>

#include "crossbyte.h"

/* Loads `image` and scores a pair with it. A failure must leave no model and
 * say why; anything else aborts, which libFuzzer reports as a crash. */
static void fuzz_load_and_score(const void *image, size_t size, const cb_load_options *opts)
{
    cb_model *m = NULL;
    cb_error err;
    err.message[0] = '\0';
    cb_status s = cb_model_load_buffer(image, size, opts, &m, &err);
    if (s == CB_OK) {
        cb_pair p = { "a query", CB_NUL_TERMINATED, "a passage", CB_NUL_TERMINATED };
        float scores[64];
        if (cb_model_num_labels(m) <= 64) (void)cb_predict(m, &p, 1, NULL, scores, &err);
        cb_model_free(m);
    } else if (m != NULL || err.message[0] == '\0') {
        abort();
    }
}

#endif
