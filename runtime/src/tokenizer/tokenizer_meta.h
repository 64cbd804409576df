/* tokenizer_meta.h: a cb_tokenizer_spec to and from the .cbm metadata. One
 * file for both directions, so writer and reader cannot drift apart. */
#ifndef CB_TOKENIZER_META_H
#define CB_TOKENIZER_META_H

#include <cjson/cJSON.h>

#include "alloc.h"
#include "tokenizer_spec.h"

/* The "tokenizer" object of the metadata (everything but the vocabulary
 * bytes and BPE merges, which travel as the u8 tensors "tokenizer.vocab" and
 * "tokenizer.merges"). NULL on OOM. */
cJSON *cb_tokenizer_spec_to_json(const cb_tokenizer_spec *spec);

/* Fills spec from the metadata object and the vocabulary bytes. The spec's
 * added_ids are allocated from `alloc` into *added_ids_owned (cb_free it
 * with the same allocator after use). */
cb_status cb_tokenizer_spec_from_json(const cJSON *obj, const char *vocab, size_t vocab_bytes,
                                      const cb_allocator *alloc, cb_tokenizer_spec *spec, int32_t **added_ids_owned,
                                      cb_error *err);

/* Attaches the merges (the u8 tensor "tokenizer.merges", NULL when the file
 * has none) to a spec filled by cb_tokenizer_spec_from_json: a BPE spec
 * takes exactly the metadata's n_merges pairs of strings; a WordPiece spec
 * takes none. */
cb_status cb_tokenizer_spec_merges_from_json(const cJSON *obj, const char *merges, size_t merges_bytes,
                                             cb_tokenizer_spec *spec, cb_error *err);

#endif
