/* tokenizer.c: a text pair -> ids, as tokenizers' Tokenizer::encode does it:
 * split each text on added (special) tokens, run the model on the pieces
 * between them (stopping once a text has max_length tokens, as tokenizers
 * 0.23 does), truncate the pair longest_first, apply the pair template.
 *
 * The model is WordPiece (wordpiece.c), fed one code point at a time from
 * cursor_step, or byte-level BPE (bpe.c), fed one pre-token at a time from
 * bpe_step (ByteLevel's pattern, gpt2_split.c, needs to see a little ahead).
 * Added tokens, limits, truncation and the template are shared. */
#include "tokenizer.h"

#include <stdlib.h>
#include <string.h>

#include "bpe.h"
#include "error.h"
#include "gpt2_split.h"
#include "token_sink.h"
#include "unicode.h"
#include "vocab_map.h"
#include "wordpiece.h"

typedef struct added_token {
    const char *str;   /* inside the vocabulary blob */
    size_t len;
    int32_t id;
    unsigned strip;    /* CB_ADDED_* */
} added_token;

struct cb_tokenizer {
    cb_tokenizer_spec spec;      /* copy; its pointers are borrowed */
    cb_vocab_map vocab;
    cb_wordpiece wordpiece;      /* kind CB_TOKENIZER_WORDPIECE */
    cb_bpe bpe;                  /* kind CB_TOKENIZER_BPE */
    added_token *added;          /* longest first, for leftmost-longest matching */
    size_t n_added;
    uint32_t added_first[8];     /* bitset of the added tokens' first bytes */
    int n_special;
    /* One text alone: the pair template up to A and the special right after
     * it ([CLS] A [SEP], <s> A </s>), which is the "single" template of
     * tokenizers' BertProcessing, RobertaProcessing and the BERT-family
     * TemplateProcessing. */
    int n_single, n_single_special;
    const cb_allocator *alloc;
};

/* ---- creation ---------------------------------------------------------------- */

static int cmp_added(const void *pa, const void *pb)
{
    const added_token *a = pa, *b = pb;
    if (a->len != b->len) return a->len < b->len ? 1 : -1;
    return (a->id > b->id) - (a->id < b->id);
}

static cb_status check_template(const cb_tokenizer_spec *spec, int *n_special, cb_error *err)
{
    if (spec->n_template < 2 || spec->n_template > CB_TEMPLATE_MAX) {
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "pair template has %d items, need 2 to %d",
                       spec->n_template, CB_TEMPLATE_MAX);
    }
    int n_a = 0, n_b = 0, n_s = 0;
    for (int i = 0; i < spec->n_template; i++) {
        const cb_template_item *it = &spec->pair_template[i];
        switch (it->kind) {
        case CB_TEMPLATE_SPECIAL:
            if (it->id < 0 || (uint32_t)it->id >= spec->n_vocab) {
                return cb_fail(err, CB_ERR_INVALID_ARGUMENT,
                               "pair template token id %d outside the vocabulary of %u tokens",
                               (int)it->id, spec->n_vocab);
            }
            n_s++;
            break;
        case CB_TEMPLATE_SEQUENCE_A: n_a++; break;
        case CB_TEMPLATE_SEQUENCE_B: n_b++; break;
        default:
            return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "pair template item %d has kind %d", i,
                           (int)it->kind);
        }
    }
    if (n_a != 1 || n_b != 1) {
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT,
                       "pair template must hold sequence A and B once each");
    }
    *n_special = n_s;
    return CB_OK;
}

static cb_status build_added(cb_tokenizer *tok, cb_error *err)
{
    const cb_tokenizer_spec *spec = &tok->spec;
    if (spec->n_added == 0) return CB_OK;
    if (!spec->added_ids) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "added_ids is NULL");
    tok->added = cb_calloc(tok->alloc, spec->n_added, sizeof *tok->added);
    if (!tok->added) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for added tokens");
    for (uint32_t i = 0; i < spec->n_added; i++) {
        int32_t id = spec->added_ids[i];
        if (id < 0 || (uint32_t)id >= spec->n_vocab) {
            return cb_fail(err, CB_ERR_INVALID_ARGUMENT,
                           "added token id %d outside the vocabulary of %u tokens", (int)id,
                           spec->n_vocab);
        }
        size_t len;
        const char *s = cb_vocab_map_token(&tok->vocab, id, &len);
        if (len == 0) continue;   /* an empty pattern matches nothing */
        tok->added[tok->n_added].str = s;
        tok->added[tok->n_added].len = len;
        tok->added[tok->n_added].id = id;
        tok->added[tok->n_added].strip = spec->added_strip ? spec->added_strip[i] : 0;
        tok->n_added++;
        unsigned char b = (unsigned char)s[0];
        tok->added_first[b >> 5] |= 1u << (b & 31);
    }
    qsort(tok->added, tok->n_added, sizeof *tok->added, cmp_added);
    return CB_OK;
}

cb_status cb_tokenizer_create(const cb_tokenizer_spec *spec, const cb_allocator *alloc, cb_tokenizer **out,
                              cb_error *err)
{
    if (!out) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "out is NULL");
    *out = NULL;
    if (!spec) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "tokenizer spec is NULL");
    if (spec->kind != CB_TOKENIZER_WORDPIECE && spec->kind != CB_TOKENIZER_BPE) {
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "unknown tokenizer kind %d", (int)spec->kind);
    }

    cb_tokenizer *tok = cb_calloc(alloc, 1, sizeof *tok);
    if (!tok) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for the tokenizer");
    tok->alloc = alloc;
    tok->spec = *spec;
    cb_status rc = check_template(spec, &tok->n_special, err);
    for (int i = 0; rc == CB_OK && i < spec->n_template; i++) {
        const cb_template_item_kind k = spec->pair_template[i].kind;
        if (k == CB_TEMPLATE_SEQUENCE_B) break;
        tok->n_single = i + 1;
        if (k == CB_TEMPLATE_SPECIAL) tok->n_single_special++;
        if (k == CB_TEMPLATE_SPECIAL && i > 0 && spec->pair_template[i - 1].kind == CB_TEMPLATE_SEQUENCE_A) break;
    }
    if (rc == CB_OK) rc = cb_vocab_map_build(&tok->vocab, alloc, spec->vocab, spec->vocab_bytes,
                                             spec->n_vocab, err);
    if (rc == CB_OK) {
        rc = spec->kind == CB_TOKENIZER_BPE ? cb_bpe_init(&tok->bpe, alloc, spec, &tok->vocab, err)
                                            : cb_wordpiece_init(&tok->wordpiece, spec, &tok->vocab, err);
    }
    if (rc == CB_OK) rc = build_added(tok, err);
    if (rc != CB_OK) {
        cb_tokenizer_free(tok);
        return rc;
    }
    *out = tok;
    return CB_OK;
}

void cb_tokenizer_free(cb_tokenizer *tok)
{
    if (!tok) return;
    cb_vocab_map_release(&tok->vocab);
    cb_bpe_release(&tok->bpe);
    cb_free(tok->alloc, tok->added);
    cb_free(tok->alloc, tok);
}

int cb_tokenizer_num_special(const cb_tokenizer *tok)
{
    return tok ? tok->n_special : 0;
}

int cb_tokenizer_num_special_single(const cb_tokenizer *tok)
{
    return tok ? tok->n_single_special : 0;
}

int32_t cb_tokenizer_token_id(const cb_tokenizer *tok, const char *token)
{
    if (!tok || !token) return -1;
    return cb_vocab_map_lookup(&tok->vocab, token, strlen(token));
}

/* ---- one text, tokenised on demand ------------------------------------------------ */

typedef struct text_cursor {
    const char *text;
    size_t len;
    size_t pos;                   /* next raw byte to feed */
    cb_wordpiece_state state;
    cb_bpe_state bpe;
    /* BPE: no added token starts in text[pos, scan); when scan_hit, the
     * piece being pre-tokenised ends at scan: the text ends there, or the
     * added token `hit` starts there or (lstrip) after whitespace from there. */
    size_t scan;
    int scan_hit;
    const added_token *hit;
    size_t hit_pos;
    int piece_start;              /* BPE: pos is the first byte of a piece */
    cb_token_sink sink;
    int done;                     /* text ended, or tokenising stopped at the limit */
} text_cursor;

/* The added token starting at text[pos], the longest if several do; NULL if
 * none. Trying every position in order, as the text is consumed, finds the
 * leftmost start and there the longest token: daachorse's LeftmostLongest,
 * which AddedVocabulary uses, without scanning ahead of what is needed. */
static const added_token *added_at_pos(const cb_tokenizer *tok, const text_cursor *c, size_t pos)
{
    unsigned char b = (unsigned char)c->text[pos];
    if (!(tok->added_first[b >> 5] & (1u << (b & 31)))) return NULL;
    size_t left = c->len - pos;
    for (size_t k = 0; k < tok->n_added; k++) {
        const added_token *a = &tok->added[k];
        if (a->len <= left && memcmp(c->text + pos, a->str, a->len) == 0) return a;
    }
    return NULL;
}

static const added_token *added_at(const cb_tokenizer *tok, const text_cursor *c)
{
    return added_at_pos(tok, c, c->pos);
}

/* ---- BPE: one pre-token or added token per step ------------------------------------- */

/* Bytes looked ahead for added tokens at a time, at least. */
#define SCAN_CHUNK 256

/* White_Space, as the regex \s with which AddedVocabulary strips (the same
 * property as the GPT-2 pattern's \s). */
static int is_space_at(const text_cursor *c, size_t pos, size_t *len)
{
    uint32_t cp = 0;
    *len = cb_utf8_decode((const unsigned char *)c->text + pos, c->len - pos, &cp);
    return *len > 0 && cb_unicode_gpt2_class(cp) == CB_GPT2_SPACE;
}

/* Start of the whitespace that ends at `end`, going back no further than
 * `floor`. */
static size_t space_before(const text_cursor *c, size_t end, size_t floor)
{
    while (end > floor) {
        size_t start = end - 1, len;
        while (start > floor && ((unsigned char)c->text[start] & 0xC0) == 0x80) start--;
        if (!is_space_at(c, start, &len) || start + len != end) break;
        end = start;
    }
    return end;
}

/* Moves scan forward by about `want` bytes (then to a character boundary),
 * or to the next added token or the end of the text, whichever comes first.
 * An lstrip token ends the piece where the whitespace before it starts: no
 * pre-token taken so far reaches into that whitespace (the pattern cannot
 * settle a match that touches the edge of what is scanned), so pos is as far
 * back as AddedVocabulary's own limit, the end of the last added token. */
static void extend_scan(const cb_tokenizer *tok, text_cursor *c, size_t want)
{
    if (tok->n_added == 0) {
        c->scan = c->len;   /* nothing can end a piece but the text's end */
        c->scan_hit = 1;
        return;
    }
    size_t stop = c->len - c->scan > want ? c->scan + want : c->len;
    while (c->scan < c->len) {
        if (c->scan >= stop && ((unsigned char)c->text[c->scan] & 0xC0) != 0x80) return;
        const added_token *a = added_at_pos(tok, c, c->scan);
        if (a) {
            c->hit = a;
            c->hit_pos = c->scan;
            if (a->strip & CB_ADDED_LSTRIP) c->scan = space_before(c, c->scan, c->pos);
            break;
        }
        c->scan++;
    }
    c->scan_hit = 1;
}

/* tokenizers splits the text on added tokens, and ByteLevel splits each
 * piece between them with the GPT-2 pattern (adding a leading space to the
 * piece first when add_prefix_space and it has none); each match is one word
 * for the BPE model. The pattern's match is found in the text as far as
 * scanned for added tokens; when it would need to look further, the scan
 * goes on (doubling, so a long word costs linear time) and it is redone. */
static cb_status bpe_step(const cb_tokenizer *tok, text_cursor *c)
{
    if (c->pos == c->len) {
        c->done = 1;
        return CB_OK;
    }
    int lead = c->piece_start && tok->spec.add_prefix_space && c->text[c->pos] != ' ';
    size_t end = c->pos;
    for (;;) {
        if (c->scan == c->pos && !c->scan_hit) extend_scan(tok, c, SCAN_CHUNK);
        if (c->scan == c->pos) {
            /* The added token `hit` (scan_hit, and pos < len), maybe after
             * whitespace it strips (also when that whitespace is what was
             * left of the piece). An empty piece gives no word, nor a prefix
             * space. */
            const added_token *a = c->hit;
            c->pos = c->hit_pos + a->len;
            size_t len;
            if (a->strip & CB_ADDED_RSTRIP) {
                while (c->pos < c->len && is_space_at(c, c->pos, &len)) c->pos += len;
            }
            c->scan = c->pos;
            c->scan_hit = 0;
            c->hit = NULL;
            c->piece_start = 1;
            return cb_sink_emit(&c->sink, a->id);
        }
        if (cb_gpt2_match(c->text, c->pos, c->scan, c->scan_hit, lead, &end)) break;
        size_t seen = c->scan - c->pos;
        extend_scan(tok, c, seen > SCAN_CHUNK ? seen : SCAN_CHUNK);
    }
    cb_status rc = cb_bpe_word(&tok->bpe, &c->bpe, lead, c->text + c->pos, end - c->pos, &c->sink);
    c->pos = end;
    c->piece_start = 0;
    return rc;
}

/* ---- WordPiece: one code point or added token per step ------------------------------- */

static cb_status cursor_step(const cb_tokenizer *tok, text_cursor *c)
{
    if (tok->spec.kind == CB_TOKENIZER_BPE) return bpe_step(tok, c);
    const cb_wordpiece *wp = &tok->wordpiece;
    if (c->pos == c->len) {
        c->done = 1;
        return cb_wordpiece_end_segment(wp, &c->state, &c->sink);
    }
    const added_token *a = added_at(tok, c);
    if (a) {
        /* The text before it is a segment of its own. */
        cb_status rc = cb_wordpiece_end_segment(wp, &c->state, &c->sink);
        /* The word just ended may have reached the limit: then tokenizers
         * stops before this added token. */
        if (rc == CB_OK && !c->sink.full) rc = cb_sink_emit(&c->sink, a->id);
        c->pos += a->len;
        return rc;
    }
    uint32_t cp = 0;
    /* The text was validated up front, so this always decodes. */
    size_t n = cb_utf8_decode((const unsigned char *)c->text + c->pos, c->len - c->pos, &cp);
    c->pos += n ? n : 1;
    return cb_wordpiece_feed(wp, &c->state, cp, &c->sink);
}

/* Tokenises the whole text, or up to the word where tokenizers'
 * tokenize_with_limit stops (see token_sink.h). The count is then what
 * tokenizers' truncation sees, so a huge text costs only max_length tokens
 * of work and still gives the same ids. */
static cb_status run(const cb_tokenizer *tok, text_cursor *c)
{
    while (!c->done) {
        cb_status rc = cursor_step(tok, c);
        if (rc != CB_OK) return rc;
        if (c->sink.full) c->done = 1;
    }
    return CB_OK;
}

/* ---- truncation -------------------------------------------------------------------- */

/* tokenizers' truncate_encodings, LongestFirst with a pair (utils/truncation.rs),
 * with budget = max_length minus the template's special tokens, over the
 * counts that tokenising with the limit produced (see run). The shorter text
 * is kept whole if the longer one can give up enough; otherwise each gets
 * budget / 2 and the longer one (B on a tie) the odd token. */
static void longest_first(size_t na, size_t nb, size_t budget, size_t *ta, size_t *tb)
{
    if (na + nb <= budget) {
        *ta = na;
        *tb = nb;
        return;
    }
    size_t n1 = na, n2 = nb;
    int swap = 0;
    if (n1 > n2) {
        swap = 1;
        n1 = nb;
        n2 = na;
    }
    if (n1 > budget) {
        n2 = n1;
    } else {
        n2 = n1 > budget - n1 ? n1 : budget - n1;
    }
    if (n1 + n2 > budget) {
        n1 = budget / 2;
        n2 = n1 + budget % 2;
    }
    if (swap) {
        size_t t = n1;
        n1 = n2;
        n2 = t;
    }
    *ta = n1 < na ? n1 : na;
    *tb = n2 < nb ? n2 : nb;
}

/* ---- encode -------------------------------------------------------------------------- */

static cb_status check_text(const char *s, size_t *len, const char *which, cb_error *err)
{
    if (*len == CB_NUL_TERMINATED) {
        if (!s) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "text %s is NULL", which);
        *len = strlen(s);
    }
    if (!s && *len > 0) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "text %s is NULL", which);
    if (*len > CB_MAX_TEXT_BYTES) {
        return cb_fail(err, CB_ERR_TEXT_TOO_LONG, "text %s has %zu bytes, more than the limit of %u",
                       which, *len, (unsigned)CB_MAX_TEXT_BYTES);
    }
    size_t bad;
    if (*len > 0 && !cb_utf8_validate(s, *len, &bad)) {
        return cb_fail(err, CB_ERR_INVALID_UTF8, "text %s is not valid UTF-8 at byte offset %zu",
                       which, bad);
    }
    return CB_OK;
}

static cb_status cursor_init(const cb_tokenizer *tok, text_cursor *c, const char *s, size_t len,
                             size_t budget, size_t max_length)
{
    memset(c, 0, sizeof *c);
    c->text = s ? s : "";
    c->len = len;
    c->sink.limit = budget;
    c->sink.stop_at = max_length;
    c->sink.alloc = tok->alloc;
    c->piece_start = 1;
    cb_bpe_state_init(&c->bpe, tok->alloc);
    c->state.alloc = tok->alloc;
    if (tok->spec.kind == CB_TOKENIZER_BPE) return CB_OK;   /* BPE scratch grows on demand */
    return cb_wordpiece_state_init(&c->state, &tok->wordpiece, tok->alloc);
}

static void cursor_release(text_cursor *c)
{
    cb_wordpiece_state_release(&c->state);
    cb_bpe_state_release(&c->bpe);
    cb_free(c->sink.alloc, c->sink.ids);
}

/* The template's items in order: specials by id, then the kept tokens of A
 * (ta of a_ids) and B (tb of b_ids), each with its item's type id. */
static int emit_template(const cb_template_item *items, int n_items, const int32_t *a_ids, size_t ta,
                         const int32_t *b_ids, size_t tb, int32_t *ids, int32_t *type_ids)
{
    int n = 0;
    for (int i = 0; i < n_items; i++) {
        const cb_template_item *it = &items[i];
        if (it->kind == CB_TEMPLATE_SPECIAL) {
            ids[n] = it->id;
            if (type_ids) type_ids[n] = it->type_id;
            n++;
            continue;
        }
        const int is_a = it->kind == CB_TEMPLATE_SEQUENCE_A;
        const int32_t *src = is_a ? a_ids : b_ids;
        const size_t count = is_a ? ta : tb;   /* never more than the sink stored */
        for (size_t k = 0; k < count; k++) {
            ids[n] = src[k];
            if (type_ids) type_ids[n] = it->type_id;
            n++;
        }
    }
    return n;
}

cb_status cb_tokenizer_encode_pair(const cb_tokenizer *tok,
                                   const char *a, size_t a_len,
                                   const char *b, size_t b_len,
                                   int max_length, int32_t *ids, int32_t *type_ids,
                                   int *n_tokens, cb_error *err)
{
    if (!tok || !ids || !n_tokens) {
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "tokenizer, ids or n_tokens is NULL");
    }
    *n_tokens = 0;
    if (max_length < tok->n_special) {
        return cb_fail(err, CB_ERR_MAX_LENGTH,
                       "max_length %d is less than the %d special tokens of a pair", max_length,
                       tok->n_special);
    }
    cb_status rc = check_text(a, &a_len, "a", err);
    if (rc == CB_OK) rc = check_text(b, &b_len, "b", err);
    if (rc != CB_OK) return rc;

    size_t budget = (size_t)(max_length - tok->n_special);
    text_cursor text_a, text_b;
    cb_status rca = cursor_init(tok, &text_a, a, a_len, budget, (size_t)max_length);
    cb_status rcb = cursor_init(tok, &text_b, b, b_len, budget, (size_t)max_length);
    rc = rca != CB_OK ? rca : rcb;
    /* A zero budget keeps no token of either text: nothing to tokenise. */
    if (rc == CB_OK && budget > 0) rc = run(tok, &text_a);
    if (rc == CB_OK && budget > 0) rc = run(tok, &text_b);
    if (rc != CB_OK) {
        cursor_release(&text_a);
        cursor_release(&text_b);
        return cb_fail(err, rc, "out of memory while tokenising");
    }

    size_t ta = 0, tb = 0;
    if (budget > 0) longest_first(text_a.sink.count, text_b.sink.count, budget, &ta, &tb);

    const int n = emit_template(tok->spec.pair_template, tok->spec.n_template, text_a.sink.ids, ta, text_b.sink.ids,
                                tb, ids, type_ids);
    cursor_release(&text_a);
    cursor_release(&text_b);
    *n_tokens = n;
    cb_error_clear(err);
    return CB_OK;
}

cb_status cb_tokenizer_encode_single(const cb_tokenizer *tok, const char *a, size_t a_len, int max_length,
                                     int32_t *ids, int32_t *type_ids, int *n_tokens, cb_error *err)
{
    if (!tok || !ids || !n_tokens) {
        return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "tokenizer, ids or n_tokens is NULL");
    }
    *n_tokens = 0;
    if (max_length < tok->n_single_special) {
        return cb_fail(err, CB_ERR_MAX_LENGTH, "max_length %d is less than the %d special tokens of a text",
                       max_length, tok->n_single_special);
    }
    cb_status rc = check_text(a, &a_len, "a", err);
    if (rc != CB_OK) return rc;
    const size_t budget = (size_t)(max_length - tok->n_single_special);
    text_cursor text;
    rc = cursor_init(tok, &text, a, a_len, budget, (size_t)max_length);
    if (rc == CB_OK && budget > 0) rc = run(tok, &text);
    if (rc != CB_OK) {
        cursor_release(&text);
        return cb_fail(err, rc, "out of memory while tokenising");
    }
    /* Truncation of one text keeps its first `budget` tokens. */
    const size_t count = text.sink.count < budget ? text.sink.count : budget;
    const int n = emit_template(tok->spec.pair_template, tok->n_single, text.sink.ids, count, NULL, 0, ids, type_ids);
    cursor_release(&text);
    *n_tokens = n;
    cb_error_clear(err);
    return CB_OK;
}
