/* tok_support.h: the tokenizer suites' shared helpers: a tokenizer read from
 * a Hugging Face folder, and encoding that fails the test on error. */
#ifndef CB_TEST_TOK_SUPPORT_H
#define CB_TEST_TOK_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "hf_tokenizer.h"
#include "tokenizer.h"

typedef struct loaded {
    cb_hf_tokenizer hf;
    cb_tokenizer *tok;
} loaded;

void load_dir(const char *dir, loaded *l);
void load_fixture(const char *name, loaded *l);   /* a folder under the fixtures */
void unload(loaded *l);

/* Encodes and returns the token count; fails the test on error. */
int encode(const cb_tokenizer *tok, const char *a, size_t a_len, const char *b, size_t b_len, int max_length,
           int32_t *ids, int32_t *types);

#endif
