/* tokenizer.h: text pair -> token ids, as Hugging Face's tokenizers does it.
 *
 * A tokenizer is built once from a cb_tokenizer_spec (which the converter
 * fills from tokenizer.json / tokenizer_config.json / vocab files, and the
 * model loader fills from a .cbm file) and is read-only afterwards: any number
 * of threads may encode with one tokenizer at the same time.
 */
#ifndef CB_TOKENIZER_H
#define CB_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "crossbyte.h"
#include "token_sink.h"
#include "tokenizer_spec.h"

typedef struct cb_tokenizer cb_tokenizer;

/* Everything the tokenizer allocates, now and in every encode call, comes
 * from `alloc` (alloc.h; NULL = the C library), which must outlive it. */
cb_status cb_tokenizer_create(const cb_tokenizer_spec *spec, const cb_allocator *alloc, cb_tokenizer **out,
                              cb_error *err);
void cb_tokenizer_free(cb_tokenizer *tok);

/* Number of special tokens the pair template adds (3 for BERT, 4 for RoBERTa). */
int cb_tokenizer_num_special(const cb_tokenizer *tok);

/* Number of special tokens around one text encoded alone (2 for BERT). */
int cb_tokenizer_num_special_single(const cb_tokenizer *tok);

/* Looks a token string up in the vocabulary; -1 if absent. */
int32_t cb_tokenizer_token_id(const cb_tokenizer *tok, const char *token);

/* Encodes (a, b) with the pair template and longest_first truncation to
 * max_length tokens including specials, exactly as
 * tokenizer(a, b, truncation=True, max_length=max_length) does.
 * ids and type_ids hold at least max_length entries; *n_tokens gets the count.
 * Errors: CB_ERR_INVALID_UTF8 (message says which text and byte offset),
 * CB_ERR_TEXT_TOO_LONG, CB_ERR_MAX_LENGTH (max_length < number of specials),
 * CB_ERR_OUT_OF_MEMORY. */
cb_status cb_tokenizer_encode_pair(const cb_tokenizer *tok,
                                   const char *a, size_t a_len,
                                   const char *b, size_t b_len,
                                   int max_length, int32_t *ids, int32_t *type_ids,
                                   int *n_tokens, cb_error *err);

/* One text's tokens as the pair encoder sees them, before truncation and the
 * template (long documents build their windows from these). */
typedef struct cb_text_tokens {
    int32_t *ids;           /* the first `stored` ids */
    cb_token_span *spans;   /* when asked: each stored id's word, bytes of the text */
    size_t stored;          /* min(count, limit) */
    size_t count;           /* tokens produced: tokenising stops after the word that reaches stop_at */
} cb_text_tokens;

/* Validates and tokenises one text (`which` names it in messages: "a", "b");
 * keeps at most `limit` ids; stops after the word that brings the count to
 * stop_at (SIZE_MAX: the whole text). Errors as cb_tokenizer_encode_pair.
 * On success *out owns its arrays: cb_text_tokens_release. */
cb_status cb_tokenizer_text(const cb_tokenizer *tok, const char *s, size_t len, const char *which, size_t limit,
                            size_t stop_at, int want_spans, cb_text_tokens *out, cb_error *err);
void cb_text_tokens_release(const cb_tokenizer *tok, cb_text_tokens *t);

/* tokenizers' longest_first: how many of na and nb tokens a pair keeps
 * within budget (max_length minus the template's specials). */
void cb_tokenizer_truncate_pair(size_t na, size_t nb, size_t budget, size_t *ta, size_t *tb);

/* The pair template around ta ids of A and tb ids of B; returns the count
 * (ta + tb + cb_tokenizer_num_special). type_ids may be NULL. */
int cb_tokenizer_apply_template(const cb_tokenizer *tok, const int32_t *a_ids, size_t ta, const int32_t *b_ids,
                                size_t tb, int32_t *ids, int32_t *type_ids);

/* Encodes one text alone, [CLS] a [SEP], truncated to max_length tokens
 * including specials, as tokenizer(a, truncation=True, max_length=...) does.
 * Errors as cb_tokenizer_encode_pair. */
cb_status cb_tokenizer_encode_single(const cb_tokenizer *tok, const char *a, size_t a_len, int max_length,
                                     int32_t *ids, int32_t *type_ids, int *n_tokens, cb_error *err);

#endif
