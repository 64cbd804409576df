/* model.h: what a loaded cb_model holds (internal). */
#ifndef CB_MODEL_H
#define CB_MODEL_H

#include <pthread.h>

#include "encoder.h"
#include "model_config.h"
#include "model_file.h"
#include "tokenizer.h"

struct cb_model {
    cb_model_config config;
    cb_model_file file;           /* validated view of the image */
    void *mapped;                 /* mmap'd file, or NULL */
    size_t mapped_size;
    uint8_t *owned_image;         /* converted folder or copied buffer, or NULL */
    cb_tokenizer *tokenizer;
    int32_t *added_ids;           /* storage behind the tokenizer spec */
    cb_encoder_weights weights;
    xnn_weights_cache_t weights_cache; /* XNNPACK packs each matrix once for all workspaces */
    int n_threads;

    /* Workspaces not in use; a caller takes one (or makes one) and gives it
     * back, so concurrent callers never share mutable state. */
    pthread_mutex_t lock;
    cb_workspace **idle;
    size_t n_idle, cap_idle;
};

cb_status cb_model_acquire_workspace(const cb_model *m, cb_workspace **ws, cb_error *err);
void cb_model_release_workspace(const cb_model *m, cb_workspace *ws);

#endif
