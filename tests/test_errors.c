/* test_errors.c: bad input gets a specific status and message, never a crash
 * (the suite runs under AddressSanitizer + UBSan in CI as well). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cbm_writer.h"
#include "model_file.h"
#include "support.h"

static cb_status load_bytes(const void *data, size_t size, int skip_checksum, cb_error *err)
{
    cb_load_options o = { .skip_checksum = skip_checksum };
    cb_model *m = NULL;
    cb_status s = cb_model_load_buffer(data, size, &o, &m, err);
    cr_assert((s == CB_OK) == (m != NULL), "a model is returned exactly when loading succeeds");
    cb_model_free(m);
    return s;
}

/* The bytes of bert-tiny's float32 .cbm file (malloc'd). */
static char *tiny_image(size_t *size)
{
    char *path = cbt_converted("bert-tiny", CB_DTYPE_F32);
    char *bytes = cbt_read(path, size);
    free(path);
    return bytes;
}

Test(model_file, truncated_at_many_points)
{
    size_t size;
    char *bytes = tiny_image(&size);
    const size_t cuts[] = { 0, 1, 7, 8, 63, 64, 65, 200, size / 3, size / 2, size - 64, size - 1 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        cb_error err;
        cr_expect_eq(load_bytes(bytes, cuts[i], 0, &err), CB_ERR_MODEL_FORMAT, "cut at %zu: %s", cuts[i], err.message);
        cr_expect(strlen(err.message) > 0);
    }
    /* A truncated file on disk names the file in the message. */
    char *tpath = cbt_temp_path("truncated.cbm");
    cbt_write(tpath, bytes, size / 2);
    cb_model *m = NULL;
    cb_error err;
    cr_assert_eq(cb_model_load(tpath, NULL, &m, &err), CB_ERR_MODEL_FORMAT);
    cr_assert_null(m);
    cr_expect(strstr(err.message, "truncated") != NULL, "message: %s", err.message);
    cr_expect(strstr(err.message, tpath) != NULL, "message names the file: %s", err.message);
    unlink(tpath);
    free(tpath);
    free(bytes);
}

Test(model_file, flipped_bytes_fail_the_checksum)
{
    size_t size;
    char *bytes = tiny_image(&size);
    for (size_t pos = 64; pos < size; pos += size / 97) {
        bytes[pos] ^= 0x20;
        cb_error err;
        cr_expect_eq(load_bytes(bytes, size, 0, &err), CB_ERR_MODEL_FORMAT, "flip at %zu", pos);
        cr_expect(strstr(err.message, "checksum") != NULL, "message: %s", err.message);
        bytes[pos] ^= 0x20;
    }
    cb_error err;
    cr_assert_eq(load_bytes(bytes, size, 0, &err), CB_OK, "the unflipped file loads: %s", err.message);
    free(bytes);
}

Test(model_file, bad_magic_and_version)
{
    size_t size;
    char *bytes = tiny_image(&size);
    cb_error err;
    bytes[0] = 'X';
    cr_expect_eq(load_bytes(bytes, size, 0, &err), CB_ERR_MODEL_FORMAT);
    cr_expect(strstr(err.message, "magic") != NULL, "message: %s", err.message);
    bytes[0] = 'C';
    bytes[8] = 99; /* version field */
    cr_expect_eq(load_bytes(bytes, size, 0, &err), CB_ERR_MODEL_VERSION);
    cr_expect(strstr(err.message, "version 99") != NULL, "message: %s", err.message);
    free(bytes);
}

/* With the checksum skipped, damage reaches the parsers behind it: every
 * outcome must be a clean status. Deterministic pseudo-random flips over the
 * header and metadata, where parsing happens. */
Test(model_file, damaged_metadata_without_checksum)
{
    size_t size;
    char *bytes = tiny_image(&size);
    char *copy = malloc(size);
    cr_assert(copy);
    uint32_t rng = 12345;
    int failures = 0;
    for (int round = 0; round < 300; round++) {
        memcpy(copy, bytes, size);
        for (int k = 0; k < 3; k++) {
            rng = rng * 1103515245u + 12345u;
            size_t pos = (rng >> 8) % 8192;
            rng = rng * 1103515245u + 12345u;
            copy[pos] = (char)(rng >> 16);
        }
        cb_error err;
        cb_status s = load_bytes(copy, size, 1, &err);
        if (s != CB_OK) {
            failures++;
            cr_expect(s == CB_ERR_MODEL_FORMAT || s == CB_ERR_MODEL_VERSION || s == CB_ERR_UNSUPPORTED_MODEL,
                      "round %d: status %d (%s)", round, s, err.message);
        }
    }
    cr_expect(failures > 0, "damage was noticed at least sometimes");
    free(copy);
    free(bytes);
}

/* The image of `f` again, with tensor `victim` stored as int8 rows (all 0,
 * scale 1) instead of float32: a well-formed file whose tensor has a type its
 * reader may not expect. */
static uint8_t *retyped_image(const cb_model_file *f, const char *victim, size_t *out_size)
{
    cb_writer w = { 0 };
    cb_error err;
    for (size_t i = 0; i < f->n_tensors; i++) {
        const cb_tensor *t = &f->tensors[i];
        if (strcmp(t->name, victim) == 0) {
            const size_t rows = (size_t)t->shape[0], cols = (size_t)t->shape[1];
            int8_t *q = calloc(rows * cols, 1);
            float *scale = malloc(rows * sizeof *scale);
            cr_assert(q && scale);
            for (size_t r = 0; r < rows; r++) scale[r] = 1.0f;
            char sname[96];
            snprintf(sname, sizeof sname, "%s.scale", t->name);
            cr_assert_eq(cb_writer_add(&w, t->name, CBM_I8, 2, t->shape, q, rows * cols, &err), CB_OK);
            cr_assert_eq(cb_writer_add(&w, sname, CBM_F32, 1, t->shape, scale, rows * sizeof *scale, &err), CB_OK);
        } else {
            void *copy = malloc(t->size ? t->size : 1);
            cr_assert(copy);
            memcpy(copy, t->data, t->size);
            cr_assert_eq(cb_writer_add(&w, t->name, t->dtype, t->n_dims, t->shape, copy, t->size, &err), CB_OK);
        }
    }
    cJSON *meta = cJSON_Duplicate(f->meta, 1);
    uint8_t *out = NULL;
    cr_assert_eq(cb_writer_finish(&w, meta, &out, out_size, &err), CB_OK, "%s", err.message);
    cJSON_Delete(meta);
    cb_writer_release(&w);
    return out;
}

/* Every float32 matrix of a model, stored as int8 instead: the loader either
 * refuses the file (CB_ERR_MODEL_FORMAT) or scores with it; it never reads
 * the tensor as the type it expected (AddressSanitizer would see the reads
 * past an int8 tensor read as float32). The classification output layer is
 * computed as float32 only, so that one must be refused. */
Test(model_file, tensor_stored_as_another_type)
{
    size_t size;
    char *bytes = tiny_image(&size);
    cb_model_file f;
    cb_error err;
    cr_assert_eq(cb_model_file_parse((const uint8_t *)bytes, size, 1, NULL, &f, &err), CB_OK, "%s", err.message);
    const cb_pair pair = { "a question", CB_NUL_TERMINATED, "an answer", CB_NUL_TERMINATED };
    int refused = 0, loaded = 0;
    for (size_t i = 0; i < f.n_tensors; i++) {
        const cb_tensor *t = &f.tensors[i];
        if (t->dtype != CBM_F32 || t->n_dims != 2) continue;
        size_t img_size;
        uint8_t *img = retyped_image(&f, t->name, &img_size);
        cb_model *m = NULL;
        const cb_status s = cb_model_load_buffer(img, img_size, NULL, &m, &err);
        if (s == CB_OK) {
            float score;
            cr_expect_eq(cb_predict(m, &pair, 1, NULL, &score, &err), CB_OK, "%s as int8: %s", t->name, err.message);
            cb_model_free(m);
            loaded++;
        } else {
            cr_expect_eq(s, CB_ERR_MODEL_FORMAT, "%s as int8: status %d (%s)", t->name, s, err.message);
            cr_expect(strstr(err.message, t->name) != NULL, "the message names %s: %s", t->name, err.message);
            refused++;
        }
        if (strcmp(t->name, "head.out.w") == 0) cr_expect_neq(s, CB_OK, "head.out.w as int8 must be refused");
        cb_aligned_free(NULL, img);
    }
    cr_expect(loaded > 0 && refused > 0, "%d loaded, %d refused", loaded, refused);
    cb_model_file_release(&f);
    free(bytes);
}

/* Replaces, in the first `limit` bytes of buf, the first number after `key`
 * that has at least strlen(value) characters by `value`, padded with spaces
 * (JSON whitespace) so that nothing moves. Fails the test if none is found. */
static void replace_number_after(char *buf, size_t limit, const char *key, const char *value)
{
    const size_t kl = strlen(key), vl = strlen(value);
    for (size_t i = 0; i + kl < limit; i++) {
        if (memcmp(buf + i, key, kl) != 0) continue;
        size_t j = i + kl, digits = 0;
        while (j + digits < limit && buf[j + digits] >= '0' && buf[j + digits] <= '9') digits++;
        if (digits < vl) continue;
        memset(buf + j, ' ', digits);
        memcpy(buf + j, value, vl);
        return;
    }
    cr_assert_fail("no number of %zu digits after %s", vl, key);
}

/* Tensor offsets and sizes that no integer type holds (1e30, and 1e999,
 * which parses as infinity) are refused before any conversion: converting
 * such a double to an integer is undefined, and the sanitizer build checks
 * float-to-integer conversions. */
Test(model_file, numbers_past_integer_range)
{
    size_t size;
    char *bytes = tiny_image(&size);
    char *copy = malloc(size);
    cr_assert(copy);
    static const char *const keys[] = { "\"offset\":", "\"size\":" };
    static const char *const values[] = { "1e999", "1e30" };
    for (size_t k = 0; k < 2; k++) {
        for (size_t v = 0; v < 2; v++) {
            memcpy(copy, bytes, size);
            replace_number_after(copy, size < 65536 ? size : 65536, keys[k], values[v]);
            cb_error err;
            cr_expect_eq(load_bytes(copy, size, 1, &err), CB_ERR_MODEL_FORMAT, "%s%s: %s", keys[k], values[v],
                         err.message);
            cr_expect(strstr(err.message, "outside") != NULL, "%s%s: %s", keys[k], values[v], err.message);
        }
    }
    free(copy);
    free(bytes);
}

Test(model_file, missing_file_and_not_a_model)
{
    cb_model *m = NULL;
    cb_error err;
    cr_expect_eq(cb_model_load("/nonexistent/model.cbm", NULL, &m, &err), CB_ERR_MISSING_FILE);
    cr_expect(strstr(err.message, "/nonexistent/model.cbm") != NULL, "message: %s", err.message);
    char *cfg = cbt_fixture_path("bert-tiny", "config.json");
    cr_expect_eq(cb_model_load(cfg, NULL, &m, &err), CB_ERR_MODEL_FORMAT, "%s", err.message);
    free(cfg);
    cr_expect_eq(cb_model_load(NULL, NULL, &m, &err), CB_ERR_INVALID_ARGUMENT);
}

/* A scratch Hugging Face folder made of a fixture's files, some changed. */
static char *scratch_folder(const char *fixture, const char *const *keep, const char *config_text)
{
    char *dir = cbt_temp_path(fixture);
    mkdir(dir, 0755);
    for (size_t i = 0; keep[i]; i++) {
        char *src = cbt_fixture_path(fixture, keep[i]);
        size_t n;
        char *data = cbt_read(src, &n);
        char dst[2048];
        snprintf(dst, sizeof dst, "%s/%s", dir, keep[i]);
        cbt_write(dst, data, n);
        free(data);
        free(src);
    }
    if (config_text) {
        char dst[2048];
        snprintf(dst, sizeof dst, "%s/config.json", dir);
        cbt_write(dst, config_text, strlen(config_text));
    }
    return dir;
}

static char *fixture_config_with(const char *from, const char *to)
{
    char *path = cbt_fixture_path("bert-tiny", "config.json");
    char *text = cbt_read(path, NULL);
    char *at = strstr(text, from);
    cr_assert(at != NULL);
    size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    free(text);
    free(path);
    return out;
}

/* bert-tiny with `from` replaced by `to` in its config.json must be refused
 * with status `want` and a message naming `named`; the folder is returned
 * (malloc'd) for further checks. */
static char *expect_config_refused(const char *from, const char *to, cb_status want, const char *named)
{
    char *config = fixture_config_with(from, to);
    const char *keep[] = { "model.safetensors", "vocab.txt", "tokenizer.json", "tokenizer_config.json", NULL };
    char *dir = scratch_folder("bert-tiny", keep, config);
    cb_model *m = NULL;
    cb_error err;
    cr_expect_eq(cb_model_load(dir, NULL, &m, &err), want, "%s -> %s: %s", from, to, err.message);
    cr_expect(strstr(err.message, named) != NULL, "message: %s", err.message);
    free(config);
    return dir;
}

Test(hf_folder, unsupported_architecture_is_named)
{
    char *dir = expect_config_refused("BertForSequenceClassification", "GPT2ForSequenceClassification",
                                      CB_ERR_UNSUPPORTED_MODEL, "GPT2ForSequenceClassification");
    cb_error err;
    cr_expect_eq(cb_convert(dir, "/dev/null", CB_DTYPE_F32, NULL, &err), CB_ERR_UNSUPPORTED_MODEL);
    free(dir);
}

/* Relative position embeddings in a BERT (position_embedding_type
 * "relative_key") change the attention; the converter must refuse them, not
 * compute absolute ones. */
Test(hf_folder, relative_position_embeddings_are_refused)
{
    free(expect_config_refused("\"architectures\"",
                               "\"position_embedding_type\": \"relative_key\", \"architectures\"",
                               CB_ERR_UNSUPPORTED_MODEL, "relative_key"));
}

Test(hf_folder, missing_vocabulary)
{
    const char *keep[] = { "config.json", "model.safetensors", NULL };
    char *dir = scratch_folder("bert-tiny", keep, NULL);
    cb_model *m = NULL;
    cb_error err;
    cr_expect_eq(cb_model_load(dir, NULL, &m, &err), CB_ERR_MISSING_FILE);
    cr_expect(strstr(err.message, "vocab") != NULL, "message names the vocabulary: %s", err.message);
    free(dir);
}

Test(hf_folder, pickle_only_weights)
{
    const char *keep[] = { "config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json", NULL };
    char *dir = scratch_folder("bert-tiny", keep, NULL);
    char bin[2048];
    snprintf(bin, sizeof bin, "%s/pytorch_model.bin", dir);
    cbt_write(bin, "PK", 2);
    cb_model *m = NULL;
    cb_error err;
    cr_expect_eq(cb_model_load(dir, NULL, &m, &err), CB_ERR_MISSING_FILE);
    cr_expect(strstr(err.message, "model.safetensors") != NULL, "message says what to get: %s", err.message);
    free(dir);
}

Test(hf_folder, malformed_config_and_weights)
{
    const char *keep[] = { "vocab.txt", "tokenizer.json", "tokenizer_config.json", NULL };
    char *dir = scratch_folder("bert-tiny", keep, "{\"architectures\": [\"BertForSeq");
    cb_model *m = NULL;
    cb_error err;
    cr_expect_eq(cb_model_load(dir, NULL, &m, &err), CB_ERR_HF_FORMAT, "%s", err.message);
    cr_expect(strstr(err.message, "config.json") != NULL, "message: %s", err.message);
    free(dir);

    /* safetensors cut in half */
    const char *keep2[] = { "config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json", NULL };
    dir = scratch_folder("bert-tiny", keep2, NULL);
    char *src = cbt_fixture_path("bert-tiny", "model.safetensors");
    size_t n;
    char *data = cbt_read(src, &n);
    char dst[2048];
    snprintf(dst, sizeof dst, "%s/model.safetensors", dir);
    cbt_write(dst, data, n / 2);
    cr_expect_eq(cb_model_load(dir, NULL, &m, &err), CB_ERR_HF_FORMAT, "%s", err.message);
    cr_expect(strstr(err.message, "model.safetensors") != NULL, "message: %s", err.message);
    free(data);
    free(src);
    free(dir);
}

/* Numbers a config.json or a safetensors header may hold but no float or
 * integer field can: refused with the file named, not converted. */
Test(hf_folder, numbers_past_their_type)
{
    static const char *const eps[] = { "1e300", "1e999", "-1", "\"x\"" };
    for (size_t i = 0; i < sizeof eps / sizeof eps[0]; i++) {
        char to[64];
        snprintf(to, sizeof to, "\"layer_norm_eps\": %s, \"architectures\"", eps[i]);
        free(expect_config_refused("\"architectures\"", to, CB_ERR_HF_FORMAT, "layer_norm_eps"));
    }

    /* A shape dimension of 9e99 in model.safetensors (same length as 3000). */
    const char *keep2[] = { "config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json", NULL };
    char *dir = scratch_folder("bert-tiny", keep2, NULL);
    char *src = cbt_fixture_path("bert-tiny", "model.safetensors");
    size_t n;
    char *data = cbt_read(src, &n);
    char *at = NULL;
    for (size_t i = 0; i + 6 < n && i < 65536 && !at; i++)
        if (memcmp(data + i, "[3000,", 6) == 0) at = data + i + 1;
    cr_assert(at != NULL, "the fixture's vocabulary dimension");
    memcpy(at, "9e99", 4);
    char dst[2048];
    snprintf(dst, sizeof dst, "%s/model.safetensors", dir);
    cbt_write(dst, data, n);
    cb_model *m = NULL;
    cb_error err;
    cr_expect_eq(cb_model_load(dir, NULL, &m, &err), CB_ERR_HF_FORMAT, "%s", err.message);
    cr_expect(strstr(err.message, "model.safetensors") != NULL, "message: %s", err.message);
    free(data);
    free(src);
    free(dir);
}

/* ---- texts and options ------------------------------------------------------- */

static cb_model *tiny(void)
{
    char *path = cbt_converted("bert-tiny", CB_DTYPE_F32);
    cb_model *m = cbt_load(path, 1);
    free(path);
    return m;
}

Test(texts, invalid_utf8_is_refused_with_its_position)
{
    cb_model *m = tiny();
    const char *bad[] = { "abc\xff", "\xc3", "ok \xc0\xaf overlong", "\xed\xa0\x80 surrogate", "\xf4\x90\x80\x80 too big" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cb_pair p = { "query", CB_NUL_TERMINATED, bad[i], CB_NUL_TERMINATED };
        float s;
        cb_error err;
        cr_expect_eq(cb_predict(m, &p, 1, NULL, &s, &err), CB_ERR_INVALID_UTF8, "case %zu", i);
        cr_expect(strstr(err.message, "pair 0") != NULL, "message: %s", err.message);
        int32_t ids[512];
        size_t n;
        cr_expect_eq(cb_tokenize(m, &p, 0, ids, NULL, 512, &n, &err), CB_ERR_INVALID_UTF8, "case %zu", i);
    }
    /* The model is still usable after errors. */
    cb_pair ok = { "query", CB_NUL_TERMINATED, "passage", CB_NUL_TERMINATED };
    float s;
    cb_error err;
    cr_expect_eq(cb_predict(m, &ok, 1, NULL, &s, &err), CB_OK, "%s", err.message);
    cb_model_free(m);
}

Test(texts, empty_texts_are_scored)
{
    cb_model *m = tiny();
    /* The fixture's reference scores empty texts on either side (pairs 9
     * and 10 of case 0, Hugging Face at max_length 512): the scores must be
     * those, not merely some sigmoid value. 1e-5: test_model's float32
     * bound for this fixture. */
    cb_pair p[4] = { { "", 0, "empty query", CB_NUL_TERMINATED },
                     { "empty passage", CB_NUL_TERMINATED, "", 0 },
                     { NULL, 0, "empty query", CB_NUL_TERMINATED },
                     { "", 0, "", 0 } };
    float s[4];
    cb_error err;
    cr_assert_eq(cb_predict(m, p, 4, NULL, s, &err), CB_OK, "%s", err.message);
    cJSON *ref = cbt_reference("bert-tiny");
    const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ref, "cases"), 0);
    const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(c0, "pairs");
    const cJSON *ce = cJSON_GetObjectItemCaseSensitive(c0, "ce_predict");
    for (int i = 0; i < 2; i++) {
        const cJSON *pair = cJSON_GetArrayItem(pairs, 9 + i);
        cr_assert_str_eq(cJSON_GetArrayItem(pair, 0)->valuestring, p[i].a, "reference pair %d moved", 9 + i);
        cr_assert_str_eq(cJSON_GetArrayItem(pair, 1)->valuestring, p[i].b, "reference pair %d moved", 9 + i);
        const cJSON *want = cJSON_GetArrayItem(ce, 9 + i);
        const double w = cJSON_IsArray(want) ? cJSON_GetArrayItem(want, 0)->valuedouble : want->valuedouble;
        cr_expect(fabs((double)s[i] - w) <= 1e-5, "pair %d: %.9g, reference %.9g", 9 + i, (double)s[i], w);
    }
    cJSON_Delete(ref);
    cr_expect_eq(s[0], s[2], "NULL with length 0 is the empty text");
    /* Both texts empty: no reference has it; [CLS] [SEP] [SEP] must score
     * as the same three tokens do through cb_predict's raw logit. */
    cb_predict_options raw = { .activation = CB_ACTIVATION_NONE };
    float logit;
    cr_assert_eq(cb_predict(m, &p[3], 1, &raw, &logit, &err), CB_OK, "%s", err.message);
    cr_expect(fabs((double)s[3] - 1.0 / (1.0 + exp(-(double)logit))) <= 1e-6, "both empty: %.9g, sigmoid(%.9g)",
              (double)s[3], (double)logit);
    cb_model_free(m);
}

Test(texts, one_megabyte_text_is_truncated_like_a_short_one)
{
    cb_model *m = tiny();
    const size_t big = 1u << 20;
    char *text = malloc(big + 1);
    cr_assert(text);
    for (size_t i = 0; i < big; i++) text[i] = "lorem ipsum dolor "[i % 18];
    text[big] = '\0';
    /* 2000 bytes already hold far more than 512 tokens. */
    cb_pair p[2] = { { "query", CB_NUL_TERMINATED, text, big }, { "query", CB_NUL_TERMINATED, text, 2000 } };
    float s[2];
    cb_error err;
    cr_assert_eq(cb_predict(m, p, 2, NULL, s, &err), CB_OK, "%s", err.message);
    cr_expect_eq(s[0], s[1]);
    free(text);
    cb_model_free(m);
}

Test(texts, text_over_the_limit)
{
    cb_model *m = tiny();
    const size_t big = CB_MAX_TEXT_BYTES + 1;
    char *text = malloc(big);
    cr_assert(text);
    memset(text, 'a', big);
    cb_pair p = { "query", CB_NUL_TERMINATED, text, big };
    float s;
    cb_error err;
    cr_expect_eq(cb_predict(m, &p, 1, NULL, &s, &err), CB_ERR_TEXT_TOO_LONG);
    cr_expect(strlen(err.message) > 0);
    free(text);
    cb_model_free(m);
}

Test(options, max_length_range)
{
    cb_model *m = tiny();
    cb_pair p = { "a query", CB_NUL_TERMINATED, "a passage", CB_NUL_TERMINATED };
    float s;
    cb_error err;
    const int bad[] = { -1, 1, 2, 513, 100000 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cb_predict_options o = { .max_length = bad[i] };
        cr_expect_eq(cb_predict(m, &p, 1, &o, &s, &err), CB_ERR_MAX_LENGTH, "max_length %d", bad[i]);
        cr_expect(strstr(err.message, "3 to 512") != NULL, "message gives the range: %s", err.message);
    }
    /* 3 leaves room for the specials only: [CLS] [SEP] [SEP]. */
    cb_predict_options three = { .max_length = 3 };
    cr_expect_eq(cb_predict(m, &p, 1, &three, &s, &err), CB_OK, "%s", err.message);
    int32_t ids[8];
    size_t n;
    cr_assert_eq(cb_tokenize(m, &p, 3, ids, NULL, 8, &n, &err), CB_OK, "%s", err.message);
    cr_expect_eq(n, 3);
    cb_predict_options batch = { .batch_size = -3 };
    cr_expect_eq(cb_predict(m, &p, 1, &batch, &s, &err), CB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(cb_predict(m, NULL, 1, NULL, &s, &err), CB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(cb_predict(m, &p, 0, NULL, NULL, &err), CB_OK, "no pairs is no work");
    cb_model_free(m);
}

Test(options, rank_needs_one_label)
{
    char *path = cbt_converted("bert-nli-3label", CB_DTYPE_F32);
    cb_model *m = cbt_load(path, 1);
    const char *docs[] = { "a", "b" };
    cb_ranked out[2];
    cb_error err;
    cr_expect_eq(cb_rank(m, "q", CB_NUL_TERMINATED, docs, NULL, 2, NULL, out, &err), CB_ERR_NOT_SINGLE_LABEL);
    cr_expect(strstr(err.message, "3") != NULL, "message: %s", err.message);
    cb_model_free(m);
    free(path);
}

Test(status, every_code_has_a_string)
{
    for (int c = CB_OK; c <= CB_ERR_NOT_SINGLE_LABEL; c++)
        cr_expect(strcmp(cb_status_string((cb_status)c), "unknown status") != 0, "code %d", c);
    cr_expect_str_eq(cb_status_string((cb_status)999), "unknown status");
}
