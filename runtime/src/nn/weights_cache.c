/* weights_cache.c: see weights_cache.h. The "offset" XNNPACK keeps for a
 * packed matrix is our entry index; each entry is its own aligned block, so
 * nothing moves when the cache grows. */
#include "weights_cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__linux__) && !defined(__EMSCRIPTEN__)
#include <sys/mman.h>
#define CB_HAVE_ARENA 1
#endif

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
    /* With the C library's allocator: one anonymous mapping the packed
     * matrices are carved from, in transparent huge pages where the kernel
     * gives them (MADV_HUGEPAGE). XNNPACK writes every byte of a packed
     * matrix once at load; in 4 KiB pages that was a page fault per 4 KiB
     * (about 6,000 for MiniLM-L6, most of its load time). Only what is used
     * is ever touched; a matrix that does not fit goes to the allocator. */
    uint8_t *arena;
    size_t arena_size, arena_used;
} cache;

static int in_arena(const cache *c, const void *p)
{
    return c->arena && (const uint8_t *)p >= c->arena && (const uint8_t *)p < c->arena + c->arena_size;
}

static void release_block(cache *c, void *p)
{
    if (p && !in_arena(c, p)) cb_aligned_free(c->alloc, p);
}

static void *take_block(cache *c, size_t size)
{
    if (c->arena && size <= c->arena_size - c->arena_used) {
        void *p = c->arena + c->arena_used;
        c->arena_used += size;
        return p;
    }
    return cb_aligned_alloc(c->alloc, CB_PACK_ALIGN, size);
}

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
    release_block(c, c->pending); /* an operator whose creation failed after reserving */
    c->pending = NULL;
    if (c->n == c->cap) {
        const size_t cap = c->cap ? 2 * c->cap : 32;
        cache_entry *e = cb_realloc(c->alloc, c->entries, cap * sizeof *e);
        if (!e) return NULL;
        c->entries = e;
        c->cap = cap;
    }
    const size_t size = (n + CB_PACK_ALIGN - 1) / CB_PACK_ALIGN * CB_PACK_ALIGN;
    c->pending = take_block(c, size ? size : CB_PACK_ALIGN);
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
    for (size_t i = 0; i < c->n; i++) release_block(c, c->entries[i].data);
    release_block(c, c->pending);
#ifdef CB_HAVE_ARENA
    if (c->arena) munmap(c->arena, c->arena_size);
#endif
    cb_free(a, c->entries);
    cb_free(a, c);
    return xnn_status_success;
}

/* Address space for the arena: reserved, not committed (MAP_NORESERVE), so
 * only the pages XNNPACK writes cost memory. 2 MiB aligned, so that huge
 * pages can back it from its first byte. */
#define CB_HUGE_PAGE ((size_t)2 << 20)

static void map_arena(cache *c, size_t bytes)
{
#ifdef CB_HAVE_ARENA
    if (c->alloc || bytes == 0) return;
    const size_t size = (bytes + CB_HUGE_PAGE - 1) / CB_HUGE_PAGE * CB_HUGE_PAGE;
    const size_t span = size + CB_HUGE_PAGE;
    uint8_t *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return; /* the allocator serves every matrix instead */
    uint8_t *start = (uint8_t *)(((uintptr_t)p + CB_HUGE_PAGE - 1) / CB_HUGE_PAGE * CB_HUGE_PAGE);
    if (start > p) munmap(p, (size_t)(start - p));
    if (start + size < p + span) munmap(start + size, (size_t)(p + span - (start + size)));
#ifdef MADV_HUGEPAGE
    madvise(start, size, MADV_HUGEPAGE); /* advice: without it the arena still works, in small pages */
#endif
    c->arena = start;
    c->arena_size = size;
#else
    (void)c;
    (void)bytes;
#endif
}

cb_status cb_weights_cache_create(const cb_allocator *alloc, size_t size_hint, xnn_weights_cache_t *out,
                                  cb_error *err)
{
    cache *c = cb_calloc(alloc, 1, sizeof *c);
    if (!c) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for the weights cache");
    c->alloc = alloc;
    map_arena(c, size_hint);
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

void cb_weights_cache_placement(xnn_weights_cache_t handle, size_t *arena_bytes, size_t *allocated)
{
    const cache *c = handle->context;
    *arena_bytes = c->arena_used;
    *allocated = 0;
    for (size_t i = 0; i < c->n; i++) *allocated += !in_arena(c, c->entries[i].data);
}

void cb_weights_cache_seal(xnn_weights_cache_t handle)
{
    cache *c = handle->context;
    release_block(c, c->pending);
    c->pending = NULL;
    c->sealed = 1;
}

void cb_weights_cache_free(xnn_weights_cache_t handle)
{
    if (handle) delete_cache(handle->context);
}
