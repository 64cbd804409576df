/* test_tokenizer.c: the WordPiece tokenizer against Hugging Face's output.
 *
 * Every fixture's reference.json holds the input_ids and token_type_ids that
 * transformers 5.17 / tokenizers 0.23.2 produced for each pair at two
 * max_lengths; the spec is read from the same folder with
 * cb_hf_tokenizer_read. The other tests pin down errors, truncation of huge
 * texts, and the vocab.txt path. Fixtures: $CB_FIXTURES, else CB_FIXTURES_DIR.
 */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include "json_reader.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crossbyte.h"
#include "hf_tokenizer.h"
#include "read_file.h"
#include "tok_support.h"
#include "tokenizer.h"
#include "unicode.h"

#ifndef CB_FIXTURES_DIR
#define CB_FIXTURES_DIR "tests/fixtures"
#endif

static const char *fixtures_dir(void)
{
    const char *e = getenv("CB_FIXTURES");
    return e && *e ? e : CB_FIXTURES_DIR;
}

static void fixture_path(char *out, size_t cap, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", fixtures_dir(), name);
    cr_assert(n > 0 && (size_t)n < cap, "fixture path too long");
}

/* ---- helpers ----------------------------------------------------------------------- */


/* Checks every pair of every case of a folder's reference.json, through the
 * tokenizer read from `dir`. */
static void check_reference(const char *name, const char *dir)
{
    char ref_path[4096];
    fixture_path(ref_path, sizeof ref_path, name);
    strncat(ref_path, "/reference.json", sizeof ref_path - strlen(ref_path) - 1);
    loaded l;
    load_dir(dir, &l);
    jv ref;
    load_json(ref_path, &ref);
    const jv *cases = jget(&ref, "cases");
    cr_assert(cases && cases->type == J_ARR && cases->n > 0, "%s: no cases", ref_path);

    int checked = 0, passed = 0;
    for (size_t c = 0; c < cases->n; c++) {
        const jv *cs = &cases->items[c];
        int max_length = (int)jget(cs, "max_length")->num;
        const jv *pairs = jget(cs, "pairs"), *want_ids = jget(cs, "input_ids");
        const jv *want_types = jget(cs, "token_type_ids");
        cr_assert(pairs && want_ids && want_types && pairs->n == want_ids->n && pairs->n == want_types->n);
        int32_t *ids = malloc((size_t)max_length * sizeof *ids);
        int32_t *types = malloc((size_t)max_length * sizeof *types);
        cr_assert(ids && types);
        for (size_t i = 0; i < pairs->n; i++) {
            const jv *a = &pairs->items[i].items[0], *b = &pairs->items[i].items[1];
            int n = encode(l.tok, a->str, a->str_len, b->str, b->str_len, max_length, ids, types);
            const jv *wi = &want_ids->items[i], *wt = &want_types->items[i];
            int ok = (size_t)n == wi->n && (size_t)n == wt->n;
            int at = -1;
            for (int k = 0; ok && k < n; k++) {
                if (ids[k] != (int32_t)wi->items[k].num || types[k] != (int32_t)wt->items[k].num) {
                    ok = 0;
                    at = k;
                }
            }
            checked++;
            passed += ok;
            cr_expect(ok, "%s max_length %d pair %zu: %d tokens (want %zu), first difference at %d",
                      name, max_length, i, n, wi->n, at);
        }
        free(ids);
        free(types);
    }
    fprintf(stderr, "%s (%s): %d/%d pairs identical\n", name, dir, passed, checked);
    cr_assert_eq(passed, checked);
    jfree(&ref);
    unload(&l);
}

static void check_fixture(const char *name)
{
    char dir[4096];
    fixture_path(dir, sizeof dir, name);
    check_reference(name, dir);
}

/* ---- the reference fixtures ----------------------------------------------------------- */

Test(reference, bert_tiny) { check_fixture("bert-tiny"); }
Test(reference, bert_minilm_h384) { check_fixture("bert-minilm-h384"); }
Test(reference, bert_nli_3label) { check_fixture("bert-nli-3label"); }
Test(reference, bert_h312_heads26) { check_fixture("bert-h312-heads26"); }
Test(reference, bert_base_uncased_vocab) { check_fixture("bert-base-uncased-vocab"); }
Test(reference, bert_cased_pos128) { check_fixture("bert-cased-pos128"); }
Test(reference, electra_tiny) { check_fixture("electra-tiny"); }

/* ---- temporary model folders ----------------------------------------------------------- */

static void make_temp_dir(char *out, size_t cap)
{
    const char *t = getenv("TMPDIR");
    snprintf(out, cap, "%s/cb-tok-XXXXXX", t && *t ? t : "/tmp");
    cr_assert(mkdtemp(out), "mkdtemp failed");
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert(f, "cannot create %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

static void copy_fixture_file(const char *fixture, const char *name, const char *dir)
{
    char src[4096];
    fixture_path(src, sizeof src, fixture);
    strncat(src, "/", sizeof src - strlen(src) - 1);
    strncat(src, name, sizeof src - strlen(src) - 1);
    char *buf;
    size_t size;
    cb_error err;
    cr_assert_eq(cb_read_file(src, NULL, &buf, &size, &err), CB_OK, "%s", err.message);
    write_file(dir, name, buf, size);
    free(buf);
}

static void remove_temp_dir(const char *dir)
{
    static const char *const names[] = { "tokenizer.json", "tokenizer_config.json", "vocab.txt" };
    char path[4200];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int n = snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (n > 0 && (size_t)n < sizeof path) unlink(path);
    }
    rmdir(dir);
}

/* vocab.txt + tokenizer_config.json without tokenizer.json: the same ids. */
Test(reader, vocab_txt_matches_tokenizer_json)
{
    static const char *const fixtures[] = { "bert-tiny", "bert-cased-pos128", "bert-base-uncased-vocab" };
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        char dir[4096];
        make_temp_dir(dir, sizeof dir);
        copy_fixture_file(fixtures[i], "vocab.txt", dir);
        copy_fixture_file(fixtures[i], "tokenizer_config.json", dir);
        check_reference(fixtures[i], dir);
        remove_temp_dir(dir);
    }
}

Test(reader, missing_vocabulary)
{
    char dir[4096];
    make_temp_dir(dir, sizeof dir);
    cb_hf_tokenizer hf;
    cb_error err;
    cr_assert_eq(cb_hf_tokenizer_read(dir, NULL, &hf, &err), CB_ERR_MISSING_FILE);
    cr_assert(strstr(err.message, "vocab.txt"), "message should name the file: %s", err.message);
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/no-such-model", dir);
    cr_assert_eq(cb_hf_tokenizer_read(missing, NULL, &hf, &err), CB_ERR_MISSING_FILE);
    remove_temp_dir(dir);
}

Test(reader, malformed_tokenizer_json)
{
    char dir[4096];
    make_temp_dir(dir, sizeof dir);
    static const char broken[] = "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0,";
    write_file(dir, "tokenizer.json", broken, sizeof broken - 1);
    cb_hf_tokenizer hf;
    cb_error err;
    cr_assert_eq(cb_hf_tokenizer_read(dir, NULL, &hf, &err), CB_ERR_HF_FORMAT);
    cr_assert(strstr(err.message, "tokenizer.json"), "message should name the file: %s", err.message);

    /* Well-formed JSON that is not an object, and a vocabulary with a gap. */
    write_file(dir, "tokenizer.json", "[1, 2]", 6);
    cr_assert_eq(cb_hf_tokenizer_read(dir, NULL, &hf, &err), CB_ERR_HF_FORMAT);
    static const char gap[] = "{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\","
                              " \"vocab\": {\"[UNK]\": 0, \"a\": 5}}}";
    write_file(dir, "tokenizer.json", gap, sizeof gap - 1);
    cr_assert_eq(cb_hf_tokenizer_read(dir, NULL, &hf, &err), CB_ERR_HF_FORMAT);

    /* A malformed tokenizer_config.json is named too. */
    copy_fixture_file("bert-tiny", "tokenizer.json", dir);
    write_file(dir, "tokenizer_config.json", "{\"do_lower_case\": tru", 21);
    cr_assert_eq(cb_hf_tokenizer_read(dir, NULL, &hf, &err), CB_ERR_HF_FORMAT);
    cr_assert(strstr(err.message, "tokenizer_config.json"), "%s", err.message);
    remove_temp_dir(dir);
}

Test(reader, unsupported_types_are_named)
{
    char dir[4096];
    make_temp_dir(dir, sizeof dir);
    static const char unigram[] = "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"<unk>\", 0.0]]}}";
    write_file(dir, "tokenizer.json", unigram, sizeof unigram - 1);
    cb_hf_tokenizer hf;
    cb_error err;
    cr_assert_eq(cb_hf_tokenizer_read(dir, NULL, &hf, &err), CB_ERR_UNSUPPORTED_MODEL);
    cr_assert(strstr(err.message, "Unigram"), "message should name the type: %s", err.message);

    static const char seq[] =
        "{\"normalizer\": {\"type\": \"NFKC\"}, \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"},"
        " \"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"vocab\": {\"[UNK]\": 0}}}";
    write_file(dir, "tokenizer.json", seq, sizeof seq - 1);
    cr_assert_eq(cb_hf_tokenizer_read(dir, NULL, &hf, &err), CB_ERR_UNSUPPORTED_MODEL);
    cr_assert(strstr(err.message, "NFKC"), "%s", err.message);
    remove_temp_dir(dir);
}

/* ---- errors and limits --------------------------------------------------------------------- */

Test(encode, invalid_utf8)
{
    loaded l;
    load_fixture("bert-tiny", &l);
    static const struct { const char *bytes; size_t len; size_t offset; } bad[] = {
        { "ab\x80", 3, 2 },                 /* lone continuation byte */
        { "\xC0\xAF", 2, 0 },               /* overlong '/' */
        { "x\xE0\x80\xAF", 4, 1 },          /* overlong 3-byte */
        { "xy\xF0\x82\x82\xAC", 6, 2 },     /* overlong 4-byte */
        { "\xED\xA0\x80", 3, 0 },           /* surrogate U+D800 */
        { "ok \xF4\x90\x80\x80", 7, 3 },    /* U+110000 */
        { "\xF5\x80\x80\x80", 4, 0 },       /* lead byte past U+10FFFF */
        { "caf\xC3", 4, 3 },                /* truncated at the end */
        { "\xE2\x82 x", 4, 0 },             /* truncated before a space */
        { "\xFF", 1, 0 },
    };
    int32_t ids[64], types[64];
    cb_error err;
    int n;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "byte offset %zu", bad[i].offset);
        cr_assert_eq(cb_tokenizer_encode_pair(l.tok, bad[i].bytes, bad[i].len, "fine", 4, 64, ids, types,
                                              &n, &err), CB_ERR_INVALID_UTF8, "case %zu", i);
        cr_assert(strstr(err.message, "text a") && strstr(err.message, want), "case %zu: %s", i, err.message);
        cr_assert_eq(cb_tokenizer_encode_pair(l.tok, "fine", 4, bad[i].bytes, bad[i].len, 64, ids, types,
                                              &n, &err), CB_ERR_INVALID_UTF8, "case %zu", i);
        cr_assert(strstr(err.message, "text b") && strstr(err.message, want), "case %zu: %s", i, err.message);
    }
    /* The largest valid sequences pass. */
    static const char good[] = "\xF4\x8F\xBF\xBF \xEF\xBF\xBD \xED\x9F\xBF \xC2\x80";
    cr_assert_eq(cb_tokenizer_encode_pair(l.tok, good, sizeof good - 1, "", 0, 64, ids, types, &n, &err), CB_OK,
                 "%s", err.message);
    unload(&l);
}

Test(encode, max_length_limits)
{
    loaded l;
    load_fixture("bert-tiny", &l);
    cr_assert_eq(cb_tokenizer_num_special(l.tok), 3);
    int32_t ids[8], types[8];
    cb_error err;
    int n;
    cr_assert_eq(cb_tokenizer_encode_pair(l.tok, "a", 1, "b", 1, 0, ids, types, &n, &err), CB_ERR_MAX_LENGTH);
    cr_assert_eq(cb_tokenizer_encode_pair(l.tok, "a", 1, "b", 1, 2, ids, types, &n, &err), CB_ERR_MAX_LENGTH);
    cr_assert_eq(cb_tokenizer_encode_pair(l.tok, "a", 1, "b", 1, -5, ids, types, &n, &err), CB_ERR_MAX_LENGTH);

    int32_t cls = cb_tokenizer_token_id(l.tok, "[CLS]"), sep = cb_tokenizer_token_id(l.tok, "[SEP]");
    cr_assert(cls >= 0 && sep >= 0);
    n = encode(l.tok, "how many people live in berlin?", CB_NUL_TERMINATED,
               "berlin has 3.5 million inhabitants", CB_NUL_TERMINATED, 3, ids, types);
    cr_assert_eq(n, 3);
    cr_assert(ids[0] == cls && ids[1] == sep && ids[2] == sep);
    cr_assert(types[0] == 0 && types[1] == 0 && types[2] == 1);

    /* max_length 4: one token, to B on a tie of lengths, else to the longer. */
    n = encode(l.tok, "x", 1, "y", 1, 4, ids, types);
    cr_assert_eq(n, 4);
    cr_assert(ids[1] == sep && ids[3] == sep, "a tie gives the odd token to B");
    n = encode(l.tok, "x y z", 5, "y", 1, 4, ids, types);
    cr_assert(ids[2] == sep && ids[3] == sep, "the longer A gets the odd token");
    unload(&l);
}

Test(encode, empty_texts)
{
    loaded l;
    load_fixture("bert-tiny", &l);
    int32_t cls = cb_tokenizer_token_id(l.tok, "[CLS]"), sep = cb_tokenizer_token_id(l.tok, "[SEP]");
    int32_t ids[16], types[16];
    int n = encode(l.tok, "", 0, "", 0, 16, ids, types);
    cr_assert_eq(n, 3);
    cr_assert(ids[0] == cls && ids[1] == sep && ids[2] == sep);
    n = encode(l.tok, NULL, 0, "", CB_NUL_TERMINATED, 16, ids, NULL);
    cr_assert_eq(n, 3);
    /* Only removed characters: still empty. */
    n = encode(l.tok, " \t\n\x01\xE2\x80\x8B", CB_NUL_TERMINATED, "\xEF\xBF\xBD", CB_NUL_TERMINATED, 16, ids, types);
    cr_assert_eq(n, 3);
    unload(&l);
}

Test(encode, text_too_long)
{
    loaded l;
    load_fixture("bert-tiny", &l);
    size_t len = (size_t)CB_MAX_TEXT_BYTES + 1;
    char *big = malloc(len);
    cr_assert(big);
    memset(big, 'a', len);
    int32_t ids[16];
    cb_error err;
    int n;
    cr_assert_eq(cb_tokenizer_encode_pair(l.tok, "q", 1, big, len, 16, ids, NULL, &n, &err), CB_ERR_TEXT_TOO_LONG);
    cr_assert(strstr(err.message, "text b"), "%s", err.message);
    /* Exactly at the limit is accepted. */
    cr_assert_eq(cb_tokenizer_encode_pair(l.tok, "q", 1, big, len - 1, 16, ids, NULL, &n, &err), CB_OK, "%s",
                 err.message);
    free(big);
    unload(&l);
}

Test(encode, special_tokens_in_text)
{
    loaded l;
    load_fixture("bert-tiny", &l);
    int32_t sep = cb_tokenizer_token_id(l.tok, "[SEP]"), mask = cb_tokenizer_token_id(l.tok, "[MASK]");
    int32_t ids[32], types[32];
    /* Matched in the raw text, before lowercasing: "[sep]" is not special. */
    int n = encode(l.tok, "a[SEP]b [MASK]", CB_NUL_TERMINATED, "", 0, 32, ids, types);
    int found_sep = 0, found_mask = 0;
    for (int k = 1; k < n - 2; k++) {
        found_sep += ids[k] == sep;
        found_mask += ids[k] == mask;
    }
    cr_assert(found_sep == 1 && found_mask == 1, "special tokens inside text a");
    n = encode(l.tok, "a[sep]b", CB_NUL_TERMINATED, "", 0, 32, ids, types);
    for (int k = 1; k < n - 2; k++) cr_assert_neq(ids[k], sep, "lowercase [sep] is plain text");
    unload(&l);
}

/* The limit is checked after words only: a word reaching max_length stops
 * the text before a following added token, while an added token reaching it
 * lets one more word in. Expected ids from tokenizers 0.23.2. */
Test(truncation, limit_and_added_tokens)
{
    loaded l;
    load_fixture("bert-tiny", &l);
    int32_t cls = cb_tokenizer_token_id(l.tok, "[CLS]"), sep = cb_tokenizer_token_id(l.tok, "[SEP]");
    int32_t a = cb_tokenizer_token_id(l.tok, "a");
    int32_t ids[4], types[4];
    static const struct { const char *a, *b; int a_keeps; } cases[] = {
        { "a b c d[SEP] x", "a b c d e", 0 },   /* A stops at d: 4, a tie */
        { "a b c[SEP]d e f", "a b c d e", 1 },  /* [SEP] makes 4, d makes 5 */
        { "a b c[SEP][SEP]", "a b c d e", 1 },  /* added tokens only: 5 */
        { "a b c[SEP]", "a b c d", 0 },         /* 4 and 4 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = encode(l.tok, cases[i].a, CB_NUL_TERMINATED, cases[i].b, CB_NUL_TERMINATED, 4, ids, types);
        cr_assert_eq(n, 4);
        if (cases[i].a_keeps) {
            cr_assert(ids[0] == cls && ids[1] == a && ids[2] == sep && ids[3] == sep, "case %zu", i);
        } else {
            cr_assert(ids[0] == cls && ids[1] == sep && ids[2] == a && ids[3] == sep, "case %zu", i);
        }
    }
    unload(&l);
}

/* ---- huge texts: early stop must not change the result ------------------------------------------
 * tokenizers 0.23 itself stops tokenising a text once it has max_length
 * tokens (at a word boundary), so huge texts are cheap and truncation sees
 * those capped counts. */

static char *repeat(const char *unit, size_t total)
{
    size_t u = strlen(unit);
    char *s = malloc(total + 1);
    cr_assert(s);
    for (size_t i = 0; i < total; i++) s[i] = unit[i % u];
    s[total] = '\0';
    return s;
}

static void expect_same(const int32_t *x, int nx, const int32_t *y, int ny, const char *what)
{
    cr_assert_eq(nx, ny, "%s: %d vs %d tokens", what, nx, ny);
    for (int k = 0; k < nx; k++) cr_assert_eq(x[k], y[k], "%s: token %d differs", what, k);
}

/* The unit is whole words ending in a space, so a prefix of the repeated text
 * that ends on a unit boundary tokenises to a prefix of the tokens. */
#define UNIT "Berlin had a population of 3,520,031 registered inhabitants. "

Test(truncation, megabyte_text_equals_its_first_part)
{
    loaded l;
    load_fixture("bert-tiny", &l);
    size_t unit = strlen(UNIT);
    char *big = repeat(UNIT, 1u << 20);
    static int32_t x[512], y[512], tx[512], ty[512];
    const int lengths[] = { 512, 33, 32, 3 };
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        int ml = lengths[i];
        /* One huge text, the other short. */
        int nx = encode(l.tok, "how many people live in berlin?", CB_NUL_TERMINATED, big, 1u << 20, ml, x, tx);
        int ny = encode(l.tok, "how many people live in berlin?", CB_NUL_TERMINATED, big, unit * 100, ml, y, ty);
        cr_assert_eq(nx, ml);
        expect_same(x, nx, y, ny, "short a, huge b");
        expect_same(tx, nx, ty, ny, "short a, huge b (types)");
        /* Both huge, A longer: A must get the odd token as for its prefix. */
        nx = encode(l.tok, big, 1u << 20, big, unit * 10000, ml, x, tx);
        ny = encode(l.tok, big, unit * 200, big, unit * 100, ml, y, ty);
        expect_same(x, nx, y, ny, "huge a longer than huge b");
        /* Both huge, B longer. */
        nx = encode(l.tok, big, unit * 10000, big, 1u << 20, ml, x, tx);
        ny = encode(l.tok, big, unit * 100, big, unit * 200, ml, y, ty);
        expect_same(x, nx, y, ny, "huge b longer than huge a");
        /* Both huge and equal: B gets the odd token. */
        nx = encode(l.tok, big, 1u << 20, big, 1u << 20, ml, x, tx);
        ny = encode(l.tok, big, unit * 100, big, unit * 100, ml, y, ty);
        expect_same(x, nx, y, ny, "equal huge texts");
    }
    /* Where the split lands (max_length 32: budget 29, the odd token to the
     * longer text, to B on a tie). Identical starts give identical capped
     * counts: a tie, however much longer A really is. */
    int32_t sep = cb_tokenizer_token_id(l.tok, "[SEP]");
    int n = encode(l.tok, big, 1u << 20, big, unit * 10000, 32, x, tx);
    cr_assert_eq(n, 32);
    cr_assert_eq(x[1 + 14], sep, "A keeps 14 of the 29 tokens");
    free(big);

    /* tokenizers stops each text after the word that reaches max_length
     * tokens and compares those counts: "abcabc" is 3 tokens (abc ##ab ##c),
     * so A stops at 33 and B ("a ", one token a word) at 32, and A counts as
     * the longer one although B has far more tokens in full. Checked against
     * tokenizers 0.23.2. */
    char *a3 = repeat("abcabc ", 700000), *a1 = repeat("a ", 1u << 20);
    n = encode(l.tok, a3, 700000, a1, 1u << 20, 32, x, tx);
    cr_assert_eq(x[1 + 15], sep, "A (capped at 33) keeps 15");
    n = encode(l.tok, a1, 1u << 20, a3, 700000, 32, x, tx);
    cr_assert_eq(x[1 + 14], sep, "B (capped at 33) keeps 15");
    n = encode(l.tok, a3, 7 * 10, a1, 1u << 20, 32, x, tx);
    cr_assert_eq(x[1 + 14], sep, "A with 30 tokens is the shorter");
    n = encode(l.tok, a3, 7 * 11, a1, 1u << 20, 32, x, tx);
    cr_assert_eq(x[1 + 15], sep, "A with 33 tokens is the longer");
    free(a3);
    free(a1);
    unload(&l);
}

/* ---- the tokenizer spec itself ------------------------------------------------------------------ */

Test(spec, invalid_specs_are_refused)
{
    loaded l;
    load_fixture("bert-tiny", &l);
    cb_tokenizer_spec spec = l.hf.spec;
    spec.kind = (cb_tokenizer_kind)7;   /* neither WordPiece nor BPE (test_bpe.c covers BPE) */
    cb_tokenizer *t = NULL;
    cb_error err;
    cr_assert_eq(cb_tokenizer_create(&spec, NULL, &t, &err), CB_ERR_UNSUPPORTED_MODEL);
    cr_assert_null(t);
    spec = l.hf.spec;
    spec.unk_id = (int32_t)spec.n_vocab;
    cr_assert_eq(cb_tokenizer_create(&spec, NULL, &t, &err), CB_ERR_INVALID_ARGUMENT);
    spec = l.hf.spec;
    spec.n_vocab += 1;   /* more tokens than the blob holds */
    cr_assert_eq(cb_tokenizer_create(&spec, NULL, &t, &err), CB_ERR_INVALID_ARGUMENT);
    unload(&l);
}

Test(spec, model_max_length)
{
    loaded l;
    load_fixture("bert-cased-pos128", &l);
    cr_assert_eq(l.hf.model_max_length, 128);
    cr_assert_eq(l.hf.spec.lowercase, 0);
    cr_assert_eq(l.hf.spec.strip_accents, 0);
    unload(&l);
    load_fixture("bert-tiny", &l);
    cr_assert_eq(l.hf.model_max_length, 512);
    cr_assert_eq(l.hf.spec.lowercase, 1);
    cr_assert_eq(l.hf.spec.strip_accents, 1);
    unload(&l);
}

/* A hand-made spec: the WordPiece rules and canonical reordering, where
 * the vocabulary makes them visible. Expected ids from tokenizers 0.23.2. */
static const char small_vocab[] =
    "[UNK]\0[CLS]\0[SEP]\0x\0##\xF0\x9D\x85\xA5\0##\xF0\x9D\x85\xAD\0xy\0##y\0##z\0y";

static cb_tokenizer *small_tokenizer(void)
{
    cb_tokenizer_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.kind = CB_TOKENIZER_WORDPIECE;
    spec.clean_text = 1;
    spec.handle_chinese_chars = 1;
    spec.strip_accents = 1;
    spec.lowercase = 0;
    spec.max_input_chars_per_word = 5;
    spec.continuing_subword_prefix = "##";
    spec.unk_id = 0;
    spec.vocab = small_vocab;
    spec.vocab_bytes = sizeof small_vocab;
    spec.n_vocab = 10;
    static const cb_template_item tmpl[5] = {
        { CB_TEMPLATE_SPECIAL, 1, 0 }, { CB_TEMPLATE_SEQUENCE_A, 0, 0 }, { CB_TEMPLATE_SPECIAL, 2, 0 },
        { CB_TEMPLATE_SEQUENCE_B, 0, 1 }, { CB_TEMPLATE_SPECIAL, 2, 1 },
    };
    memcpy(spec.pair_template, tmpl, sizeof tmpl);
    spec.n_template = 5;
    cb_tokenizer *tok = NULL;
    cb_error err;
    cr_assert_eq(cb_tokenizer_create(&spec, NULL, &tok, &err), CB_OK, "%s", err.message);
    return tok;
}

Test(spec, wordpiece_rules_and_mark_order)
{
    cb_tokenizer *tok = small_tokenizer();
    static const struct { const char *text; int n; int32_t ids[8]; } cases[] = {
        /* U+1D16D (class 226) before U+1D165 (216): both Mc, kept by
         * strip_accents, and put in canonical order. */
        { "x\xF0\x9D\x85\xAD\xF0\x9D\x85\xA5", 6, { 1, 3, 4, 5, 2, 2 } },
        { "x\xF0\x9D\x85\xA5\xF0\x9D\x85\xAD", 6, { 1, 3, 4, 5, 2, 2 } },
        /* with Mn marks between them, which strip_accents drops */
        { "x\xCC\x81\xF0\x9D\x85\xAD\xCC\x80\xF0\x9D\x85\xA5", 6, { 1, 3, 4, 5, 2, 2 } },
        /* longest match first; a word over 5 chars or with no match is unk */
        { "xyzz xyzzzz xyw", 8, { 1, 6, 8, 8, 0, 0, 2, 2 } },
        { "xyyyyy", 4, { 1, 0, 2, 2 } },
    };
    int32_t ids[16];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = encode(tok, cases[i].text, CB_NUL_TERMINATED, "", 0, 16, ids, NULL);
        expect_same(ids, n, cases[i].ids, cases[i].n, cases[i].text);
    }
    cb_tokenizer_free(tok);
}

/* ---- Unicode building blocks --------------------------------------------------------------------- */

Test(unicode, decomposition_and_case)
{
    uint32_t d[CB_UNICODE_MAX_DECOMP];
    cr_assert_eq(cb_unicode_nfd(0xE9, d), 2);              /* é */
    cr_assert(d[0] == 'e' && d[1] == 0x301);
    cr_assert_eq(cb_unicode_nfd(0xD55C, d), 3);            /* 한 */
    cr_assert(d[0] == 0x1112 && d[1] == 0x1161 && d[2] == 0x11AB);
    cr_assert_eq(cb_unicode_nfd(0x1F82, d), 4);            /* ᾂ */
    cr_assert_eq(cb_unicode_nfd('A', d), 1);
    uint32_t low[CB_UNICODE_MAX_LOWER];
    cr_assert_eq(cb_unicode_lower(0x130, low), 2);         /* İ -> i + combining dot */
    cr_assert(low[0] == 'i' && low[1] == 0x307);
    cr_assert_eq(cb_unicode_lower(0x3A3, low), 1);         /* Σ -> σ, never final ς */
    cr_assert_eq(low[0], 0x3C3);
    cr_assert(cb_unicode_flags(0x3000) & CB_U_WHITESPACE);
    cr_assert(cb_unicode_flags(0x200B) & CB_U_CONTROL);    /* zero width space is Cf */
    cr_assert(cb_unicode_flags('$') & CB_U_PUNCT);         /* ASCII symbols count */
    cr_assert(!(cb_unicode_flags(0x20AC) & CB_U_PUNCT));   /* the euro sign does not */
    cr_assert(cb_unicode_flags(0x4E2D) & CB_U_CJK);
    cr_assert_eq(cb_unicode_ccc(0x301), 230);
}

Test(unicode, utf8_decoder)
{
    uint32_t cp;
    cr_assert_eq(cb_utf8_decode((const unsigned char *)"\xF0\x9F\x9A\x80", 4, &cp), 4);
    cr_assert_eq(cp, 0x1F680);
    cr_assert_eq(cb_utf8_decode((const unsigned char *)"\xF0\x9F\x9A", 3, &cp), 0);
    cr_assert_eq(cb_utf8_decode((const unsigned char *)"\xC1\xBF", 2, &cp), 0);
    cr_assert_eq(cb_utf8_decode((const unsigned char *)"\xED\xBF\xBF", 3, &cp), 0);
    cr_assert_eq(cb_utf8_decode((const unsigned char *)"\xEE\x80\x80", 3, &cp), 3);
    cr_assert_eq(cp, 0xE000);
    /* encode and decode agree on every scalar value */
    for (uint32_t c = 0; c <= 0x10FFFF; c++) {
        if (c >= 0xD800 && c < 0xE000) continue;
        char buf[4];
        size_t n = cb_utf8_encode(c, buf);
        uint32_t back;
        cr_assert_eq(cb_utf8_decode((const unsigned char *)buf, n, &back), n);
        cr_assert_eq(back, c);
    }
}
