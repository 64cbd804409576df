/* options.c: cb_version and the cb_*_default_options functions: the values
 * the library uses when an option struct is NULL or a field is 0, spelled out
 * for callers who prefer explicit settings. */
#include "model.h"

const char *cb_version(void)
{
    return CROSSBYTE_VERSION;
}

cb_load_options cb_load_default_options(void)
{
    return (cb_load_options){ .n_threads = 1, .skip_checksum = 0, .allocator = NULL };
}

cb_predict_options cb_predict_default_options(const cb_model *model)
{
    return (cb_predict_options){ .max_length = model ? cb_model_max_length(model) : 0,
                                 .batch_size = CB_DEFAULT_BATCH_SIZE,
                                 .activation = CB_ACTIVATION_DEFAULT,
                                 .long_document = CB_LONG_TRUNCATE,
                                 .stride = 0,
                                 .aggregate = CB_AGGREGATE_MAX };
}

cb_embed_options cb_embed_default_options(const cb_model *model)
{
    return (cb_embed_options){ .max_length = model ? cb_model_max_length(model) : 0,
                               .batch_size = CB_DEFAULT_BATCH_SIZE,
                               .normalize = 0 };
}
