/* bpe.c: byte-level BPE, as tokenizers 0.23.2 runs it: src/models/bpe/model.rs
 * (BpeBuilder::build, merge_word), src/models/bpe/word.rs (merge_all) and
 * the byte-to-unicode map of src/pre_tokenizers/byte_level.rs. */
#include "bpe.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "unicode.h"

/* GPT-2's byte-to-unicode map (bytes_char): printable Latin-1 bytes stand
 * for themselves, the others (controls, space, NBSP, soft hyphen) become
 * U+0100 upwards in byte order. */
static uint32_t byte_char(unsigned b, uint32_t *next_extra)
{
    int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    return printable ? b : 256 + (*next_extra)++;
}

/* ---- the merge table ------------------------------------------------------------ */

static uint64_t pair_key(int32_t a, int32_t b)
{
    return ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) + 1;
}

static uint64_t slot_of(const cb_bpe *bpe, uint64_t key)
{
    return ((key * 0x9E3779B97F4A7C15ull) >> 32) & bpe->mask;
}

/* rank << 32 | merged id of the pair (a, b) into *value; 0 if no merge. */
static int merge_find(const cb_bpe *bpe, int32_t a, int32_t b, uint64_t *value)
{
    uint64_t key = pair_key(a, b);
    for (uint64_t i = slot_of(bpe, key);; i = (i + 1) & bpe->mask) {
        uint64_t k = bpe->keys[i];
        if (k == key) {
            *value = bpe->values[i];
            return 1;
        }
        if (k == 0) return 0;
    }
}

/* A pair listed twice keeps its later rank: tokenizers collects the merges
 * into a hash map in order, and the later insert wins. */
static void merge_put(cb_bpe *bpe, int32_t a, int32_t b, uint32_t rank, int32_t merged)
{
    uint64_t key = pair_key(a, b);
    uint64_t i = slot_of(bpe, key);
    while (bpe->keys[i] != 0 && bpe->keys[i] != key) i = (i + 1) & bpe->mask;
    bpe->keys[i] = key;
    bpe->values[i] = (uint64_t)rank << 32 | (uint32_t)merged;
}

/* The next NUL-terminated string of the merges blob at *pos, or NULL when the
 * blob ends first. */
static const char *next_string(const cb_tokenizer_spec *spec, size_t *pos, size_t *len)
{
    if (*pos >= spec->merges_bytes) return NULL;
    const char *s = spec->merges + *pos;
    const char *nul = memchr(s, '\0', spec->merges_bytes - *pos);
    if (!nul) return NULL;
    *len = (size_t)(nul - s);
    *pos += *len + 1;
    return s;
}

static cb_status build_merges(cb_bpe *bpe, const cb_tokenizer_spec *spec, const cb_vocab_map *vocab,
                              cb_error *err)
{
    uint32_t n = spec->n_merges;
    if (n > 0 && !spec->merges) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "tokenizer merges are NULL");
    if (n > (UINT32_MAX >> 2)) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "%u merges are too many", n);
    /* Load factor at most 1/2 keeps linear probing short. */
    uint64_t cap = 16;
    while (cap < 2ull * n) cap <<= 1;
    bpe->keys = cb_calloc(bpe->alloc, (size_t)cap, sizeof *bpe->keys);
    bpe->values = cb_malloc(bpe->alloc, (size_t)cap * sizeof *bpe->values);
    bpe->mask = cap - 1;
    if (!bpe->keys || !bpe->values) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for %u merges", n);

    size_t pos = 0;
    for (uint32_t r = 0; r < n; r++) {
        size_t la = 0, lb = 0;
        const char *a = next_string(spec, &pos, &la);
        const char *b = a ? next_string(spec, &pos, &lb) : NULL;
        if (!b) {
            return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "tokenizer merges end after %u of %u merges", r, n);
        }
        int32_t ia = cb_vocab_map_lookup(vocab, a, la), ib = cb_vocab_map_lookup(vocab, b, lb);
        uint64_t h = cb_hash_bytes(cb_hash_bytes(CB_HASH_INIT, a, la), b, lb);
        int32_t merged = cb_vocab_map_find(vocab, h, a, la, b, lb);
        if (ia < 0 || ib < 0 || merged < 0) {
            return cb_fail(err, CB_ERR_INVALID_ARGUMENT,
                           "tokenizer merge %u (\"%.40s\" \"%.40s\"): %s is not in the vocabulary", r, a, b,
                           ia < 0 ? "the left part" : ib < 0 ? "the right part" : "the merged token");
        }
        merge_put(bpe, ia, ib, r, merged);
    }
    if (pos != spec->merges_bytes) {
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "tokenizer merges hold more than %u merges", n);
    }
    return CB_OK;
}

cb_status cb_bpe_init(cb_bpe *bpe, const cb_allocator *alloc, const cb_tokenizer_spec *spec,
                      const cb_vocab_map *vocab, cb_error *err)
{
    memset(bpe, 0, sizeof *bpe);
    bpe->alloc = alloc;
    if (spec->unk_id < -1 || (spec->unk_id >= 0 && (uint32_t)spec->unk_id >= spec->n_vocab)) {
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "tokenizer unk_id %d outside the vocabulary of %u tokens",
                       (int)spec->unk_id, spec->n_vocab);
    }
    bpe->unk_id = spec->unk_id;
    bpe->fuse_unk = spec->fuse_unk != 0;
    uint32_t extra = 0;
    for (unsigned b = 0; b < 256; b++) {
        char utf8[4];
        size_t len = cb_utf8_encode(byte_char(b, &extra), utf8);
        bpe->byte_id[b] = cb_vocab_map_lookup(vocab, utf8, len);
    }
    cb_status rc = build_merges(bpe, spec, vocab, err);
    if (rc != CB_OK) cb_bpe_release(bpe);
    return rc;
}

void cb_bpe_release(cb_bpe *bpe)
{
    if (!bpe) return;
    cb_free(bpe->alloc, bpe->keys);
    cb_free(bpe->alloc, bpe->values);
    memset(bpe, 0, sizeof *bpe);
}

/* ---- one word ----------------------------------------------------------------------- */

void cb_bpe_state_init(cb_bpe_state *st, const cb_allocator *alloc)
{
    memset(st, 0, sizeof *st);
    st->alloc = alloc;
}

void cb_bpe_state_release(cb_bpe_state *st)
{
    if (!st) return;
    cb_free(st->alloc, st->sym);
    cb_free(st->alloc, st->prev);
    cb_free(st->alloc, st->next);
    cb_free(st->alloc, st->heap);
    const cb_allocator *alloc = st->alloc;
    memset(st, 0, sizeof *st);
    st->alloc = alloc;
}

static cb_status reserve(cb_bpe_state *st, size_t n)
{
    if (n <= st->cap) return CB_OK;
    size_t cap = st->cap ? st->cap : 64;
    while (cap < n) cap *= 2;
    if (cap > SIZE_MAX / (2 * sizeof *st->heap) || cap > (size_t)INT32_MAX) return CB_ERR_OUT_OF_MEMORY;
    /* Each array is replaced on its own, so a failure leaves every pointer
     * valid for release; cap only grows once all four succeeded. */
    int32_t *sym = cb_realloc(st->alloc, st->sym, cap * sizeof *sym);
    if (sym) st->sym = sym;
    int32_t *prev = cb_realloc(st->alloc, st->prev, cap * sizeof *prev);
    if (prev) st->prev = prev;
    int32_t *next = cb_realloc(st->alloc, st->next, cap * sizeof *next);
    if (next) st->next = next;
    /* At most 2 entries per symbol: the initial pairs, and per merge one pop
     * and at most two pushes. */
    uint64_t *heap = cb_realloc(st->alloc, st->heap, 2 * cap * sizeof *heap);
    if (heap) st->heap = heap;
    if (!sym || !prev || !next || !heap) return CB_ERR_OUT_OF_MEMORY;
    st->cap = cap;
    return CB_OK;
}

static void sift_down(uint64_t *h, size_t n, size_t i)
{
    uint64_t v = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && h[c + 1] < h[c]) c++;
        if (h[c] >= v) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = v;
}

static void push(uint64_t *h, size_t *n, uint64_t v)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p] <= v) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = v;
}

static uint64_t pop(uint64_t *h, size_t *n)
{
    uint64_t top = h[0];
    h[0] = h[--*n];
    if (*n > 0) sift_down(h, *n, 0);
    return top;
}

/* Queues the merge of the symbol at `pos` with its right neighbour, if any. */
static void queue_pair(const cb_bpe *bpe, cb_bpe_state *st, size_t *n_heap, int32_t pos)
{
    uint64_t v;
    int32_t right = st->next[pos];
    if (right >= 0 && merge_find(bpe, st->sym[pos], st->sym[right], &v)) {
        push(st->heap, n_heap, (v >> 32) << 32 | (uint32_t)pos);
    }
}

/* Word::merge_all: pops candidate merges by (rank, position); an entry is
 * stale when its left symbol was merged away, has no right neighbour any
 * more, or now forms another pair (then its rank differs: each pair has one
 * rank, and a position's pair only ever grows). A merge keeps the left
 * symbol's position and queues the two pairs it forms. */
static void merge_all(const cb_bpe *bpe, cb_bpe_state *st, size_t count)
{
    size_t n_heap = 0;
    for (size_t i = 0; i + 1 < count; i++) {
        uint64_t v;
        if (merge_find(bpe, st->sym[i], st->sym[i + 1], &v)) st->heap[n_heap++] = (v >> 32) << 32 | i;
    }
    for (size_t i = n_heap / 2; i-- > 0;) sift_down(st->heap, n_heap, i);

    while (n_heap > 0) {
        uint64_t top = pop(st->heap, &n_heap);
        int32_t pos = (int32_t)(uint32_t)top;
        int32_t right = st->next[pos];
        uint64_t v;
        if (st->sym[pos] < 0 || right < 0) continue;
        if (!merge_find(bpe, st->sym[pos], st->sym[right], &v) || (v >> 32) != (top >> 32)) continue;
        st->sym[pos] = (int32_t)(uint32_t)v;
        st->sym[right] = -1;
        st->next[pos] = st->next[right];
        if (st->next[pos] >= 0) st->prev[st->next[pos]] = pos;
        if (st->prev[pos] >= 0) queue_pair(bpe, st, &n_heap, st->prev[pos]);
        queue_pair(bpe, st, &n_heap, pos);
    }
}

cb_status cb_bpe_word(const cb_bpe *bpe, cb_bpe_state *st, int lead_space, const char *bytes,
                      size_t n, cb_token_sink *sink)
{
    size_t lead = lead_space != 0;
    if (reserve(st, n + lead) != CB_OK) return CB_ERR_OUT_OF_MEMORY;

    /* merge_word: one symbol per character, i.e. per byte. A character
     * missing from the vocabulary becomes unk_id (consecutive ones one unk
     * when fuse_unk), or is dropped without an unk token. */
    size_t count = 0;
    int last_unk = 0;
    for (size_t i = 0; i < n + lead; i++) {
        unsigned char b = i < lead ? ' ' : (unsigned char)bytes[i - lead];
        int32_t id = bpe->byte_id[b];
        if (id < 0) {
            if (bpe->unk_id < 0 || (bpe->fuse_unk && last_unk)) continue;
            id = bpe->unk_id;
            last_unk = 1;
        } else {
            last_unk = 0;
        }
        st->sym[count] = id;
        st->prev[count] = (int32_t)count - 1;
        st->next[count] = (int32_t)count + 1;
        count++;
    }
    if (count > 0) {
        st->next[count - 1] = -1;
        merge_all(bpe, st, count);
        for (int32_t i = 0; i >= 0; i = st->next[i]) {
            cb_status rc = cb_sink_emit(sink, st->sym[i]);
            if (rc != CB_OK) return rc;
        }
    }
    cb_sink_word_done(sink);
    return CB_OK;
}
