/* hf_tokenizer.h: a cb_tokenizer_spec from a Hugging Face model folder.
 *
 * Reads tokenizer.json when present, else vocab.txt + tokenizer_config.json
 * with BertTokenizer's defaults, or vocab.json + merges.txt for the
 * byte-level BPE classes, and applies what transformers does on top:
 * for the BERT tokenizer classes, tokenizer_config.json's do_lower_case,
 * strip_accents and tokenize_chinese_chars decide the normaliser. Special
 * tokens are found by name in the vocabulary, never by fixed id. */
#ifndef CB_HF_TOKENIZER_H
#define CB_HF_TOKENIZER_H

#include <stdint.h>

#include "alloc.h"
#include "crossbyte.h"
#include "tokenizer_spec.h"

typedef struct cb_hf_tokenizer {
    cb_tokenizer_spec spec;   /* vocab and added_ids point into the owned buffers below */
    char *vocab_blob;         /* owned; also holds continuing_subword_prefix after the vocab */
    char *merges_blob;        /* owned; BPE merges (spec.merges), NULL for WordPiece */
    int32_t *added_ids;       /* owned */
    int model_max_length;     /* tokenizer_config.json's model_max_length, 0 if absent or absurd (>1e6) */
    const cb_allocator *alloc;   /* of the owned buffers */
} cb_hf_tokenizer;

/* Errors: CB_ERR_MISSING_FILE (no folder, or no tokenizer.json, vocab.txt or
 * vocab.json + merges.txt), CB_ERR_HF_FORMAT (malformed JSON or inconsistent content, naming
 * the file), CB_ERR_UNSUPPORTED_MODEL (a normalizer, pre-tokenizer, model,
 * post-processor or added-token option this runtime does not reproduce,
 * naming it), CB_ERR_IO, CB_ERR_OUT_OF_MEMORY. On failure *out is zeroed. */
cb_status cb_hf_tokenizer_read(const char *hf_dir, const cb_allocator *alloc, cb_hf_tokenizer *out, cb_error *err);

/* Frees what cb_hf_tokenizer_read allocated; zeroes *t. NULL is fine. */
void cb_hf_tokenizer_release(cb_hf_tokenizer *t);

#endif
