/* bpe.h: the byte-level BPE model (RoBERTa, DeBERTa, GPT-2).
 *
 * tokenizers' ByteLevel pre-tokenizer turns every byte of a pre-token into
 * one character of GPT-2's byte-to-unicode alphabet ("Ġ" for ' '), and its
 * BPE model (src/models/bpe) starts from one symbol per character and merges
 * adjacent symbols by rank: always the pair of lowest rank, the leftmost of
 * equal ones (Word::merge_all). The vocabulary and merges are in that
 * alphabet; here a symbol is a vocabulary id from the start, so a pre-token
 * is tokenised straight from its bytes without building strings, and no
 * cache is needed for speed. */
#ifndef CB_BPE_H
#define CB_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "crossbyte.h"
#include "token_sink.h"
#include "tokenizer.h"
#include "vocab_map.h"

/* The model, read-only after cb_bpe_init; lives in the tokenizer. */
typedef struct cb_bpe {
    int32_t byte_id[256];   /* id of each byte's alphabet character, -1 if not in the vocabulary */
    /* Merge table, open addressing: key = (left id << 32 | right id) + 1
     * (0 = empty slot), value = rank << 32 | id of left + right. */
    uint64_t *keys;
    uint64_t *values;
    uint64_t mask;
    int32_t unk_id;         /* -1: unknown bytes are dropped, as BPE without unk_token does */
    int fuse_unk;
    const cb_allocator *alloc;
} cb_bpe;

/* One text's scratch; owned by one encode call, grown to the longest
 * pre-token seen. */
typedef struct cb_bpe_state {
    int32_t *sym;           /* id of each symbol; -1 once merged into its left neighbour */
    int32_t *prev, *next;   /* neighbours among live symbols, -1 at the ends */
    uint64_t *heap;         /* candidate merges, rank << 32 | position: a min-heap */
    size_t cap;             /* symbols the arrays hold (the heap twice as many) */
    const cb_allocator *alloc;
} cb_bpe_state;

/* Checks the spec's BPE fields, maps the byte alphabet and every merge to
 * ids (vocab is borrowed). A merge whose parts or result are not in the
 * vocabulary is CB_ERR_INVALID_ARGUMENT, as tokenizers refuses it. */
cb_status cb_bpe_init(cb_bpe *bpe, const cb_allocator *alloc, const cb_tokenizer_spec *spec,
                      const cb_vocab_map *vocab, cb_error *err);
void cb_bpe_release(cb_bpe *bpe);

void cb_bpe_state_init(cb_bpe_state *st, const cb_allocator *alloc);
void cb_bpe_state_release(cb_bpe_state *st);

/* Tokenises one pre-token, a ' ' (when lead_space) then bytes[0, n): its
 * ids go to sink, then the word ends (cb_sink_word_done), also when it
 * yields no token. CB_ERR_OUT_OF_MEMORY is the only error. */
cb_status cb_bpe_word(const cb_bpe *bpe, cb_bpe_state *st, int lead_space, const char *bytes,
                      size_t n, cb_token_sink *sink);

#endif
