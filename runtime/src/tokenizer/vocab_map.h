/* vocab_map.h: token string -> id, built once from the spec's vocabulary blob.
 *
 * Open addressing over FNV-1a hashes. Lookups take the key in two pieces
 * (prefix + piece) and a hash the caller may have computed incrementally, so
 * WordPiece can probe "##" + every substring of a word without building
 * strings. Read-only after build: safe to share between threads. */
#ifndef CB_VOCAB_MAP_H
#define CB_VOCAB_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "crossbyte.h"
#include "alloc.h"

typedef struct cb_vocab_map {
    const char *blob;      /* borrowed: the spec's vocabulary */
    uint32_t n;            /* number of tokens */
    uint32_t *offset;      /* [n] start of token i in blob */
    uint32_t *len;         /* [n] byte length of token i */
    uint64_t *hash;        /* [n] hash of token i */
    uint32_t *slots;       /* [mask + 1] id + 1, 0 = empty */
    uint32_t mask;
    size_t max_len;        /* longest token in bytes: bounds WordPiece's search */
    const cb_allocator *alloc;   /* the arrays' allocator (alloc.h) */
} cb_vocab_map;

#define CB_HASH_INIT 0xcbf29ce484222325ull

static inline uint64_t cb_hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

/* Builds the map over n NUL-terminated strings in blob[0..bytes). When a
 * string occurs twice the later id wins, as tokenizers' vocabulary loading
 * does. CB_ERR_INVALID_ARGUMENT if the blob holds fewer than n strings. */
cb_status cb_vocab_map_build(cb_vocab_map *m, const cb_allocator *alloc, const char *blob, size_t bytes, uint32_t n,
                             cb_error *err);
void cb_vocab_map_release(cb_vocab_map *m);

/* Id of the token a[0..na) followed by b[0..nb), whose hash is h (computed
 * with cb_hash_bytes over a then b from CB_HASH_INIT); -1 if absent. */
int32_t cb_vocab_map_find(const cb_vocab_map *m, uint64_t h, const char *a, size_t na,
                          const char *b, size_t nb);

/* Id of s[0..n); -1 if absent. */
int32_t cb_vocab_map_lookup(const cb_vocab_map *m, const char *s, size_t n);

/* Token string of id (NUL-terminated, inside the blob) and its length. */
static inline const char *cb_vocab_map_token(const cb_vocab_map *m, int32_t id, size_t *len)
{
    *len = m->len[id];
    return m->blob + m->offset[id];
}

#endif
