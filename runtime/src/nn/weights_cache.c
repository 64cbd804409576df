/* weights_cache.c: see weights_cache.h. The "offset" XNNPACK keeps for a
 * packed matrix is our entry index; each entry is its own aligned block, so
 * nothing moves when the cache grows. */
#include "weights_cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* XNNPACK's kernels want 64-byte aligned weights on x86 (its
 * XNN_ALLOCATION_ALIGNMENT; less elsewhere). */
#define CB_PACK_ALIGN 64

typedef struct cache_entry {
    struct xnn_weights_cache_look_up_key key;
    void *data;
} cache_entry;

typedef struct cache {
    struct xnn_weights_cache_provider provider;  /* first: the handle is its address */
    cache_entry *entries;
    size_t n, cap;
    void *pending;  /* reserved, being packed, not yet inserted */
    int sealed;
    const cb_allocator *alloc;
} cache;

static int same_key(const struct xnn_weights_cache_look_up_key *a, const struct xnn_weights_cache_look_up_key *b)
{
    return a->seed == b->seed && a->kernel == b->kernel && a->bias == b->bias;
}

static size_t look_up(void *ctx, const struct xnn_weights_cache_look_up_key *key)
{
    const cache *c = ctx;
    for (size_t i = 0; i < c->n; i++)
        if (same_key(&c->entries[i].key, key)) return i;
    return SIZE_MAX; /* XNN_CACHE_NOT_FOUND */
}

static void *reserve_space(void *ctx, size_t n)
{
    cache *c = ctx;
    if (c->sealed) return NULL;
    cb_aligned_free(c->alloc, c->pending); /* an operator whose creation failed after reserving */
    c->pending = NULL;
    if (c->n == c->cap) {
        const size_t cap = c->cap ? 2 * c->cap : 32;
        cache_entry *e = cb_realloc(c->alloc, c->entries, cap * sizeof *e);
        if (!e) return NULL;
        c->entries = e;
        c->cap = cap;
    }
    const size_t size = (n + CB_PACK_ALIGN - 1) / CB_PACK_ALIGN * CB_PACK_ALIGN;
    c->pending = cb_aligned_alloc(c->alloc, CB_PACK_ALIGN, size ? size : CB_PACK_ALIGN);
    return c->pending;
}

static size_t look_up_or_insert(void *ctx, const struct xnn_weights_cache_look_up_key *key, void *ptr, size_t size)
{
    (void)size;
    cache *c = ctx;
    if (c->sealed || !ptr || ptr != c->pending || c->n == c->cap) return SIZE_MAX;
    c->entries[c->n] = (cache_entry){ *key, ptr };
    c->pending = NULL;
    return c->n++;
}

static bool is_finalized(void *ctx)
{
    return ((const cache *)ctx)->sealed;
}

static void *offset_to_addr(void *ctx, size_t offset)
{
    const cache *c = ctx;
    return offset < c->n ? c->entries[offset].data : NULL;
}

static enum xnn_status delete_cache(void *ctx)
{
    cache *c = ctx;
    const cb_allocator *a = c->alloc;
    for (size_t i = 0; i < c->n; i++) cb_aligned_free(a, c->entries[i].data);
    cb_free(a, c->entries);
    cb_aligned_free(a, c->pending);
    cb_free(a, c);
    return xnn_status_success;
}

cb_status cb_weights_cache_create(const cb_allocator *alloc, xnn_weights_cache_t *out, cb_error *err)
{
    cache *c = cb_calloc(alloc, 1, sizeof *c);
    if (!c) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for the weights cache");
    c->alloc = alloc;
    c->provider = (struct xnn_weights_cache_provider){
        .context = c,
        .look_up = look_up,
        .reserve_space = reserve_space,
        .look_up_or_insert = look_up_or_insert,
        .is_finalized = is_finalized,
        .offset_to_addr = offset_to_addr,
        .delete_cache = delete_cache,
    };
    *out = &c->provider;
    return CB_OK;
}

void cb_weights_cache_seal(xnn_weights_cache_t handle)
{
    cache *c = handle->context;
    cb_aligned_free(c->alloc, c->pending);
    c->pending = NULL;
    c->sealed = 1;
}

void cb_weights_cache_free(xnn_weights_cache_t handle)
{
    if (handle) delete_cache(handle->context);
}
