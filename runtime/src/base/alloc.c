/* alloc.c: see alloc.h. */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static int custom(const cb_allocator *a)
{
    return a && a->malloc;
}

void *cb_malloc(const cb_allocator *a, size_t size)
{
    if (size == 0) size = 1;
    return custom(a) ? a->malloc(a->user, size) : malloc(size);
}

void *cb_calloc(const cb_allocator *a, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) return NULL;
    const size_t bytes = n * size;
    void *p = cb_malloc(a, bytes);
    if (p) memset(p, 0, bytes > 0 ? bytes : 1);
    return p;
}

void *cb_realloc(const cb_allocator *a, void *p, size_t size)
{
    if (!p) return cb_malloc(a, size);
    if (size == 0) size = 1;
    return custom(a) ? a->realloc(a->user, p, size) : realloc(p, size);
}

void cb_free(const cb_allocator *a, void *p)
{
    if (!p) return;
    if (custom(a)) a->free(a->user, p);
    else free(p);
}

void *cb_aligned_alloc(const cb_allocator *a, size_t align, size_t size)
{
    /* Over-allocate and keep the raw address in the word before the aligned
     * block: works with any malloc, libc's or the caller's. */
    const size_t extra = align - 1 + sizeof(void *);
    if (align == 0 || (align & (align - 1)) != 0 || align > 4096 || size > SIZE_MAX - extra) return NULL;
    unsigned char *raw = cb_malloc(a, size + extra);
    if (!raw) return NULL;
    uintptr_t at = ((uintptr_t)raw + sizeof(void *) + align - 1) & ~(uintptr_t)(align - 1);
    void **slot = (void **)at - 1;
    *slot = raw;
    return (void *)at;
}

void cb_aligned_free(const cb_allocator *a, void *p)
{
    if (p) cb_free(a, ((void **)p)[-1]);
}

cb_status cb_allocator_check(const cb_allocator *a, const char *call, cb_error *err)
{
    if (!a) return CB_OK;
    const int n = !!a->malloc + !!a->realloc + !!a->free;
    if (n != 0 && n != 3)
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "%s: the allocator needs malloc, realloc and free (or none of them)",
                       call);
    return CB_OK;
}

const cb_allocator *cb_allocator_or_libc(const cb_allocator *a)
{
    return custom(a) ? a : NULL;
}
