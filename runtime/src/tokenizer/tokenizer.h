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

/* Encodes one text alone, [CLS] a [SEP], truncated to max_length tokens
 * including specials, as tokenizer(a, truncation=True, max_length=...) does.
 * Errors as cb_tokenizer_encode_pair. */
cb_status cb_tokenizer_encode_single(const cb_tokenizer *tok, const char *a, size_t a_len, int max_length,
                                     int32_t *ids, int32_t *type_ids, int *n_tokens, cb_error *err);

#endif
