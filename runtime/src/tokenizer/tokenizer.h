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

typedef enum cb_tokenizer_kind {
    CB_TOKENIZER_WORDPIECE = 1,   /* BERT, ELECTRA, MiniLM */
    CB_TOKENIZER_BPE = 2          /* byte-level BPE: RoBERTa, DeBERTa, GPT-2 */
} cb_tokenizer_kind;

/* One item of the pair template (tokenizers' TemplateProcessing "pair"). */
typedef enum cb_template_item_kind {
    CB_TEMPLATE_SPECIAL = 0,      /* a special token, by id */
    CB_TEMPLATE_SEQUENCE_A = 1,
    CB_TEMPLATE_SEQUENCE_B = 2
} cb_template_item_kind;

typedef struct cb_template_item {
    cb_template_item_kind kind;
    int32_t id;                   /* token id for CB_TEMPLATE_SPECIAL */
    int32_t type_id;              /* token type id given to the item's tokens */
} cb_template_item;

#define CB_TEMPLATE_MAX 8

/* Flags of an added token (tokenizers' AddedToken lstrip / rstrip): it also
 * takes the whitespace before / after it, which then belongs to no text. */
#define CB_ADDED_LSTRIP 1u
#define CB_ADDED_RSTRIP 2u

typedef struct cb_tokenizer_spec {
    cb_tokenizer_kind kind;

    /* BertNormalizer switches (tokenizer.json "normalizer"). strip_accents is
     * already resolved: Hugging Face's null means "same as lowercase". */
    int clean_text;
    int handle_chinese_chars;
    int strip_accents;
    int lowercase;

    /* WordPiece model */
    int max_input_chars_per_word;            /* 100 */
    const char *continuing_subword_prefix;   /* "##" */
    int32_t unk_id;                          /* id of the unknown token; BPE: -1 = none */

    /* Vocabulary: n_vocab NUL-terminated token strings back to back, in id
     * order (string i has id i). Borrowed: must outlive the tokenizer. */
    const char *vocab;
    size_t vocab_bytes;
    uint32_t n_vocab;

    /* Special tokens matched in raw text before normalisation (tokenizers'
     * added tokens with "special": true), by id; may be empty. */
    const int32_t *added_ids;
    uint32_t n_added;

    /* The pair template, e.g. [CLS] A [SEP] B [SEP] with types 0 0 0 1 1. */
    cb_template_item pair_template[CB_TEMPLATE_MAX];
    int n_template;

    /* Byte-level BPE (kind CB_TOKENIZER_BPE): no normaliser, the ByteLevel
     * pre-tokenizer (GPT-2 pattern, byte-to-unicode map), a BPE model over
     * the vocabulary above, which is in GPT-2's byte alphabet ("Ġthe").
     * merges: n_merges pairs of NUL-terminated strings (left, right) back to
     * back, in rank order. Borrowed like the vocabulary. */
    const char *merges;
    size_t merges_bytes;
    uint32_t n_merges;
    int add_prefix_space;   /* ByteLevel: a ' ' before each text piece not starting with one */
    int fuse_unk;           /* BPE: consecutive unknown bytes give one unk_id */

    /* NULL, or CB_ADDED_* flags for each of added_ids (BPE only: around a
     * WordPiece added token whitespace gives no token anyway). */
    const uint8_t *added_strip;
} cb_tokenizer_spec;

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
