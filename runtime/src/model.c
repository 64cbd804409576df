/* model.c: the cb_model object: loading a .cbm (file or buffer, or an image
 * the converter made), freeing, accessors, workspaces. */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "tokenizer_meta.h"
#include "weights_cache.h"

/* An upper bound on what XNNPACK's packed matrices take: each 2-D matrix of
 * the layers, the head and the ELECTRA projection (not the embedding
 * tables, which stay in the image), plus its per-channel sums, scales and
 * bias and the padding of its channels to the kernel's tile. */
static size_t packed_size_hint(const cb_model_file *f)
{
    size_t total = 0;
    for (size_t i = 0; i < f->n_tensors; i++) {
        const cb_tensor *t = &f->tensors[i];
        if (t->n_dims != 2 || (strncmp(t->name, "emb.", 4) == 0 && strncmp(t->name, "emb.proj", 8) != 0)) continue;
        const size_t out = (size_t)t->shape[0], extra = 16 * sizeof(float);
        if (out == 0 || t->shape[1] == 0) continue;
        total += t->size + (out + 64) * extra + 64 * (size_t)t->shape[1] * (t->size / (out * (size_t)t->shape[1]));
    }
    return total;
}

/* Everything after the image is in place: config, tokenizer, weights, and one
 * workspace made up front so that XNNPACK packs the weights at load time. */
static cb_status finish_load(cb_model *m, const cb_load_options *opts, cb_error *err)
{
    cb_status s;
    const cJSON *meta = m->file.meta;
    if ((s = cb_model_config_from_json(cJSON_GetObjectItemCaseSensitive(meta, "config"), &m->config, err)))
        return s;
    const cb_tensor *vocab = cb_model_file_find(&m->file, "tokenizer.vocab");
    if (!vocab || vocab->dtype != CBM_U8) return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: no vocabulary");
    const cb_tensor *merges = cb_model_file_find(&m->file, "tokenizer.merges");
    if (merges && merges->dtype != CBM_U8) return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: merges are not bytes");
    cb_tokenizer_spec spec;
    const cJSON *tok_meta = cJSON_GetObjectItemCaseSensitive(meta, "tokenizer");
    if ((s = cb_tokenizer_spec_from_json(tok_meta, vocab->data, vocab->size, m->alloc, &spec, &m->added_ids, err)) ||
        (s = cb_tokenizer_spec_merges_from_json(tok_meta, merges ? (const char *)merges->data : NULL,
                                                merges ? merges->size : 0, &spec, err)))
        return s;
    if (spec.n_vocab > (uint32_t)m->config.vocab_size)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: vocabulary larger than the embedding table");
    /* Token types index the type table; models without one ignore them. */
    for (int i = 0; i < spec.n_template && m->config.type_vocab_size > 0; i++) {
        if (spec.pair_template[i].type_id >= m->config.type_vocab_size)
            return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: token type %d has no embedding",
                           spec.pair_template[i].type_id);
    }
    if ((s = cb_tokenizer_create(&spec, m->alloc, &m->tokenizer, err))) return s;
    if (m->config.max_length_limit + m->config.position_offset > m->config.max_positions && m->config.max_positions > 0)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: max_length limit exceeds the position table");
    if ((s = cb_encoder_weights_bind(&m->file, &m->config, m->alloc, &m->weights, err))) return s;

    if ((s = cb_xnn_check(xnn_initialize(NULL), "initialization", err))) return s;
    if ((s = cb_weights_cache_create(m->alloc, packed_size_hint(&m->file), &m->weights_cache, err))) return s;
    m->n_threads = opts && opts->n_threads > 1 ? opts->n_threads : 1;
    cb_workspace *ws;
    if ((s = cb_model_acquire_workspace(m, &ws, err))) return s;
    /* Every matrix is packed now; later workspaces only look them up. */
    cb_weights_cache_seal(m->weights_cache);
    cb_model_release_workspace(m, ws);
    return CB_OK;
}

static cb_status new_model(const cb_load_options *opts, const char *call, cb_model **out, cb_error *err)
{
    const cb_allocator *a = opts ? cb_allocator_or_libc(opts->allocator) : NULL;
    cb_status s = cb_allocator_check(opts ? opts->allocator : NULL, call, err);
    if (s != CB_OK) return s;
    cb_model *m = cb_calloc(a, 1, sizeof *m);
    if (!m) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for a model");
    if (a) {
        m->allocator = *a;
        m->alloc = &m->allocator;
    }
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        cb_free(a, m);
        return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "cannot create a mutex");
    }
    *out = m;
    return CB_OK;
}

static cb_status load_image(cb_model *m, const uint8_t *bytes, size_t size, const cb_load_options *opts,
                            cb_error *err)
{
    cb_status s = cb_model_file_parse(bytes, size, !(opts && opts->skip_checksum), m->alloc, &m->file, err);
    return s != CB_OK ? s : finish_load(m, opts, err);
}

static cb_status load_mapped(cb_model *m, const char *path, const cb_load_options *opts, cb_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return cb_fail(err, CB_ERR_MISSING_FILE, "%s: no such file or folder", path);
        return cb_fail(err, CB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return cb_fail(err, CB_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    }
    if (st.st_size < (off_t)CBM_HEADER_SIZE) {
        close(fd);
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "%s: %lld bytes is too short for a .cbm file", path,
                       (long long)st.st_size);
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return cb_fail(err, CB_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
    m->mapped = p;
    m->mapped_size = (size_t)st.st_size;
    cb_status s = load_image(m, p, m->mapped_size, opts, err);
    if (s != CB_OK && err) {
        /* Say which file: the image parser does not know the path. */
        char msg[CB_ERROR_MESSAGE_SIZE];
        memcpy(msg, err->message, sizeof msg);
        cb_fail(err, s, "%s: %s", path, msg);
    }
    return s;
}

cb_status cb_model_load_file(const char *path, const cb_load_options *opts, cb_model **out, cb_error *err)
{
    cb_error_clear(err);
    if (!out) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "cb_model_load_file: out is NULL");
    *out = NULL;
    if (!path) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "cb_model_load_file: path is NULL");
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL,
                       "%s is a folder: the runtime reads .cbm files; Hugging Face folders are converted by "
                       "cb_model_load or cb_convert (the converter, libcrossbyte)", path);
    cb_model *m = NULL;
    cb_status s = new_model(opts, "cb_model_load_file", &m, err);
    if (s != CB_OK) return s;
    s = load_mapped(m, path, opts, err);
    if (s != CB_OK) {
        cb_model_free(m);
        return s;
    }
    *out = m;
    return CB_OK;
}

cb_status cb_model_adopt_image(uint8_t *image, size_t size, const cb_load_options *opts, const char *call,
                               cb_model **out, cb_error *err)
{
    *out = NULL;
    cb_model *m = NULL;
    cb_status s = new_model(opts, call, &m, err);
    if (s != CB_OK) {
        cb_aligned_free(opts ? cb_allocator_or_libc(opts->allocator) : NULL, image);
        return s;
    }
    m->owned_image = image;
    s = load_image(m, image, size, opts, err);
    if (s != CB_OK) {
        cb_model_free(m);
        return s;
    }
    *out = m;
    return CB_OK;
}

cb_status cb_model_load_buffer(const void *data, size_t size, const cb_load_options *opts, cb_model **out,
                               cb_error *err)
{
    cb_error_clear(err);
    if (!out) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "cb_model_load_buffer: out is NULL");
    *out = NULL;
    if (!data) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "cb_model_load_buffer: data is NULL");
    cb_model *m = NULL;
    cb_status s = new_model(opts, "cb_model_load_buffer", &m, err);
    if (s != CB_OK) return s;
    const uint8_t *bytes = data;
    if ((uintptr_t)data % CBM_ALIGN != 0) {
        /* Tensors must be aligned for in-place use: copy to an aligned block. */
        m->owned_image = cb_aligned_alloc(m->alloc, CBM_ALIGN, size);
        if (!m->owned_image) {
            cb_model_free(m);
            return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory copying a %zu-byte model", size);
        }
        memcpy(m->owned_image, data, size);
        bytes = m->owned_image;
    }
    s = load_image(m, bytes, size, opts, err);
    if (s != CB_OK) {
        cb_model_free(m);
        return s;
    }
    *out = m;
    return CB_OK;
}

void cb_model_free(cb_model *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n_idle; i++) cb_workspace_free(m->idle[i]);
    /* m is freed last, with the allocator it holds: keep a copy. */
    const cb_allocator copy = m->allocator;
    const cb_allocator *a = m->alloc ? &copy : NULL;
    cb_free(a, m->idle);
    cb_weights_cache_free(m->weights_cache);
    cb_encoder_weights_release(&m->weights);
    cb_tokenizer_free(m->tokenizer);
    cb_free(a, m->added_ids);
    cb_model_file_release(&m->file);
    if (m->mapped) munmap(m->mapped, m->mapped_size);
    cb_aligned_free(a, m->owned_image);
    pthread_mutex_destroy(&m->lock);
    cb_free(a, m);
}

cb_status cb_model_acquire_workspace(const cb_model *cm, cb_workspace **ws, cb_error *err)
{
    /* The pool is the model's only mutable part; the lock keeps the public
     * functions' const promise honest for callers on several threads. */
    cb_model *m = (cb_model *)cm;
    *ws = NULL;
    pthread_mutex_lock(&m->lock);
    if (m->n_idle > 0) *ws = m->idle[--m->n_idle];
    pthread_mutex_unlock(&m->lock);
    if (*ws) return CB_OK;
    cb_status s = cb_workspace_create(&m->config, &m->weights, m->n_threads, m->weights_cache, m->alloc, ws, err);
    if (s != CB_OK) return s;
    /* Room in the pool for every workspace there is, made now, when a
     * failure can still be reported: release cannot fail. */
    pthread_mutex_lock(&m->lock);
    if (m->n_workspaces == m->cap_idle) {
        const size_t cap = m->cap_idle ? 2 * m->cap_idle : 4;
        cb_workspace **p = cb_realloc(m->alloc, m->idle, cap * sizeof *p);
        if (p) {
            m->idle = p;
            m->cap_idle = cap;
        }
    }
    const int room = m->n_workspaces < m->cap_idle;
    if (room) m->n_workspaces++;
    pthread_mutex_unlock(&m->lock);
    if (!room) {
        cb_workspace_free(*ws);
        *ws = NULL;
        return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for the model's workspace pool");
    }
    return CB_OK;
}

void cb_model_release_workspace(const cb_model *cm, cb_workspace *ws)
{
    cb_model *m = (cb_model *)cm;
    pthread_mutex_lock(&m->lock);
    m->idle[m->n_idle++] = ws; /* acquire made room for it */
    pthread_mutex_unlock(&m->lock);
}

const char *cb_model_architecture(const cb_model *m)
{
    return m ? m->config.architecture : "";
}

const char *cb_model_dtype(const cb_model *m)
{
    return m && m->config.int8 ? "int8" : "f32";
}

int cb_model_num_labels(const cb_model *m)
{
    return m ? m->config.num_labels : 0;
}

const char *cb_model_label(const cb_model *m, int index)
{
    return m && index >= 0 && index < m->config.num_labels ? m->config.labels[index] : NULL;
}

int cb_model_max_length(const cb_model *m)
{
    return m ? m->config.max_length : 0;
}

int cb_model_max_positions(const cb_model *m)
{
    return m ? m->config.max_length_limit : 0;
}

int cb_model_embedding_size(const cb_model *m)
{
    return m && m->config.pooling != CB_POOL_NONE ? m->config.hidden_size : 0;
}

const char *cb_model_pooling(const cb_model *m)
{
    return m && m->config.pooling != CB_POOL_NONE ? cb_pooling_name(m->config.pooling) : NULL;
}

cb_status cb_model_resolve_max_length(const cb_model *m, int requested, int specials, int *out, cb_error *err)
{
    const int limit = m->config.max_length_limit;
    const int v = requested == 0 ? m->config.max_length : requested;
    if (v < specials || v > limit)
        return cb_fail(err, CB_ERR_MAX_LENGTH, "max_length %d is out of range: this model takes %d to %d tokens",
                       requested, specials, limit);
    *out = v;
    return CB_OK;
}

cb_status cb_batch_buffers_alloc(cb_batch_buffers *b, const cb_allocator *alloc, size_t cap, int max_length,
                                 cb_error *err)
{
    b->alloc = alloc;
    b->ids = cb_malloc(alloc, cap * (size_t)max_length * sizeof *b->ids);
    b->types = cb_malloc(alloc, cap * (size_t)max_length * sizeof *b->types);
    b->offsets = cb_malloc(alloc, cap * sizeof *b->offsets);
    b->lengths = cb_malloc(alloc, cap * sizeof *b->lengths);
    if (b->ids && b->types && b->offsets && b->lengths) return CB_OK;
    cb_batch_buffers_free(b);
    return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for a batch of %zu x %d tokens", cap, max_length);
}

void cb_batch_buffers_free(cb_batch_buffers *b)
{
    cb_free(b->alloc, b->ids);
    cb_free(b->alloc, b->types);
    cb_free(b->alloc, b->offsets);
    cb_free(b->alloc, b->lengths);
    memset(b, 0, sizeof *b);
}


#define MAX_BATCH 4096

cb_status cb_resolve_batch_size(int requested, size_t *out, cb_error *err)
{
    if (requested < 0 || requested > MAX_BATCH)
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "batch_size %d is out of range (1 to %d, 0 = %d)", requested,
                       MAX_BATCH, CB_DEFAULT_BATCH_SIZE);
    *out = (size_t)(requested ? requested : CB_DEFAULT_BATCH_SIZE);
    return CB_OK;
}
