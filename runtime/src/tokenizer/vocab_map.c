/* vocab_map.c: the vocabulary hash map. */
#include "vocab_map.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

static int key_equals(const cb_vocab_map *m, uint32_t id, const char *a, size_t na,
                      const char *b, size_t nb)
{
    if (m->len[id] != na + nb) return 0;
    const char *t = m->blob + m->offset[id];
    return memcmp(t, a, na) == 0 && memcmp(t + na, b, nb) == 0;
}

/* The slot holding the key, or the empty slot where it would go. */
static uint32_t probe(const cb_vocab_map *m, uint64_t h, const char *a, size_t na,
                      const char *b, size_t nb)
{
    uint32_t i = (uint32_t)(h ^ (h >> 32)) & m->mask;
    for (;;) {
        uint32_t s = m->slots[i];
        if (s == 0) return i;
        uint32_t id = s - 1;
        if (m->hash[id] == h && key_equals(m, id, a, na, b, nb)) return i;
        i = (i + 1) & m->mask;
    }
}

cb_status cb_vocab_map_build(cb_vocab_map *m, const cb_allocator *alloc, const char *blob, size_t bytes, uint32_t n,
                             cb_error *err)
{
    memset(m, 0, sizeof *m);
    m->alloc = alloc;
    if (!blob && n > 0) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "vocabulary is NULL");
    if (n > (UINT32_MAX >> 2)) {
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "vocabulary of %u tokens is too large", n);
    }
    /* Offsets and lengths are 32-bit. */
    if (bytes > UINT32_MAX) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "vocabulary blob larger than 4 GiB");
    /* Load factor at most 1/2 keeps linear probing short. */
    uint32_t cap = 16;
    while (cap < 2u * n) cap <<= 1;

    m->blob = blob;
    m->n = n;
    m->offset = cb_malloc(alloc, sizeof *m->offset * (n ? n : 1));
    m->len = cb_malloc(alloc, sizeof *m->len * (n ? n : 1));
    m->hash = cb_malloc(alloc, sizeof *m->hash * (n ? n : 1));
    m->slots = cb_calloc(alloc, cap, sizeof *m->slots);
    m->mask = cap - 1;
    if (!m->offset || !m->len || !m->hash || !m->slots) {
        cb_vocab_map_release(m);
        return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory building the vocabulary map");
    }

    size_t pos = 0;
    for (uint32_t id = 0; id < n; id++) {
        const char *end = pos < bytes ? memchr(blob + pos, '\0', bytes - pos) : NULL;
        if (!end) {
            cb_vocab_map_release(m);
            return cb_fail(err, CB_ERR_INVALID_ARGUMENT,
                           "vocabulary blob ends after %u of %u tokens", id, n);
        }
        size_t len = (size_t)(end - (blob + pos));
        m->offset[id] = (uint32_t)pos;
        m->len[id] = (uint32_t)len;
        m->hash[id] = cb_hash_bytes(CB_HASH_INIT, blob + pos, len);
        if (len > m->max_len) m->max_len = len;
        uint32_t slot = probe(m, m->hash[id], blob + pos, len, "", 0);
        m->slots[slot] = id + 1;   /* a duplicate string: the later id replaces it */
        pos += len + 1;
    }
    return CB_OK;
}

void cb_vocab_map_release(cb_vocab_map *m)
{
    if (!m) return;
    cb_free(m->alloc, m->offset);
    cb_free(m->alloc, m->len);
    cb_free(m->alloc, m->hash);
    cb_free(m->alloc, m->slots);
    memset(m, 0, sizeof *m);
}

int32_t cb_vocab_map_find(const cb_vocab_map *m, uint64_t h, const char *a, size_t na,
                          const char *b, size_t nb)
{
    if (na + nb > m->max_len) return -1;
    uint32_t s = m->slots[probe(m, h, a, na, b, nb)];
    return s ? (int32_t)(s - 1) : -1;
}

int32_t cb_vocab_map_lookup(const cb_vocab_map *m, const char *s, size_t n)
{
    return cb_vocab_map_find(m, cb_hash_bytes(CB_HASH_INIT, s, n), s, n, "", 0);
}
