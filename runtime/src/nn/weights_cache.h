/* weights_cache.h: XNNPACK packs each weight matrix once per model, and every
 * workspace's operators find it by key, without packing or hashing again. */
#ifndef CB_WEIGHTS_CACHE_H
#define CB_WEIGHTS_CACHE_H

#include <xnnpack.h>

#include "alloc.h"
#include "crossbyte.h"

/* A cache provider for xnn_create_fully_connected_nc_* (XNNPACK's
 * xnn_weights_cache_provider). Why not xnn_create_weights_cache: its look-up
 * by key is not implemented, so every new workspace packed every matrix again
 * and then found the copy by a MurmurHash of the packed bytes, which was a
 * fifth of the time to load MiniLM.
 *
 * Protocol: create, build the first workspace (which packs everything), then
 * cb_weights_cache_seal. After sealing the cache is read-only: any number of
 * threads may create workspaces at once, and a look-up that misses makes
 * operator creation fail instead of growing the cache. */
/* The packed matrices are allocated from `alloc` (alloc.h), which must
 * outlive the cache. A failed reservation makes XNNPACK's operator creation
 * fail with xnn_status_out_of_memory. */
/* size_hint: about how many bytes the packed matrices take (0: unknown).
 * With the C library's allocator (alloc NULL) on Linux they are carved from
 * one mapping of that size in huge pages (weights_cache.c says why). */
cb_status cb_weights_cache_create(const cb_allocator *alloc, size_t size_hint, xnn_weights_cache_t *out,
                                  cb_error *err);
void cb_weights_cache_seal(xnn_weights_cache_t cache);
/* How the packed matrices were placed: bytes carved from the arena and
 * matrices the allocator holds (tests/test_weights_cache.c). */
void cb_weights_cache_placement(xnn_weights_cache_t cache, size_t *arena_bytes, size_t *allocated);
void cb_weights_cache_free(xnn_weights_cache_t cache);

#endif
