/* tok_support.c: see tok_support.h. */
#include "tok_support.h"

#include <criterion/criterion.h>
#include <stdlib.h>

#include "support.h"

void load_dir(const char *dir, loaded *l)
{
    cb_error err;
    cr_assert_eq(cb_hf_tokenizer_read(dir, NULL, &l->hf, &err), CB_OK, "%s: %s", dir, err.message);
    cr_assert_eq(cb_tokenizer_create(&l->hf.spec, NULL, &l->tok, &err), CB_OK, "%s: %s", dir, err.message);
}

void load_fixture(const char *name, loaded *l)
{
    char *dir = cbt_fixture_path(name, NULL);
    load_dir(dir, l);
    free(dir);
}

void unload(loaded *l)
{
    cb_tokenizer_free(l->tok);
    cb_hf_tokenizer_release(&l->hf);
}

int encode(const cb_tokenizer *tok, const char *a, size_t a_len, const char *b, size_t b_len, int max_length,
           int32_t *ids, int32_t *types)
{
    cb_error err;
    int n = -1;
    cb_status rc = cb_tokenizer_encode_pair(tok, a, a_len, b, b_len, max_length, ids, types, &n, &err);
    cr_assert_eq(rc, CB_OK, "encode failed: %s", err.message);
    cr_assert(n >= 0 && n <= max_length, "n_tokens %d with max_length %d", n, max_length);
    return n;
}
