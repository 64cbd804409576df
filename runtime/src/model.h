/* model.h: what a loaded cb_model holds (internal). */
#ifndef CB_MODEL_H
#define CB_MODEL_H

#include <pthread.h>

#include "alloc.h"
#include "encoder.h"
#include "model_config.h"
#include "model_file.h"
#include "tokenizer.h"

struct cb_model {
    /* The caller's allocator (copied), and what every part of the model
     * uses: &allocator, or NULL for the C library. */
    cb_allocator allocator;
    const cb_allocator *alloc;
    cb_model_config config;
    cb_model_file file;           /* validated view of the image */
    void *mapped;                 /* mmap'd file, or NULL */
    size_t mapped_size;
    uint8_t *owned_image;         /* converted folder or copied buffer (cb_aligned_alloc), or NULL */
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
    size_t n_workspaces;          /* made so far; cap_idle >= n_workspaces, so giving one back never allocates */
};

/* A model over an image in memory that it takes over: `image` was allocated
 * with cb_aligned_alloc from opts' allocator (the C library's when NULL) and
 * is freed with it by cb_model_free, or here when loading fails. `call` names
 * the public function in messages. The converter's cb_model_load uses it for
 * a folder converted in memory. */
cb_status cb_model_adopt_image(uint8_t *image, size_t size, const cb_load_options *opts, const char *call,
                               cb_model **out, cb_error *err);

cb_status cb_model_acquire_workspace(const cb_model *m, cb_workspace **ws, cb_error *err);
void cb_model_release_workspace(const cb_model *m, cb_workspace *ws);

/* Token storage for packed batches of up to `cap` texts or pairs of up to
 * max_length tokens each, shared by predict and embed. */
typedef struct cb_batch_buffers {
    int32_t *ids, *types;
    size_t *offsets;
    int *lengths;
    const cb_allocator *alloc;
} cb_batch_buffers;

cb_status cb_batch_buffers_alloc(cb_batch_buffers *b, const cb_allocator *alloc, size_t cap, int max_length,
                                 cb_error *err);
void cb_batch_buffers_free(cb_batch_buffers *b);

/* Pairs (or texts) per forward pass when the options say 0. */
#define CB_DEFAULT_BATCH_SIZE 32
/* batch_size as the caller asked: 0 = 32, else 1 to 4096. */
cb_status cb_resolve_batch_size(int requested, size_t *out, cb_error *err);

/* max_length as the caller asked (0 = the model's default), checked against
 * [specials, the model's position limit]: CB_ERR_MAX_LENGTH otherwise. */
cb_status cb_model_resolve_max_length(const cb_model *m, int requested, int specials, int *out, cb_error *err);

/* api.c, for predict.c too: CB_ERR_INVALID_ARGUMENT "pair N: text is NULL"
 * for a NULL text with a nonzero length (a NULL text of length 0 is empty);
 * and "pair N: " put in front of err's message when s is not CB_OK. */
cb_status cb_check_pair(const cb_pair *p, size_t index, cb_error *err);
cb_status cb_blame_pair(cb_status s, size_t index, cb_error *err);

/* sentence-transformers' activation of one pair's n logits, in place
 * (crossbyte.c; the tests call it directly). */
void cb_score_activate(cb_score_fn fn, float *v, int n);

#endif
