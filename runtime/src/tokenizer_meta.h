/* tokenizer_meta.h: a cb_tokenizer_spec to and from the .cbm metadata. One
 * file for both directions, so writer and reader cannot drift apart. */
#ifndef CB_TOKENIZER_META_H
#define CB_TOKENIZER_META_H

#include <cjson/cJSON.h>

#include "tokenizer.h"

/* The "tokenizer" object of the metadata (everything but the vocabulary
 * bytes, which travel as the u8 tensor "tokenizer.vocab"). NULL on OOM. */
cJSON *cb_tokenizer_spec_to_json(const cb_tokenizer_spec *spec);

/* Fills spec from the metadata object and the vocabulary bytes. The spec's
 * added_ids are malloc'd into *added_ids_owned (free it after use). */
cb_status cb_tokenizer_spec_from_json(const cJSON *obj, const char *vocab, size_t vocab_bytes,
                                      cb_tokenizer_spec *spec, int32_t **added_ids_owned,
                                      cb_error *err);

#endif
