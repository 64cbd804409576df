/* tokenizer_spec.h: what a tokenizer is made of (cb_tokenizer_spec), in a
 * header of its own: the converter fills it from Hugging Face's files and
 * writes it into a .cbm (quant/), the runtime fills it from a .cbm
 * (tokenizer_meta.c); neither needs the tokenizer's code to do so. */
#ifndef CB_TOKENIZER_SPEC_H
#define CB_TOKENIZER_SPEC_H

#include <stddef.h>
#include <stdint.h>

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

#endif
