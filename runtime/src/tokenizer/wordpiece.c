/* wordpiece.c: BertNormalizer, BertPreTokenizer and WordPiece, streamed.
 *
 * Mirrors tokenizers 0.23.2: src/normalizers/bert.rs (normalize),
 * src/pre_tokenizers/bert.rs (pre_tokenize) and src/models/wordpiece/mod.rs
 * (tokenize). Each stage hands its output code points to the next. */
#include "wordpiece.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "unicode.h"

/* Upper bound on max_input_chars_per_word: the per-text scratch is sized by
 * it, and no real vocabulary comes near. */
#define CB_WORDPIECE_MAX_CHARS_LIMIT 100000

cb_status cb_wordpiece_init(cb_wordpiece *wp, const cb_tokenizer_spec *spec,
                            const cb_vocab_map *vocab, cb_error *err)
{
    memset(wp, 0, sizeof *wp);
    if (spec->max_input_chars_per_word < 1 ||
        spec->max_input_chars_per_word > CB_WORDPIECE_MAX_CHARS_LIMIT) {
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT,
                       "tokenizer max_input_chars_per_word %d outside [1, %d]",
                       spec->max_input_chars_per_word, CB_WORDPIECE_MAX_CHARS_LIMIT);
    }
    if (spec->unk_id < 0 || (uint32_t)spec->unk_id >= spec->n_vocab) {
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT,
                       "tokenizer unk_id %d outside the vocabulary of %u tokens",
                       (int)spec->unk_id, spec->n_vocab);
    }
    wp->vocab = vocab;
    wp->clean_text = spec->clean_text != 0;
    wp->handle_chinese_chars = spec->handle_chinese_chars != 0;
    wp->strip_accents = spec->strip_accents != 0;
    wp->lowercase = spec->lowercase != 0;
    wp->prefix = spec->continuing_subword_prefix ? spec->continuing_subword_prefix : "";
    wp->prefix_len = strlen(wp->prefix);
    wp->prefix_hash = cb_hash_bytes(CB_HASH_INIT, wp->prefix, wp->prefix_len);
    wp->max_chars = (size_t)spec->max_input_chars_per_word;
    wp->unk_id = spec->unk_id;
    return CB_OK;
}

cb_status cb_wordpiece_state_init(cb_wordpiece_state *st, const cb_wordpiece *wp, const cb_allocator *alloc)
{
    memset(st, 0, sizeof *st);
    st->alloc = alloc;
    size_t n = wp->max_chars;
    st->word = cb_malloc(alloc, n * 4 + 1);
    st->bounds = cb_malloc(alloc, (n + 1) * sizeof *st->bounds);
    st->hashes = cb_malloc(alloc, (n + 1) * sizeof *st->hashes);
    st->pieces = cb_malloc(alloc, n * sizeof *st->pieces);
    if (!st->word || !st->bounds || !st->hashes || !st->pieces) {
        cb_wordpiece_state_release(st);
        return CB_ERR_OUT_OF_MEMORY;
    }
    return CB_OK;
}

void cb_wordpiece_state_release(cb_wordpiece_state *st)
{
    if (!st) return;
    cb_free(st->alloc, st->word);
    cb_free(st->alloc, st->bounds);
    cb_free(st->alloc, st->hashes);
    cb_free(st->alloc, st->pieces);
    cb_free(st->alloc, st->marks);
    memset(st, 0, sizeof *st);
}

/* ---- WordPiece -------------------------------------------------------------- */

static cb_status emit_word(cb_token_sink *sink, const int32_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cb_status rc = cb_sink_emit(sink, ids[i]);
        if (rc != CB_OK) return rc;
    }
    cb_sink_word_done(sink);
    return CB_OK;
}

/* Greedy longest-match-first over the stored word, as WordPiece::tokenize:
 * at each start, the longest vocabulary entry (with the prefix when not at
 * the word's start); if some start has none, the whole word is unk. Ends
 * past the longest vocabulary entry cannot match and are skipped, which
 * changes nothing but the time spent. */
static cb_status wordpiece_word(const cb_wordpiece *wp, cb_wordpiece_state *st,
                                cb_token_sink *sink)
{
    size_t k = st->word_chars;
    if (k == 0 || sink->full) return CB_OK;
    sink->word = st->span;
    if (k > wp->max_chars) return emit_word(sink, &wp->unk_id, 1);

    const cb_vocab_map *v = wp->vocab;
    st->bounds[k] = st->word_bytes;
    size_t n_pieces = 0;
    size_t s = 0;   /* char index of the current start */
    while (s < k) {
        size_t start = st->bounds[s];
        const char *pre = start > 0 ? wp->prefix : "";
        size_t pre_len = start > 0 ? wp->prefix_len : 0;
        uint64_t h = start > 0 ? wp->prefix_hash : CB_HASH_INIT;

        size_t e_max = s;
        for (size_t e = s + 1; e <= k; e++) {
            if (pre_len + (st->bounds[e] - start) > v->max_len) break;
            h = cb_hash_bytes(h, st->word + st->bounds[e - 1], st->bounds[e] - st->bounds[e - 1]);
            st->hashes[e] = h;
            e_max = e;
        }
        int32_t id = -1;
        size_t e = e_max;
        for (; e > s; e--) {
            id = cb_vocab_map_find(v, st->hashes[e], pre, pre_len, st->word + start,
                                   st->bounds[e] - start);
            if (id >= 0) break;
        }
        if (id < 0) return emit_word(sink, &wp->unk_id, 1);
        st->pieces[n_pieces++] = id;
        s = e;
    }
    return emit_word(sink, st->pieces, n_pieces);
}

static cb_status end_word(const cb_wordpiece *wp, cb_wordpiece_state *st, cb_token_sink *sink)
{
    cb_status rc = wordpiece_word(wp, st, sink);
    st->word_bytes = 0;
    st->word_chars = 0;
    return rc;
}

static void append_char(const cb_wordpiece *wp, cb_wordpiece_state *st, uint32_t cp, const cb_token_sink *sink)
{
    /* The word's raw bytes: from its first character's to its last's. */
    if (st->word_chars == 0) st->span.begin = sink->src_pos;
    st->span.end = sink->src_end;
    /* A word longer than max_chars becomes unk whatever its content, so only
     * its length is kept beyond that. */
    if (st->word_chars < wp->max_chars) {
        st->bounds[st->word_chars] = (uint32_t)st->word_bytes;
        st->word_bytes += cb_utf8_encode(cp, st->word + st->word_bytes);
    }
    st->word_chars++;
}

/* ---- BertPreTokenizer --------------------------------------------------------- */

/* Split on char::is_whitespace (removed), then isolate every punctuation
 * character; empty pieces vanish. */
static cb_status pre_tokenize(const cb_wordpiece *wp, cb_wordpiece_state *st, uint32_t cp,
                              cb_token_sink *sink)
{
    unsigned f = cb_unicode_flags(cp);
    if (f & CB_U_STD_WHITESPACE) return end_word(wp, st, sink);
    if (f & CB_U_PUNCT) {
        cb_status rc = end_word(wp, st, sink);
        if (rc != CB_OK) return rc;
        append_char(wp, st, cp, sink);
        return end_word(wp, st, sink);
    }
    append_char(wp, st, cp, sink);
    return CB_OK;
}

/* ---- BertNormalizer ------------------------------------------------------------ */

static cb_status lowercase(const cb_wordpiece *wp, cb_wordpiece_state *st, uint32_t cp,
                           cb_token_sink *sink)
{
    if (!wp->lowercase) return pre_tokenize(wp, st, cp, sink);
    uint32_t low[CB_UNICODE_MAX_LOWER];
    size_t n = cb_unicode_lower(cp, low);
    for (size_t i = 0; i < n; i++) {
        cb_status rc = pre_tokenize(wp, st, low[i], sink);
        if (rc != CB_OK) return rc;
    }
    return CB_OK;
}

/* Releases the waiting non-starters in canonical order: a stable sort by
 * combining class, done as one pass per class present (few classes, and no
 * quadratic case however long an adversarial run of marks is). */
static cb_status flush_marks(const cb_wordpiece *wp, cb_wordpiece_state *st, cb_token_sink *sink)
{
    if (st->n_marks == 0) return CB_OK;
    uint32_t present[8] = {0};
    for (size_t i = 0; i < st->n_marks; i++) {
        present[st->marks[i].ccc >> 5] |= 1u << (st->marks[i].ccc & 31);
    }
    for (unsigned c = 1; c < 256; c++) {
        if (!(present[c >> 5] & (1u << (c & 31)))) continue;
        for (size_t i = 0; i < st->n_marks; i++) {
            if (st->marks[i].ccc != c) continue;
            /* a mark released late still covers its own raw bytes */
            const uint32_t pos = sink->src_pos, end = sink->src_end;
            sink->src_pos = st->marks[i].src.begin;
            sink->src_end = st->marks[i].src.end;
            cb_status rc = lowercase(wp, st, st->marks[i].cp, sink);
            sink->src_pos = pos;
            sink->src_end = end;
            if (rc != CB_OK) return rc;
        }
    }
    st->n_marks = 0;
    return CB_OK;
}

/* NFD, then drop Mn. Dropping before the reordering instead of after gives
 * the same sequence (a stable sort keeps the survivors' relative order) and
 * leaves almost nothing to reorder. A starter (class 0) closes the run of
 * marks before it and can go on at once: marks after it sort among
 * themselves only. */
static cb_status strip_accents(const cb_wordpiece *wp, cb_wordpiece_state *st, uint32_t cp,
                               cb_token_sink *sink)
{
    if (!wp->strip_accents) return lowercase(wp, st, cp, sink);
    uint32_t d[CB_UNICODE_MAX_DECOMP];
    size_t n = cb_unicode_nfd(cp, d);
    for (size_t i = 0; i < n; i++) {
        if (cb_unicode_flags(d[i]) & CB_U_MN) continue;
        unsigned ccc = cb_unicode_ccc(d[i]);
        cb_status rc;
        if (ccc == 0) {
            rc = flush_marks(wp, st, sink);
            if (rc == CB_OK) rc = lowercase(wp, st, d[i], sink);
        } else {
            if (st->n_marks == st->cap_marks) {
                size_t cap = st->cap_marks ? st->cap_marks * 2 : 16;
                cb_mark *p = cb_realloc(st->alloc, st->marks, cap * sizeof *p);
                if (!p) return CB_ERR_OUT_OF_MEMORY;
                st->marks = p;
                st->cap_marks = cap;
            }
            st->marks[st->n_marks].cp = d[i];
            st->marks[st->n_marks].ccc = (uint8_t)ccc;
            st->marks[st->n_marks].src = (cb_token_span){ sink->src_pos, sink->src_end };
            st->n_marks++;
            rc = CB_OK;
        }
        if (rc != CB_OK) return rc;
    }
    return CB_OK;
}

static cb_status chinese_chars(const cb_wordpiece *wp, cb_wordpiece_state *st, uint32_t cp,
                               cb_token_sink *sink)
{
    if (!wp->handle_chinese_chars || !(cb_unicode_flags(cp) & CB_U_CJK)) {
        return strip_accents(wp, st, cp, sink);
    }
    cb_status rc = strip_accents(wp, st, ' ', sink);
    if (rc == CB_OK) rc = strip_accents(wp, st, cp, sink);
    if (rc == CB_OK) rc = strip_accents(wp, st, ' ', sink);
    return rc;
}

cb_status cb_wordpiece_feed(const cb_wordpiece *wp, cb_wordpiece_state *st, uint32_t cp,
                            cb_token_sink *sink)
{
    if (cp < 0x80) {
        /* ASCII, most of most texts: the same steps with nothing to look up.
         * It is never CJK, never decomposes, is no mark and is a starter
         * (so it releases waiting marks when accents are stripped). */
        unsigned f = cb_unicode_flags(cp);
        if (wp->clean_text) {
            if (cp == 0 || (f & CB_U_CONTROL)) return CB_OK;
            if (f & CB_U_WHITESPACE) cp = ' ';
        }
        if (wp->strip_accents && st->n_marks > 0) {
            cb_status rc = flush_marks(wp, st, sink);
            if (rc != CB_OK) return rc;
        }
        if (wp->lowercase && cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
        return pre_tokenize(wp, st, cp, sink);
    }
    if (wp->clean_text) {
        /* Drop NUL, U+FFFD and controls first; then whitespace becomes ' '.
         * The order matters: U+000B, U+000C and U+0085 are whitespace and
         * controls, and are dropped. */
        unsigned f = cb_unicode_flags(cp);
        if (cp == 0 || cp == 0xFFFD || (f & CB_U_CONTROL)) return CB_OK;
        if (f & CB_U_WHITESPACE) cp = ' ';
    }
    return chinese_chars(wp, st, cp, sink);
}

cb_status cb_wordpiece_end_segment(const cb_wordpiece *wp, cb_wordpiece_state *st,
                                   cb_token_sink *sink)
{
    cb_status rc = flush_marks(wp, st, sink);
    if (rc != CB_OK) return rc;
    return end_word(wp, st, sink);
}
