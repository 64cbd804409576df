/* st_modules.h: a sentence-transformers bi-encoder folder's modules.json,
 * Pooling config and sentence_bert_config.json. */
#ifndef CB_ST_MODULES_H
#define CB_ST_MODULES_H

#include "alloc.h"
#include "model_config.h"

/* For a bi-encoder config (c->pooling already set to its default): reads the
 * Pooling module's mode, whether a Normalize module follows, and
 * max_seq_length (the default max_length). A folder without modules.json
 * keeps mean pooling and no normalisation, as sentence-transformers does.
 * A pooling mode crossbyte lacks (weighted mean, last token, several at
 * once) is CB_ERR_UNSUPPORTED_MODEL; a Dense module likewise. */
cb_status cb_st_read_modules(const char *dir, const cb_allocator *alloc, cb_model_config *c, cb_error *err);

#endif
