/* alloc.h: the one door every allocation of the library (runtime/ and quant/)
 * goes through, so that a caller's cb_allocator sees all of them.
 *
 * The allocator travels with the objects: a model keeps a copy of the one in
 * its cb_load_options and every structure it builds keeps a pointer to that
 * copy; the converter takes it from cb_convert_options. NULL (or a
 * cb_allocator with no functions) means the C library. There is no global
 * allocator to set, so two models in one process may use different ones.
 *
 * Outside this door: XNNPACK's own allocations (operators, thread pool; its
 * xnn_initialize allocator is process-global, so the library leaves it
 * alone) and cJSON's (its hooks are process-global too). */
#ifndef CB_ALLOC_H
#define CB_ALLOC_H

#include <stddef.h>

#include "crossbyte.h"

/* Each returns NULL when the allocation fails; a size of 0 is served as 1 so
 * that NULL always means out of memory. cb_calloc also fails (NULL) when
 * n * size overflows. cb_realloc with p NULL is cb_malloc. */
void *cb_malloc(const cb_allocator *a, size_t size);
void *cb_calloc(const cb_allocator *a, size_t n, size_t size);
void *cb_realloc(const cb_allocator *a, void *p, size_t size);
void cb_free(const cb_allocator *a, void *p);

/* A block aligned to `align` (a power of two, at most 4096) from the same
 * allocator, freed only with cb_aligned_free (it keeps the underlying block's
 * address just before the aligned one). */
void *cb_aligned_alloc(const cb_allocator *a, size_t align, size_t size);
void cb_aligned_free(const cb_allocator *a, void *p);

/* CB_ERR_INVALID_ARGUMENT unless `a` is NULL or has all three functions, or
 * none (then it means the C library). */
cb_status cb_allocator_check(const cb_allocator *a, const char *call, cb_error *err);

/* `a` as given, or NULL when it has no functions: what the objects keep. */
const cb_allocator *cb_allocator_or_libc(const cb_allocator *a);

#endif
