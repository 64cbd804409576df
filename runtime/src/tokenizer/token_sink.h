/* token_sink.h: where a model (WordPiece now, BPE later) puts the ids of one
 * text.
 *
 * tokenizers 0.23 (PreTokenizedString::tokenize_with_limit) tokenises a
 * text word by word and stops after the first word that brings the count to
 * max_length or more; truncation then compares these capped counts. The sink
 * reproduces that: the model calls cb_sink_word_done after each word, which
 * sets `full` once count >= stop_at, and emits nothing more afterwards.
 * Truncation keeps at most `limit` tokens of a text, so only those are
 * stored; the rest are only counted.
 *
 * Spans (long documents, which are cut into windows of whole words, and
 * report a window's bytes): when `spans` is wanted, each stored token also
 * gets the byte span, in the raw text, of the word it comes from. The model
 * says which word it is emitting in word_begin / word_end; WordPiece learns
 * a word's bytes from src_pos / src_end, the raw bytes of the code point the
 * text cursor is feeding. Two tokens are of one word when their spans begin
 * at the same byte. */
#ifndef CB_TOKEN_SINK_H
#define CB_TOKEN_SINK_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "alloc.h"
#include "crossbyte.h"

/* Bytes [begin, end) of the raw text (texts are at most CB_MAX_TEXT_BYTES). */
typedef struct cb_token_span {
    uint32_t begin, end;
} cb_token_span;

typedef struct cb_token_sink {
    int32_t *ids;     /* first min(count, limit) ids; grows on demand */
    size_t cap;       /* allocated entries of ids */
    size_t limit;     /* never store more than this */
    size_t count;     /* tokens produced so far */
    size_t stop_at;   /* the truncation max_length: stop after the word reaching it */
    int full;         /* count reached stop_at at the end of a word: tokenising is over */
    const cb_allocator *alloc;   /* of ids and spans */
    int want_spans;              /* keep spans[] beside ids[] */
    cb_token_span *spans;        /* first min(count, limit) spans when want_spans */
    cb_token_span word;          /* the word being emitted, set by the model */
    uint32_t src_pos, src_end;   /* WordPiece: raw bytes of the code point being fed */
} cb_token_sink;

static inline cb_status cb_sink_emit(cb_token_sink *s, int32_t id)
{
    if (s->count < s->limit) {
        if (s->count == s->cap) {
            /* Grow geometrically but never past limit: a short text in a
             * long max_length costs little memory. */
            size_t cap = s->cap ? s->cap * 2 : 64;
            if (cap > s->limit) cap = s->limit;
            int32_t *p = cb_realloc(s->alloc, s->ids, cap * sizeof *p);
            if (!p) return CB_ERR_OUT_OF_MEMORY;
            s->ids = p;
            if (s->want_spans) {
                cb_token_span *q = cb_realloc(s->alloc, s->spans, cap * sizeof *q);
                if (!q) return CB_ERR_OUT_OF_MEMORY;   /* ids grew; cap stays: the next emit retries both */
                s->spans = q;
            }
            s->cap = cap;
        }
        s->ids[s->count] = id;
        if (s->want_spans) s->spans[s->count] = s->word;
    }
    s->count++;
    return CB_OK;
}

/* End of one word (one pre-token). Added tokens do not call this: tokenizers
 * does not check the limit after them, only after the next word. */
static inline void cb_sink_word_done(cb_token_sink *s)
{
    if (s->count >= s->stop_at) s->full = 1;
}

#endif
