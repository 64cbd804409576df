/* test_bpe.c: the byte-level BPE tokenizer against Hugging Face's output.
 *
 * roberta-tiny and deberta-tiny-3label hold the input_ids transformers 5.17 /
 * tokenizers 0.23.2 produced for each pair at two max_lengths; the spec is
 * read from the folder (tokenizer.json, or vocab.json + merges.txt) with
 * cb_hf_tokenizer_read. The hand-written expectations below (pre-tokenizer
 * corners, merge order, stripping added tokens, long words) are ids from the
 * tokenizers 0.23.3 wheel, untruncated, where it and the 0.23.2 crate agree
 * (they differ in truncation only: 0.23.3 compares uncapped token counts);
 * each says what it pins.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crossbyte.h"
#include "hf_tokenizer.h"
#include "json_reader.h"
#include "read_file.h"
#include "support.h"
#include "tok_support.h"
#include "tokenizer.h"
#include "unicode.h"

/* ---- helpers ------------------------------------------------------------------------- */


static void expect_same(const int32_t *x, int nx, const int32_t *y, int ny, const char *what)
{
    cr_assert_eq(nx, ny, "%s: %d vs %d tokens", what, nx, ny);
    for (int k = 0; k < nx; k++) cr_assert_eq(x[k], y[k], "%s: token %d is %d, want %d", what, k, x[k], y[k]);
}

static char *repeat(const char *unit, size_t total)
{
    size_t u = strlen(unit);
    char *s = malloc(total + 1);
    cr_assert(s);
    for (size_t i = 0; i < total; i++) s[i] = unit[i % u];
    s[total] = '\0';
    return s;
}

/* Every pair of every case of a fixture's reference.json, through the
 * tokenizer read from `dir`: ids identical, token types all 0 (RoBERTa and
 * DeBERTa have none; the reference says null). */
static void check_reference(const char *name, const char *dir)
{
    char *ref_path = cbt_fixture_path(name, "reference.json");
    loaded l;
    load_dir(dir, &l);
    jv ref;
    load_json(ref_path, &ref);
    const jv *cases = jget(&ref, "cases");
    cr_assert(cases && cases->type == J_ARR && cases->n == 2, "%s: want two cases", ref_path);

    int checked = 0, passed = 0;
    for (size_t c = 0; c < cases->n; c++) {
        const jv *cs = &cases->items[c];
        int max_length = (int)jget(cs, "max_length")->num;
        const jv *pairs = jget(cs, "pairs"), *want_ids = jget(cs, "input_ids");
        cr_assert(pairs && want_ids && pairs->n == want_ids->n && pairs->n > 0);
        int32_t *ids = malloc((size_t)max_length * sizeof *ids);
        int32_t *types = malloc((size_t)max_length * sizeof *types);
        cr_assert(ids && types);
        for (size_t i = 0; i < pairs->n; i++) {
            const jv *a = &pairs->items[i].items[0], *b = &pairs->items[i].items[1];
            int n = encode(l.tok, a->str, a->str_len, b->str, b->str_len, max_length, ids, types);
            const jv *wi = &want_ids->items[i];
            int ok = (size_t)n == wi->n;
            int at = -1;
            for (int k = 0; ok && k < n; k++) {
                if (ids[k] != (int32_t)wi->items[k].num || types[k] != 0) {
                    ok = 0;
                    at = k;
                }
            }
            checked++;
            passed += ok;
            cr_expect(ok, "%s max_length %d pair %zu: %d tokens (want %zu), first difference at %d", name,
                      max_length, i, n, wi->n, at);
        }
        free(ids);
        free(types);
    }
    fprintf(stderr, "%s (%s): %d/%d pairs identical\n", name, dir, passed, checked);
    cr_assert_eq(passed, checked);
    jfree(&ref);
    free(ref_path);
    unload(&l);
}

/* A scratch model folder holding copies of some fixture files. */
static void make_temp_dir(char *out, size_t cap)
{
    const char *t = getenv("TMPDIR");
    snprintf(out, cap, "%s/cb-bpe-XXXXXX", t && *t ? t : "/tmp");
    cr_assert(mkdtemp(out), "mkdtemp failed");
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cbt_write(path, data, len);
}

static void write_str(const char *dir, const char *name, const char *text)
{
    write_file(dir, name, text, strlen(text));
}

static void copy_fixture_file(const char *fixture, const char *name, const char *dir)
{
    char *src = cbt_fixture_path(fixture, name);
    size_t size;
    char *buf = cbt_read(src, &size);
    write_file(dir, name, buf, size);
    free(buf);
    free(src);
}

static void remove_temp_dir(const char *dir)
{
    static const char *const names[] = {
        "tokenizer.json", "tokenizer_config.json", "config.json", "vocab.json", "merges.txt",
    };
    char path[4200];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int n = snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (n > 0 && (size_t)n < sizeof path) unlink(path);
    }
    rmdir(dir);
}

/* ---- the reference fixtures ----------------------------------------------------------- */

Test(reference, roberta_tiny)
{
    char *dir = cbt_fixture_path("roberta-tiny", NULL);
    check_reference("roberta-tiny", dir);
    free(dir);
}

Test(reference, deberta_tiny_3label)
{
    char *dir = cbt_fixture_path("deberta-tiny-3label", NULL);
    check_reference("deberta-tiny-3label", dir);
    free(dir);
}

/* Without tokenizer.json, RobertaTokenizer and DebertaTokenizer (named by
 * tokenizer_config.json) are built from vocab.json + merges.txt: the same
 * ids. */
Test(reader, vocab_json_and_merges_txt)
{
    static const char *const fixtures[] = { "roberta-tiny", "deberta-tiny-3label" };
    for (size_t i = 0; i < 2; i++) {
        char dir[4096];
        make_temp_dir(dir, sizeof dir);
        copy_fixture_file(fixtures[i], "vocab.json", dir);
        copy_fixture_file(fixtures[i], "merges.txt", dir);
        copy_fixture_file(fixtures[i], "tokenizer_config.json", dir);
        check_reference(fixtures[i], dir);
        remove_temp_dir(dir);
    }
}

/* Without a known tokenizer class, tokenizer.json alone decides: its
 * RobertaProcessing and TemplateProcessing give the same ids. And with the
 * class named only by config.json's model_type. */
Test(reader, tokenizer_json_alone_and_model_type)
{
    static const char *const fixtures[] = { "roberta-tiny", "deberta-tiny-3label" };
    for (size_t i = 0; i < 2; i++) {
        char dir[4096];
        make_temp_dir(dir, sizeof dir);
        copy_fixture_file(fixtures[i], "tokenizer.json", dir);
        check_reference(fixtures[i], dir);
        copy_fixture_file(fixtures[i], "config.json", dir);
        copy_fixture_file(fixtures[i], "vocab.json", dir);
        copy_fixture_file(fixtures[i], "merges.txt", dir);
        char tj[4200];
        snprintf(tj, sizeof tj, "%s/tokenizer.json", dir);
        cr_assert_eq(unlink(tj), 0);
        check_reference(fixtures[i], dir);
        remove_temp_dir(dir);
    }
}

/* ---- the pre-tokenizer and the byte alphabet ------------------------------------------- */

#define T(s) s, sizeof(s) - 1

typedef struct expected {
    const char *text;
    size_t len;
    int n;
    int32_t ids[48];
} expected;

/* (text, "") at max_length 512 through roberta-tiny: <s> text </s></s></s>. */
static const expected roberta_cases[] = {
    /* contractions are case-sensitive, and a quote after a space is punctuation */
    { T("it's 'S 'll 'l I'M we're they've he'd o'clock"), 28,
      { 0, 316, 913, 271, 55, 271, 1060, 271, 80, 426, 11, 49, 700, 11, 269, 1759, 11, 382, 639, 11, 72, 304,
        11, 71, 769, 2, 2, 2 } },
    /* whitespace runs give their last space to the next word, but not a lone
     * newline; U+3000 is \s */
    { T("x  y\x0A\x0Az \x09\xE3\x80\x80""end  "), 17,
      { 0, 92, 225, 725, 203, 203, 94, 225, 202, 164, 227, 227, 1071, 261, 2, 2, 2 } },
    /* \p{N} covers Arabic-Indic digits (Nd), Roman numerals (Nl), fractions and superscripts (No) */
    { T("12ab3.5 \xD9\xA1\xD9\xA2\xD9\xA3 \xE2\x85\xAB \xC2\xBD x\xC2\xB2"), 26,
      { 0, 1103, 781, 23, 18, 25, 225, 154, 99, 154, 100, 154, 101, 225, 163, 232, 109, 225, 131, 126, 916, 131,
        115, 2, 2, 2 } },
    /* accents, Greek, CJK, emoji with a skin tone, a lone ZWJ */
    { T("h\xC3\xA9llo w\xC3\xB6rld \xC3\x85\xCE\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80\xF0\x9F\x91\x8D"
        "\xF0\x9F\x8F\xBD \xE2\x80\x8D"), 42,
      { 0, 76, 132, 107, 80, 335, 326, 132, 119, 86, 621, 225, 132, 232, 143, 107, 225, 165, 121, 260, 167, 249,
        234, 225, 177, 258, 251, 227, 177, 258, 244, 240, 177, 258, 242, 126, 225, 1489, 240, 2, 2, 2 } },
    /* special tokens in the text, matched before pre-tokenisation */
    { T("<s>a</s>b<mask> <pad>c<unk>d"), 14, { 0, 0, 69, 2, 70, 4, 225, 1, 71, 3, 72, 2, 2, 2 } },
    /* NUL and controls are bytes like any other; U+0085 and U+00A0 are \s */
    { T("\x00\x01\x7F\xC2\x85\xC2\xA0\xC2\xAD z"), 14, { 0, 193, 194, 226, 131, 232, 131, 259, 131, 260, 1084, 2, 2, 2 } },
    /* CJK extension I (Unicode 15.1) is a letter; U+31350 (extension H) too */
    { T("\xF0\xAE\xAF\xB0\xF0\xAE\xAF\xB1 x \xF0\xB1\x8D\x90"), 18,
      { 0, 177, 111, 112, 113, 177, 111, 112, 114, 916, 225, 177, 114, 240, 243, 2, 2, 2 } },
    { T("  leading and trailing  "), 11, { 0, 225, 534, 2529, 393, 905, 2649, 261, 2, 2, 2 } },
    { T("\x0A"), 5, { 0, 203, 2, 2, 2 } },
};

/* The same with ByteLevel's add_prefix_space: a space before each piece
 * between added tokens that does not start with one; empty pieces get none. */
static const expected prefix_cases[] = {
    { T("hello world"), 10, { 0, 639, 80, 335, 326, 277, 621, 2, 2, 2 } },
    { T(" hello"), 7, { 0, 639, 80, 335, 2, 2, 2 } },
    { T("\x0Ax"), 7, { 0, 225, 203, 92, 2, 2, 2 } },
    { T("<mask>b"), 6, { 0, 4, 314, 2, 2, 2 } },
    { T("a<mask> b<mask><mask>\x0A\x0A""c"), 13, { 0, 276, 4, 314, 4, 4, 225, 203, 203, 71, 2, 2, 2 } },
    { T(""), 4, { 0, 2, 2, 2 } },
    { T("<mask>"), 5, { 0, 4, 2, 2, 2 } },
};

static void check_cases(const cb_tokenizer *tok, const expected *cases, size_t n_cases)
{
    int32_t ids[512];
    for (size_t i = 0; i < n_cases; i++) {
        int n = encode(tok, cases[i].text, cases[i].len, "", 0, 512, ids, NULL);
        char what[64];
        snprintf(what, sizeof what, "case %zu", i);
        expect_same(ids, n, cases[i].ids, cases[i].n, what);
    }
}

Test(pretokenizer, gpt2_pattern_and_byte_alphabet)
{
    loaded l;
    load_fixture("roberta-tiny", &l);
    check_cases(l.tok, roberta_cases, sizeof roberta_cases / sizeof roberta_cases[0]);
    unload(&l);
}

Test(pretokenizer, add_prefix_space)
{
    loaded l;
    load_fixture("roberta-tiny", &l);
    cr_assert_eq(l.hf.spec.add_prefix_space, 0);
    cb_tokenizer_spec spec = l.hf.spec;
    spec.add_prefix_space = 1;
    cb_tokenizer *tok = NULL;
    cb_error err;
    cr_assert_eq(cb_tokenizer_create(&spec, NULL, &tok, &err), CB_OK, "%s", err.message);
    check_cases(tok, prefix_cases, sizeof prefix_cases / sizeof prefix_cases[0]);
    cb_tokenizer_free(tok);
    unload(&l);
}

/* The pattern is matched in a window that grows while added tokens are
 * looked for ahead (256 bytes, then doubling): whatever falls on a window's
 * edge (a contraction, a whitespace run, a multi-byte character, a long
 * word) must come out as without any added token to look for. */
Test(pretokenizer, window_edges_change_nothing)
{
    loaded l;
    load_fixture("roberta-tiny", &l);
    cb_tokenizer_spec bare = l.hf.spec;
    bare.n_added = 0;   /* nothing to look ahead for: one window, the whole text */
    cb_tokenizer *plain = NULL;
    cb_error err;
    cr_assert_eq(cb_tokenizer_create(&bare, NULL, &plain, &err), CB_OK, "%s", err.message);
    static const char *const tails[] = {
        "'ll x", "'s", "  \x0A\x0A y", " \xE3\x80\x80z", "\xC3\xA9t\xC3\xA9", "123 45", "?!'re", "\x0A",
    };
    char text[1200];
    static int32_t x[1200], y[1200];
    for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
        for (size_t lead = 250; lead < 262; lead++) {
            for (size_t k = 0; k < 3; k++) {
                /* letters up to the edge, then the tail, in 3 variants of
                 * what precedes the edge */
                size_t pos = 0;
                for (; pos < lead; pos++) text[pos] = k == 0 ? 'a' : k == 1 ? " ab"[pos % 3] : "x 1"[pos % 3];
                size_t tl = strlen(tails[t]);
                memcpy(text + pos, tails[t], tl);
                size_t len = pos + tl;
                for (size_t rep = 0; rep < 2; rep++) {
                    memcpy(text + len, text, 240);   /* ASCII, and again past the next edges */
                    len += 240;
                }
                int nx = encode(l.tok, text, len, "b", 1, 1200, x, NULL);
                int ny = encode(plain, text, len, "b", 1, 1200, y, NULL);
                char what[64];
                snprintf(what, sizeof what, "tail %zu lead %zu variant %zu", t, lead, k);
                expect_same(x, nx, y, ny, what);
            }
        }
    }
    cb_tokenizer_free(plain);
    unload(&l);
}

Test(pretokenizer, unicode_classes)
{
    cr_assert_eq(cb_unicode_gpt2_class('a'), CB_GPT2_LETTER);
    cr_assert_eq(cb_unicode_gpt2_class('7'), CB_GPT2_NUMBER);
    cr_assert_eq(cb_unicode_gpt2_class('_'), CB_GPT2_OTHER);
    cr_assert_eq(cb_unicode_gpt2_class('\x0B'), CB_GPT2_SPACE);   /* \s covers \v and \f */
    cr_assert_eq(cb_unicode_gpt2_class(0x85), CB_GPT2_SPACE);
    cr_assert_eq(cb_unicode_gpt2_class(0x200B), CB_GPT2_OTHER);   /* ZWSP is not White_Space */
    cr_assert_eq(cb_unicode_gpt2_class(0x2028), CB_GPT2_SPACE);
    cr_assert_eq(cb_unicode_gpt2_class(0xB2), CB_GPT2_NUMBER);
    cr_assert_eq(cb_unicode_gpt2_class(0x2EBF0), CB_GPT2_LETTER); /* Unicode 15.1 */
    cr_assert_eq(cb_unicode_gpt2_class(0x1C89), CB_GPT2_LETTER);  /* Unicode 16.0 */
    cr_assert_eq(cb_unicode_gpt2_class(0x0301), CB_GPT2_OTHER);   /* marks are neither L nor N */
    cr_assert_eq(cb_unicode_gpt2_class(0x10FFFF), CB_GPT2_OTHER);
}

/* ---- added tokens that strip whitespace ------------------------------------------------- */

/* roberta-tiny with roberta-base's <mask> (lstrip, in tokenizer.json and in
 * tokenizer_config.json's mask_token) and an rstrip </s>: the whitespace on
 * that side belongs to the token. Ids from tokenizers 0.23.3. */
static const expected strip_cases[] = {
    { T("a  <mask> b"), 7, { 0, 69, 4, 314, 2, 2, 2 } },
    { T("x\xE3\x80\x80\x09<mask>"), 6, { 0, 92, 4, 2, 2, 2 } },
    { T("<mask>   y"), 7, { 0, 4, 261, 725, 2, 2, 2 } },
    { T("a </s>  b</s>\x0A""c"), 10, { 0, 69, 225, 2, 70, 2, 71, 2, 2, 2 } },
    { T(" <mask>"), 5, { 0, 4, 2, 2, 2 } },
    { T("<s>  <mask>"), 6, { 0, 0, 4, 2, 2, 2 } },
    { T("</s>"), 5, { 0, 2, 2, 2, 2 } },
    { T("q</s> \xC2\xA0<mask>z"), 8, { 0, 85, 2, 4, 94, 2, 2, 2 } },
};

static void write_json(const char *dir, const char *name, const cJSON *j)
{
    char *text = cJSON_PrintUnformatted(j);
    cr_assert(text);
    write_str(dir, name, text);
    free(text);
}

/* A copy of roberta-tiny's tokenizer files with the strip flags above. */
static void make_strip_folder(const char *dir)
{
    char *path = cbt_fixture_path("roberta-tiny", "tokenizer.json");
    size_t size;
    char *text = cbt_read(path, &size);
    cJSON *tj = cJSON_ParseWithLength(text, size);
    cr_assert(tj);
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(tj, "added_tokens")) {
        const char *content = cJSON_GetObjectItemCaseSensitive(it, "content")->valuestring;
        if (strcmp(content, "<mask>") == 0) cJSON_ReplaceItemInObject((cJSON *)it, "lstrip", cJSON_CreateTrue());
        if (strcmp(content, "</s>") == 0) cJSON_ReplaceItemInObject((cJSON *)it, "rstrip", cJSON_CreateTrue());
    }
    write_json(dir, "tokenizer.json", tj);
    cJSON_Delete(tj);
    free(text);
    free(path);
    write_str(dir, "tokenizer_config.json",
              "{\"tokenizer_class\": \"RobertaTokenizer\", \"model_max_length\": 512, \"mask_token\": "
              "{\"content\": \"<mask>\", \"lstrip\": true, \"normalized\": false, \"rstrip\": false, "
              "\"single_word\": false, \"special\": true}}");
}

Test(added, lstrip_and_rstrip)
{
    char dir[4096];
    make_temp_dir(dir, sizeof dir);
    make_strip_folder(dir);
    loaded l;
    load_dir(dir, &l);
    remove_temp_dir(dir);
    check_cases(l.tok, strip_cases, sizeof strip_cases / sizeof strip_cases[0]);
    /* Stripped whitespace longer than the look-ahead window, also when it
     * is all that is left of a piece (then no word at all). */
    static const struct { const char *head; size_t spaces; const char *tail; int n; int32_t ids[8]; } runs[] = {
        { "<s>", 300, "<mask>x", 7, { 0, 0, 4, 92, 2, 2, 2 } },
        { "a", 300, "<mask>", 6, { 0, 69, 4, 2, 2, 2 } },
        { "", 300, "<mask>", 5, { 0, 4, 2, 2, 2 } },
        { "a", 254, "\xE3\x80\x80\xE3\x80\x80\xE3\x80\x80<mask>", 6, { 0, 69, 4, 2, 2, 2 } },
        { "</s>", 300, "b", 6, { 0, 2, 70, 2, 2, 2 } },
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        char text[400];
        size_t hl = strlen(runs[i].head), tl = strlen(runs[i].tail);
        memcpy(text, runs[i].head, hl);
        memset(text + hl, ' ', runs[i].spaces);
        memcpy(text + hl + runs[i].spaces, runs[i].tail, tl);
        int32_t ids[16];
        int n = encode(l.tok, text, hl + runs[i].spaces + tl, "", 0, 16, ids, NULL);
        char what[64];
        snprintf(what, sizeof what, "long whitespace %zu", i);
        expect_same(ids, n, runs[i].ids, runs[i].n, what);
    }
    unload(&l);
}

/* With add_prefix_space, a piece that a token stripped to nothing gets no
 * space either. */
Test(added, strip_and_prefix_space)
{
    char dir[4096];
    make_temp_dir(dir, sizeof dir);
    make_strip_folder(dir);
    loaded l;
    load_dir(dir, &l);
    remove_temp_dir(dir);
    cb_tokenizer_spec spec = l.hf.spec;
    spec.add_prefix_space = 1;
    cb_tokenizer *tok = NULL;
    cb_error err;
    cr_assert_eq(cb_tokenizer_create(&spec, NULL, &tok, &err), CB_OK, "%s", err.message);
    char text[400];
    memset(text, ' ', 300);
    memcpy(text + 300, "<mask>", 6);
    int32_t ids[16];
    const int32_t want_mask[5] = { 0, 4, 2, 2, 2 };
    int n = encode(tok, text, 306, "", 0, 16, ids, NULL);
    expect_same(ids, n, want_mask, 5, "long stripped piece");
    n = encode(tok, text + 298, 8, "", 0, 16, ids, NULL);
    expect_same(ids, n, want_mask, 5, "short stripped piece");
    text[0] = 'x';
    const int32_t want_x[6] = { 0, 916, 4, 2, 2, 2 };
    n = encode(tok, text, 306, "", 0, 16, ids, NULL);
    expect_same(ids, n, want_x, 6, "x, then stripped spaces");
    cb_tokenizer_free(tok);
    unload(&l);
}

/* The strip flags and the merges travel in the .cbm file. */
Test(added, strip_flags_in_the_model_file)
{
    char dir[4096];
    make_temp_dir(dir, sizeof dir);
    make_strip_folder(dir);
    copy_fixture_file("roberta-tiny", "config.json", dir);
    copy_fixture_file("roberta-tiny", "model.safetensors", dir);
    char *file = cbt_temp_path("roberta-strip.cbm");
    cb_error err;
    cr_assert_eq(cb_convert(dir, file, CB_DTYPE_F32, NULL, &err), CB_OK, "%s", err.message);
    cb_model *models[2] = { cbt_load(file, 1), cbt_load(dir, 1) };
    for (int m = 0; m < 2; m++) {
        for (size_t i = 0; i < sizeof strip_cases / sizeof strip_cases[0]; i++) {
            int32_t ids[64];
            size_t n;
            cb_pair p = { strip_cases[i].text, strip_cases[i].len, "", 0 };
            cr_assert_eq(cb_tokenize(models[m], &p, 64, ids, NULL, 64, &n, &err), CB_OK, "%s", err.message);
            char what[64];
            snprintf(what, sizeof what, "model %d case %zu", m, i);
            expect_same(ids, (int)n, strip_cases[i].ids, strip_cases[i].n, what);
        }
        cb_model_free(models[m]);
    }
    unlink(file);
    free(file);
    char weights[4200];
    snprintf(weights, sizeof weights, "%s/model.safetensors", dir);
    unlink(weights);
    remove_temp_dir(dir);
}

/* ---- the BPE model on a hand-made vocabulary -------------------------------------------- */

/* Ids: <s> 0, </s> 1, <unk> 2, a 3, b 4, c 5, ab 6, bc 7, abc 8, aa 9,
 * aaaa 10, Ġ 11, Ġa 12. The merge "a b" is listed twice: the later rank
 * counts. */
static const char small_vocab[] =
    "<s>\0</s>\0<unk>\0a\0b\0c\0ab\0bc\0abc\0aa\0aaaa\0\xC4\xA0\0\xC4\xA0""a";
static const char small_merges[] = "b\0c\0a\0b\0a\0bc\0a\0a\0aa\0aa\0\xC4\xA0\0a\0a\0b";

static cb_tokenizer *small_tokenizer(int32_t unk_id, int fuse_unk)
{
    cb_tokenizer_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.kind = CB_TOKENIZER_BPE;
    spec.continuing_subword_prefix = "";
    spec.unk_id = unk_id;
    spec.vocab = small_vocab;
    spec.vocab_bytes = sizeof small_vocab;
    spec.n_vocab = 13;
    static const cb_template_item tmpl[6] = {
        { CB_TEMPLATE_SPECIAL, 0, 0 }, { CB_TEMPLATE_SEQUENCE_A, 0, 0 }, { CB_TEMPLATE_SPECIAL, 1, 0 },
        { CB_TEMPLATE_SPECIAL, 1, 0 }, { CB_TEMPLATE_SEQUENCE_B, 0, 0 }, { CB_TEMPLATE_SPECIAL, 1, 0 },
    };
    memcpy(spec.pair_template, tmpl, sizeof tmpl);
    spec.n_template = 6;
    spec.merges = small_merges;
    spec.merges_bytes = sizeof small_merges;
    spec.n_merges = 7;
    spec.fuse_unk = fuse_unk;
    cb_tokenizer *tok = NULL;
    cb_error err;
    cr_assert_eq(cb_tokenizer_create(&spec, NULL, &tok, &err), CB_OK, "%s", err.message);
    return tok;
}

/* Expected ids from tokenizers 0.23.3 with the same vocabulary and merges
 * (BPE, ByteLevel, RobertaProcessing). */
Test(model, merge_order_unknown_bytes_and_unk)
{
    static const struct { const char *text; int n[3]; int32_t ids[3][10]; } cases[] = {
        /* b c (rank 0) before a b: then a bc */
        { "abc", { 5, 5, 5 }, { { 0, 8, 1, 1, 1 }, { 0, 8, 1, 1, 1 }, { 0, 8, 1, 1, 1 } } },
        /* a b's rank is its later one (6), after a a (3) */
        { "aab", { 6, 6, 6 }, { { 0, 9, 4, 1, 1, 1 }, { 0, 9, 4, 1, 1, 1 }, { 0, 9, 4, 1, 1, 1 } } },
        /* equal ranks merge leftmost first */
        { "aaaaa", { 6, 6, 6 }, { { 0, 10, 3, 1, 1, 1 }, { 0, 10, 3, 1, 1, 1 }, { 0, 10, 3, 1, 1, 1 } } },
        { " aab", { 7, 7, 7 }, { { 0, 11, 9, 4, 1, 1, 1 }, { 0, 11, 9, 4, 1, 1, 1 }, { 0, 11, 9, 4, 1, 1, 1 } } },
        /* bytes outside the vocabulary: dropped without unk (and a b then
         * meet), one unk when fused, one each otherwise */
        { "xyz", { 4, 5, 7 }, { { 0, 1, 1, 1 }, { 0, 2, 1, 1, 1 }, { 0, 2, 2, 2, 1, 1, 1 } } },
        { "axb", { 5, 7, 7 }, { { 0, 6, 1, 1, 1 }, { 0, 3, 2, 4, 1, 1, 1 }, { 0, 3, 2, 4, 1, 1, 1 } } },
        { "axxb c", { 7, 9, 10 },
          { { 0, 6, 11, 5, 1, 1, 1 }, { 0, 3, 2, 4, 11, 5, 1, 1, 1 }, { 0, 3, 2, 2, 4, 11, 5, 1, 1, 1 } } },
        { "aaaaaaa abcabc", { 10, 10, 10 },
          { { 0, 10, 9, 3, 11, 8, 8, 1, 1, 1 }, { 0, 10, 9, 3, 11, 8, 8, 1, 1, 1 },
            { 0, 10, 9, 3, 11, 8, 8, 1, 1, 1 } } },
    };
    cb_tokenizer *toks[3] = { small_tokenizer(-1, 0), small_tokenizer(2, 1), small_tokenizer(2, 0) };
    int32_t ids[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int v = 0; v < 3; v++) {
            int n = encode(toks[v], cases[i].text, CB_NUL_TERMINATED, "", 0, 32, ids, NULL);
            char what[64];
            snprintf(what, sizeof what, "\"%s\" variant %d", cases[i].text, v);
            expect_same(ids, n, cases[i].ids[v], cases[i].n[v], what);
        }
    }
    for (int v = 0; v < 3; v++) cb_tokenizer_free(toks[v]);
}

Test(model, merges_must_be_in_the_vocabulary)
{
    cb_tokenizer *ok = small_tokenizer(-1, 0);
    cb_tokenizer_free(ok);
    cb_tokenizer_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.kind = CB_TOKENIZER_BPE;
    spec.unk_id = -1;
    spec.vocab = small_vocab;
    spec.vocab_bytes = sizeof small_vocab;
    spec.n_vocab = 13;
    static const cb_template_item tmpl[2] = { { CB_TEMPLATE_SEQUENCE_A, 0, 0 }, { CB_TEMPLATE_SEQUENCE_B, 0, 0 } };
    memcpy(spec.pair_template, tmpl, sizeof tmpl);
    spec.n_template = 2;
    static const char bad_result[] = "c\0c";      /* "cc" is no token */
    static const char bad_part[] = "a\0x";        /* "x" is no token */
    static const char short_blob[] = "a\0b\0c";   /* two merges announced, one and a half given */
    const struct { const char *m; size_t bytes; uint32_t n; const char *say; } bad[] = {
        { bad_result, sizeof bad_result, 1, "merged token" },
        { bad_part, sizeof bad_part, 1, "right part" },
        { short_blob, sizeof short_blob, 2, "end after" },
        { small_merges, sizeof small_merges, 6, "more than" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        spec.merges = bad[i].m;
        spec.merges_bytes = bad[i].bytes;
        spec.n_merges = bad[i].n;
        cb_tokenizer *t = NULL;
        cb_error err;
        cr_assert_eq(cb_tokenizer_create(&spec, NULL, &t, &err), CB_ERR_INVALID_ARGUMENT, "case %zu", i);
        cr_assert_null(t);
        cr_assert(strstr(err.message, bad[i].say), "case %zu: %s", i, err.message);
    }
    spec.merges = NULL;
    spec.merges_bytes = 0;
    spec.n_merges = 0;
    spec.unk_id = 13;
    cb_tokenizer *t = NULL;
    cb_error err;
    cr_assert_eq(cb_tokenizer_create(&spec, NULL, &t, &err), CB_ERR_INVALID_ARGUMENT);
}

/* ---- errors, limits, huge texts ------------------------------------------------------------- */

Test(encode, empty_texts_and_specials_only)
{
    loaded l;
    load_fixture("roberta-tiny", &l);
    cr_assert_eq(cb_tokenizer_num_special(l.tok), 4);
    int32_t cls = cb_tokenizer_token_id(l.tok, "<s>"), sep = cb_tokenizer_token_id(l.tok, "</s>");
    int32_t ids[16], types[16];
    int n = encode(l.tok, "", 0, "", 0, 16, ids, types);
    const int32_t want[4] = { cls, sep, sep, sep };
    expect_same(ids, n, want, 4, "empty pair");
    for (int k = 0; k < n; k++) cr_assert_eq(types[k], 0);
    n = encode(l.tok, NULL, 0, "", CB_NUL_TERMINATED, 16, ids, NULL);
    expect_same(ids, n, want, 4, "NULL text of length 0");
    unload(&l);

    load_fixture("deberta-tiny-3label", &l);
    cls = cb_tokenizer_token_id(l.tok, "[CLS]");
    sep = cb_tokenizer_token_id(l.tok, "[SEP]");
    n = encode(l.tok, "", 0, "", 0, 16, ids, types);
    const int32_t want_d[4] = { cls, sep, sep, sep };
    expect_same(ids, n, want_d, 4, "DeBERTa empty pair");
    unload(&l);
}

Test(encode, invalid_utf8)
{
    loaded l;
    load_fixture("roberta-tiny", &l);
    static const struct { const char *bytes; size_t len; size_t offset; } bad[] = {
        { "ab\x80", 3, 2 }, { "\xC0\xAF", 2, 0 }, { "x\xED\xA0\x80", 4, 1 }, { "caf\xC3", 4, 3 },
        { "ok \xF4\x90\x80\x80", 7, 3 }, { "\xFF", 1, 0 },
    };
    int32_t ids[64];
    cb_error err;
    int n;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "byte offset %zu", bad[i].offset);
        cr_assert_eq(cb_tokenizer_encode_pair(l.tok, "fine", 4, bad[i].bytes, bad[i].len, 64, ids, NULL, &n, &err),
                     CB_ERR_INVALID_UTF8, "case %zu", i);
        cr_assert(strstr(err.message, "text b") && strstr(err.message, want), "case %zu: %s", i, err.message);
    }
    unload(&l);
}

Test(encode, max_length_limits)
{
    loaded l;
    load_fixture("roberta-tiny", &l);
    int32_t cls = cb_tokenizer_token_id(l.tok, "<s>"), sep = cb_tokenizer_token_id(l.tok, "</s>");
    int32_t ids[8];
    cb_error err;
    int n;
    cr_assert_eq(cb_tokenizer_encode_pair(l.tok, "a", 1, "b", 1, 3, ids, NULL, &n, &err), CB_ERR_MAX_LENGTH);
    cr_assert(strstr(err.message, "4 special"), "%s", err.message);
    /* max_length 4: only the specials */
    n = encode(l.tok, "hello there", CB_NUL_TERMINATED, "general kenobi", CB_NUL_TERMINATED, 4, ids, NULL);
    const int32_t only[4] = { cls, sep, sep, sep };
    expect_same(ids, n, only, 4, "max_length 4");
    /* max_length 5: the one token goes to B on a tie, else to the longer */
    n = encode(l.tok, "x", 1, "y", 1, 5, ids, NULL);
    cr_assert(n == 5 && ids[1] == sep && ids[2] == sep && ids[4] == sep, "a tie gives the odd token to B");
    n = encode(l.tok, "x y z", 5, "y", 1, 5, ids, NULL);
    cr_assert(n == 5 && ids[2] == sep && ids[3] == sep && ids[4] == sep, "the longer A gets it");
    unload(&l);
}

Test(encode, text_too_long)
{
    loaded l;
    load_fixture("roberta-tiny", &l);
    size_t len = (size_t)CB_MAX_TEXT_BYTES + 1;
    char *big = repeat("ab ", len);
    int32_t ids[16];
    cb_error err;
    int n;
    cr_assert_eq(cb_tokenizer_encode_pair(l.tok, big, len, "q", 1, 16, ids, NULL, &n, &err), CB_ERR_TEXT_TOO_LONG);
    cr_assert(strstr(err.message, "text a"), "%s", err.message);
    /* Exactly at the limit is accepted. */
    cr_assert_eq(cb_tokenizer_encode_pair(l.tok, big, len - 1, "q", 1, 16, ids, NULL, &n, &err), CB_OK, "%s",
                 err.message);
    cr_assert_eq(n, 16);
    free(big);
    unload(&l);
}

/* tokenizers stops a text after the word that reaches max_length tokens, so
 * a huge text costs max_length tokens of work and gives the ids of its first
 * part (long enough to be truncated alike). */
#define UNIT "Berlin had a population of 3,520,031 registered inhabitants. "

Test(encode, megabyte_text_equals_its_first_part)
{
    static const char *const fixtures[] = { "roberta-tiny", "deberta-tiny-3label" };
    for (size_t f = 0; f < 2; f++) {
        loaded l;
        load_fixture(fixtures[f], &l);
        size_t unit = strlen(UNIT);
        char *big = repeat(UNIT, 1u << 20);
        static int32_t x[512], y[512];
        const int lengths[] = { 512, 33, 32, 4 };
        for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
            int ml = lengths[i];
            int nx = encode(l.tok, "how many people live in berlin?", CB_NUL_TERMINATED, big, 1u << 20, ml, x, NULL);
            int ny = encode(l.tok, "how many people live in berlin?", CB_NUL_TERMINATED, big, unit * 100, ml, y, NULL);
            cr_assert_eq(nx, ml);
            expect_same(x, nx, y, ny, "short a, huge b");
            nx = encode(l.tok, big, 1u << 20, big, unit * 10000, ml, x, NULL);
            ny = encode(l.tok, big, unit * 200, big, unit * 100, ml, y, NULL);
            expect_same(x, nx, y, ny, "two huge texts");
        }
        free(big);
        unload(&l);
    }
}

/* One word is tokenised whole, however long (tokenizers does too, and its
 * token count decides truncation). Token counts and FNV-1a hashes of all the
 * ids from tokenizers 0.23.3 on roberta-tiny. */
static uint64_t fnv_ids(const int32_t *ids, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint64_t)(uint32_t)ids[i]) * 0x100000001b3ull;
    return h;
}

Test(encode, long_single_words, .timeout = 120)
{
    loaded l;
    load_fixture("roberta-tiny", &l);
    char *a = repeat("a", 1u << 20);
    char *hello = repeat("Hello\xC3\xA9world", 240000);
    char *blank = repeat(" \t", 140001);
    blank[140000] = 'x';   /* " \t" * 70000 + "x" */
    const struct { const char *text; size_t len; size_t n; uint64_t hash; } words[] = {
        { a, 1u << 20, 1u << 20, 0xf3e5fc3d8e722325ull },
        { hello, 240000, 160000, 0x76221528f8d49565ull },
        { blank, 140001, 140001, 0x4fbab1d03449be7bull },
    };
    const int max_length = (1 << 20) + 8;
    int32_t *ids = malloc((size_t)max_length * sizeof *ids);
    cr_assert(ids);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        int n = encode(l.tok, words[i].text, words[i].len, "", 0, max_length, ids, NULL);
        cr_assert_eq((size_t)n, words[i].n + 4, "word %zu: %d tokens", i, n);
        cr_assert_eq(fnv_ids(ids + 1, words[i].n), words[i].hash, "word %zu: ids differ", i);
    }
    free(ids);
    free(a);
    free(hello);
    free(blank);
    unload(&l);
}

/* ---- the folder reader ------------------------------------------------------------------------ */

static cb_status read_dir(const char *dir, cb_error *err)
{
    cb_hf_tokenizer hf;
    cb_status rc = cb_hf_tokenizer_read(dir, NULL, &hf, err);
    if (rc == CB_OK) cb_hf_tokenizer_release(&hf);
    return rc;
}

#define BPE_JSON(pre, model_extra) \
    "{\"normalizer\": null, \"pre_tokenizer\": " pre ", \"post_processor\": {\"type\": \"RobertaProcessing\"," \
    " \"sep\": [\"b\", 1], \"cls\": [\"a\", 0]}, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1," \
    " \"ab\": 2}, \"merges\": [\"a b\"]" model_extra "}}"

Test(reader, unsupported_parts_are_named)
{
    char dir[4096];
    make_temp_dir(dir, sizeof dir);
    cb_error err;
    static const struct { const char *json; cb_status rc; const char *say; } cases[] = {
        { BPE_JSON("{\"type\": \"ByteLevel\", \"add_prefix_space\": true}", ""), CB_OK, "" },
        { BPE_JSON("{\"type\": \"Metaspace\"}", ""), CB_ERR_UNSUPPORTED_MODEL, "Metaspace" },
        { BPE_JSON("{\"type\": \"ByteLevel\", \"use_regex\": false}", ""), CB_ERR_UNSUPPORTED_MODEL, "use_regex" },
        { BPE_JSON("{\"type\": \"ByteLevel\"}", ", \"byte_fallback\": true"), CB_ERR_UNSUPPORTED_MODEL,
          "byte_fallback" },
        { BPE_JSON("{\"type\": \"ByteLevel\"}", ", \"dropout\": 0.1"), CB_ERR_UNSUPPORTED_MODEL, "dropout" },
        { BPE_JSON("{\"type\": \"ByteLevel\"}", ", \"continuing_subword_prefix\": \"##\""),
          CB_ERR_UNSUPPORTED_MODEL, "continuing_subword_prefix" },
        { BPE_JSON("{\"type\": \"ByteLevel\"}", ", \"unk_token\": \"zz\""), CB_ERR_HF_FORMAT, "zz" },
        { "{\"normalizer\": {\"type\": \"NFC\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0},"
          " \"merges\": []}}", CB_ERR_UNSUPPORTED_MODEL, "NFC" },
        { "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a b\"]}}",
          CB_ERR_HF_FORMAT, "merge 1" },
        { "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a b c\"]}}",
          CB_ERR_HF_FORMAT, "merge line 1" },
        { "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [[\"a\"]]}}",
          CB_ERR_HF_FORMAT, "pair of strings" },
        { "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0.0]]}}", CB_ERR_UNSUPPORTED_MODEL, "Unigram" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_str(dir, "tokenizer.json", cases[i].json);
        cr_assert_eq(read_dir(dir, &err), cases[i].rc, "case %zu: %s", i, err.message);
        if (cases[i].rc != CB_OK) cr_assert(strstr(err.message, cases[i].say), "case %zu: %s", i, err.message);
    }
    remove_temp_dir(dir);
}

Test(reader, vocab_json_needs_a_known_class_and_merges)
{
    char dir[4096];
    make_temp_dir(dir, sizeof dir);
    cb_error err;
    copy_fixture_file("roberta-tiny", "vocab.json", dir);
    write_str(dir, "tokenizer_config.json", "{\"tokenizer_class\": \"GPT2Tokenizer\"}");
    cr_assert_eq(read_dir(dir, &err), CB_ERR_UNSUPPORTED_MODEL);
    cr_assert(strstr(err.message, "GPT2Tokenizer"), "%s", err.message);
    write_str(dir, "tokenizer_config.json", "{\"tokenizer_class\": \"RobertaTokenizer\"}");
    cr_assert_eq(read_dir(dir, &err), CB_ERR_MISSING_FILE);
    cr_assert(strstr(err.message, "merges.txt"), "%s", err.message);
    /* merges.txt as tokenizers reads it: "#version" lines skipped, CRLF
     * fine, exactly one space a line */
    write_str(dir, "merges.txt", "#version: 0.2\r\n\xC4\xA0 \xC4\xA0\r\n");
    cr_assert_eq(read_dir(dir, &err), CB_OK, "%s", err.message);
    write_str(dir, "merges.txt", "#version: 0.2\n\xC4\xA0 \xC4\xA0\n\ns e\n");
    cr_assert_eq(read_dir(dir, &err), CB_ERR_HF_FORMAT);
    cr_assert(strstr(err.message, "merges.txt") && strstr(err.message, "line 3"), "%s", err.message);
    write_str(dir, "merges.txt", "q q\n");
    cr_assert_eq(read_dir(dir, &err), CB_ERR_HF_FORMAT);
    cr_assert(strstr(err.message, "\"q\" \"q\""), "%s", err.message);
    remove_temp_dir(dir);
}
