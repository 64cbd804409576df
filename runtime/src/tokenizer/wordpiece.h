/* wordpiece.h: BertNormalizer + BertPreTokenizer + WordPiece, as one stream.
 *
 * tokenizers runs these as three passes over a whole string. Every step is
 * local (per code point, except canonical reordering of combining marks,
 * which is local to one run of marks), so feeding code points one at a time
 * gives the same tokens, lets the caller stop as soon as it has enough, and
 * needs memory only for the current word. The order of steps is the crate's:
 * clean_text, handle_chinese_chars, strip_accents (NFD, drop Mn), lowercase;
 * then split on whitespace, isolate punctuation; then WordPiece per word. */
#ifndef CB_WORDPIECE_H
#define CB_WORDPIECE_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "crossbyte.h"
#include "token_sink.h"
#include "tokenizer.h"
#include "vocab_map.h"

/* The model, read-only after cb_wordpiece_init; lives in the tokenizer. */
typedef struct cb_wordpiece {
    const cb_vocab_map *vocab;
    int clean_text;
    int handle_chinese_chars;
    int strip_accents;
    int lowercase;
    const char *prefix;        /* continuing_subword_prefix, e.g. "##" */
    size_t prefix_len;
    uint64_t prefix_hash;      /* cb_hash_bytes of the prefix */
    size_t max_chars;          /* max_input_chars_per_word */
    int32_t unk_id;
} cb_wordpiece;

/* One text's work in progress; owned by one encode call. */
typedef struct cb_mark {
    uint32_t cp;
    uint8_t ccc;
    cb_token_span src;       /* raw bytes of the code point it came from */
} cb_mark;

typedef struct cb_wordpiece_state {
    char *word;              /* UTF-8 of the current word (first max_chars chars) */
    size_t word_bytes;
    size_t word_chars;       /* all chars of the word, also those not stored */
    cb_token_span span;      /* raw bytes of the current word (token_sink.h) */
    uint32_t *bounds;        /* [max_chars + 1] byte offset of each stored char */
    uint64_t *hashes;        /* [max_chars + 1] scratch for the subword search */
    int32_t *pieces;         /* [max_chars] subword ids of the current word */
    cb_mark *marks;          /* non-starters awaiting canonical reordering */
    size_t n_marks, cap_marks;
    const cb_allocator *alloc;
} cb_wordpiece_state;

/* Checks the spec's WordPiece fields and fills wp (vocab is borrowed). */
cb_status cb_wordpiece_init(cb_wordpiece *wp, const cb_tokenizer_spec *spec,
                            const cb_vocab_map *vocab, cb_error *err);

cb_status cb_wordpiece_state_init(cb_wordpiece_state *st, const cb_wordpiece *wp, const cb_allocator *alloc);
void cb_wordpiece_state_release(cb_wordpiece_state *st);

/* One code point of raw text (already valid UTF-8 decoded). Tokens of words
 * it completes go to sink. */
cb_status cb_wordpiece_feed(const cb_wordpiece *wp, cb_wordpiece_state *st, uint32_t cp,
                            cb_token_sink *sink);

/* End of a segment (end of text, or an added token follows): tokenizers
 * normalises and splits each piece between added tokens on its own. */
cb_status cb_wordpiece_end_segment(const cb_wordpiece *wp, cb_wordpiece_state *st,
                                   cb_token_sink *sink);

#endif
