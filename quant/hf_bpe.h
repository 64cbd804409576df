/* hf_bpe.h: the merges of a byte-level BPE tokenizer, from tokenizer.json's
 * model.merges or from merges.txt.
 *
 * Read as tokenizers 0.23 reads them: merges.txt and the older tokenizer.json
 * form are "left right" lines (convert_merges_to_hashmap: lines starting with
 * "#version" skipped, exactly one ' ' per line), newer tokenizer.json files
 * hold [left, right] pairs. Checked as BpeBuilder::build checks them (left,
 * right and left + right are vocabulary tokens) and packed the way
 * cb_tokenizer_spec carries them: pairs of NUL-terminated strings in rank
 * order. */
#ifndef CB_HF_BPE_H
#define CB_HF_BPE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "crossbyte.h"
#include "vocab_map.h"

typedef struct cb_hf_merges {
    char *blob;        /* owned: n pairs of NUL-terminated strings */
    size_t bytes;
    size_t cap;
    uint32_t n;
    const cb_allocator *alloc;   /* of blob */
} cb_hf_merges;

/* tokenizer.json's model.merges (`file` names it in errors). Appends to out,
 * which starts zeroed. CB_ERR_HF_FORMAT when malformed. */
cb_status cb_hf_merges_from_json(const cJSON *merges, const char *file, const cb_allocator *alloc, cb_hf_merges *out,
                                 cb_error *err);

/* merges.txt. CB_ERR_HF_FORMAT when malformed, or the read errors of
 * cb_read_file. */
cb_status cb_hf_merges_from_txt(const char *path, const cb_allocator *alloc, cb_hf_merges *out, cb_error *err);

/* CB_ERR_HF_FORMAT, naming the merge, unless every merge's parts and their
 * concatenation are in `vocab` (the model vocabulary). */
cb_status cb_hf_merges_check(const cb_hf_merges *m, const cb_vocab_map *vocab, const char *file,
                             cb_error *err);

/* Frees the blob and zeroes *m. NULL is fine. */
void cb_hf_merges_release(cb_hf_merges *m);

#endif
