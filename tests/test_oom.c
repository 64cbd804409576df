/* test_oom.c: out of memory at every allocation, the SQLite way.
 *
 * The library takes a cb_allocator per model (cb_load_options) and per
 * conversion (cb_convert_options). Each test here gives it a counting
 * allocator (count_alloc.h) and runs one operation again and again, making
 * allocation 1, then 2, then 3, ... fail, until a run completes without
 * reaching the chosen number. Every run that met its failure must return
 * CB_ERR_OUT_OF_MEMORY with a message, give back every block it took (the
 * counter's live blocks; LeakSanitizer in the ASan build watches what the
 * allocator does not see), and leave the model usable: the next call with no
 * failure gives the same bits as a model on the C library's malloc.
 *
 * What the allocator does not see, so neither does this test: XNNPACK's
 * operators and thread pool and cJSON's parse trees (crossbyte.h). Each test
 * prints how many allocation points it failed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "count_alloc.h"
#include "support.h"

#ifndef CB_TEST_TIMEOUT_SCALE
#define CB_TEST_TIMEOUT_SCALE 1
#endif
#define TIMEOUT (120 * CB_TEST_TIMEOUT_SCALE)

/* The reference case used for scoring: max_length 32, 20 pairs, two of them
 * truncated; batches of 8 make three forward passes per call. */
#define CASE 1
#define MAX_LENGTH 32
#define BATCH 8

/* One operation under test. setup and after run with no failure armed (either
 * may be NULL); run is the armed part and returns what the library said. */
typedef struct scenario {
    const char *what;
    void (*setup)(void *ctx);
    cb_status (*run)(void *ctx, cb_error *err);
    void (*after)(void *ctx, int failed);   /* checks the model is usable, frees what setup made */
    void *ctx;
    /* A call on a model may keep what it grew (workspace buffers) for the
     * next call: then the blocks are counted after cb_model_free instead,
     * in `after`. */
    int model_keeps;
} scenario;

static int mentions_memory(const char *msg)
{
    return strstr(msg, "memory") || strstr(msg, "allocate");
}

/* Fails allocation 1, 2, ... of sc.run until a run meets no failure; returns
 * the number of allocation points failed. */
static long fail_each_allocation(cbt_counter *c, const scenario *sc)
{
    for (long n = 1;; n++) {
        cbt_counter_arm(c, 0);
        if (sc->setup) sc->setup(sc->ctx);
        const long live = c->live;
        cbt_counter_arm(c, n);
        cb_error err;
        memset(&err, 0, sizeof err);
        const cb_status s = sc->run(sc->ctx, &err);
        const int injected = c->injected;
        cbt_counter_arm(c, 0);
        if (!injected) {
            cr_assert_eq(s, CB_OK, "%s with no failure: %s", sc->what, err.message);
        } else {
            cr_assert_eq(s, CB_ERR_OUT_OF_MEMORY, "%s: allocation %ld failed, yet the call returned %d (%s)", sc->what,
                         n, (int)s, err.message);
            cr_assert_eq(err.code, CB_ERR_OUT_OF_MEMORY, "%s: allocation %ld: err.code %d", sc->what, n, (int)err.code);
            cr_assert(mentions_memory(err.message), "%s: allocation %ld: message '%s' does not say what ran out",
                      sc->what, n, err.message);
            cr_assert(sc->model_keeps || c->live == live, "%s: allocation %ld failed and %ld blocks were not given back",
                      sc->what, n, c->live - live);
        }
        if (sc->after) sc->after(sc->ctx, injected);
        if (!injected) {
            fprintf(stderr, "%s: %ld allocation points, each failed once: CB_ERR_OUT_OF_MEMORY, nothing leaked\n",
                    sc->what, n - 1);
            return n - 1;
        }
    }
}

/* ---- what the models must compute ------------------------------------------------ */

typedef struct expected {
    cbt_pairs pairs;
    float *scores;   /* predict of a model on the C library's malloc */
    cb_ranked *ranked;
    const char **docs;
} expected;

static const cb_predict_options predict_opts = { .max_length = MAX_LENGTH, .batch_size = BATCH };

static expected expect(const char *fixture, const char *model_path)
{
    expected e = { .pairs = cbt_case_pairs(fixture, CASE) };
    const size_t n = e.pairs.n;
    e.scores = calloc(n, sizeof *e.scores);
    e.ranked = calloc(n, sizeof *e.ranked);
    e.docs = calloc(n, sizeof *e.docs);
    cr_assert(e.scores && e.ranked && e.docs);
    for (size_t i = 0; i < n; i++) e.docs[i] = e.pairs.pairs[i].b;
    cb_model *m = cbt_load(model_path, 1);
    cb_error err;
    cr_assert_eq(cb_predict(m, e.pairs.pairs, n, &predict_opts, e.scores, &err), CB_OK, "%s", err.message);
    cr_assert_eq(cb_rank(m, e.pairs.pairs[0].a, CB_NUL_TERMINATED, e.docs, NULL, n, &predict_opts, e.ranked, &err),
                 CB_OK, "%s", err.message);
    cb_model_free(m);
    return e;
}

static void expected_free(expected *e)
{
    cbt_pairs_free(&e->pairs);
    free(e->scores);
    free(e->ranked);
    free(e->docs);
}

/* The float32 scores of the libc model are Hugging Face's, so "the same bits
 * as that model" means the reference scores. */
static void check_reference(const char *fixture, const expected *e)
{
    cJSON *ref = cbt_reference(fixture);
    const cJSON *ce = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ref, "cases"),
                                                                          CASE), "ce_predict");
    for (size_t i = 0; i < e->pairs.n; i++)
        cr_assert_float_eq(e->scores[i], cbt_num(ce, (int)i), 1e-4, "%s pair %zu: %.7f, CrossEncoder.predict %.7f",
                           fixture, i, e->scores[i], cbt_num(ce, (int)i));
    cJSON_Delete(ref);
}

static void check_scores(const char *what, const float *got, const expected *e)
{
    for (size_t i = 0; i < e->pairs.n; i++)
        cr_assert_eq(memcmp(&got[i], &e->scores[i], sizeof *got), 0, "%s: pair %zu scored %.9g, expected %.9g", what,
                     i, got[i], e->scores[i]);
}

/* A model on the counting allocator predicts, with no failure armed, the
 * same bits as the C library's: it is usable. */
static void check_usable(cb_model *m, const char *what, const expected *e)
{
    float *got = calloc(e->pairs.n, sizeof *got);
    cr_assert(got);
    cb_error err;
    cr_assert_eq(cb_predict(m, e->pairs.pairs, e->pairs.n, &predict_opts, got, &err), CB_OK, "%s: %s", what,
                 err.message);
    check_scores(what, got, e);
    free(got);
}

/* ---- loading --------------------------------------------------------------------- */

typedef struct load_ctx {
    cbt_counter *c;
    const char *what;
    const char *path;          /* load from a file or folder, or */
    const uint8_t *buffer;     /* from memory */
    size_t size;
    const expected *e;
    cb_model *m;
} load_ctx;

static cb_status load_run(void *p, cb_error *err)
{
    load_ctx *x = p;
    const cb_load_options o = { .allocator = &x->c->allocator };
    return x->path ? cb_model_load(x->path, &o, &x->m, err) : cb_model_load_buffer(x->buffer, x->size, &o, &x->m, err);
}

static void load_after(void *p, int failed)
{
    load_ctx *x = p;
    if (failed) {
        cr_assert_null(x->m, "%s: a failed load left a model", x->what);
        return;
    }
    check_usable(x->m, x->what, x->e);
    cb_model_free(x->m);
    x->m = NULL;
    cr_assert_eq(x->c->live, 0, "%s: cb_model_free left %ld blocks", x->what, x->c->live);
}

static long fail_load(cbt_counter *c, const char *what, const char *path, const uint8_t *buf, size_t size,
                      const expected *e)
{
    load_ctx x = { c, what, path, buf, size, e, NULL };
    const scenario sc = { what, NULL, load_run, load_after, &x, 0 };
    return fail_each_allocation(c, &sc);
}

Test(oom, load_file_buffer_folder, .timeout = TIMEOUT)
{
    cbt_counter c;
    cbt_counter_init(&c);
    char *cbm = cbt_converted("bert-tiny", CB_DTYPE_F32), *dir = cbt_fixture_path("bert-tiny", NULL);
    expected e = expect("bert-tiny", cbm);
    check_reference("bert-tiny", &e);
    size_t size;
    char *file = cbt_read(cbm, &size);
    /* 64-byte aligned: used in place; one byte off: copied first. */
    uint8_t *aligned = aligned_alloc(64, (size + 63) / 64 * 64);
    cr_assert(aligned);
    memcpy(aligned, file, size);
    uint8_t *unaligned = malloc(size + 1);
    cr_assert(unaligned);
    memcpy(unaligned + 1, file, size);

    long total = fail_load(&c, "cb_model_load(.cbm file)", cbm, NULL, 0, &e);
    total += fail_load(&c, "cb_model_load_buffer(aligned)", NULL, aligned, size, &e);
    total += fail_load(&c, "cb_model_load_buffer(unaligned: copied)", NULL, unaligned + 1, size, &e);
    total += fail_load(&c, "cb_model_load(Hugging Face folder)", dir, NULL, 0, &e);
    fprintf(stderr, "loading bert-tiny: %ld allocation points\n", total);

    free(unaligned);
    free(aligned);
    free(file);
    expected_free(&e);
    free(cbm);
    free(dir);
    cbt_counter_destroy(&c);
}

/* A byte-level BPE folder: the converter's vocab.json / merges / added-token
 * paths and the BPE tokenizer's tables. */
Test(oom, load_bpe_folder, .timeout = TIMEOUT)
{
    cbt_counter c;
    cbt_counter_init(&c);
    char *cbm = cbt_converted("roberta-tiny", CB_DTYPE_F32), *dir = cbt_fixture_path("roberta-tiny", NULL);
    expected e = expect("roberta-tiny", cbm);
    check_reference("roberta-tiny", &e);
    fail_load(&c, "cb_model_load(roberta-tiny folder)", dir, NULL, 0, &e);
    expected_free(&e);
    free(cbm);
    free(dir);
    cbt_counter_destroy(&c);
}

/* ---- conversion ------------------------------------------------------------------------ */

typedef struct convert_ctx {
    cbt_counter *c;
    const char *dir, *out;
    cb_dtype dtype;
} convert_ctx;

static cb_status convert_run(void *p, cb_error *err)
{
    convert_ctx *x = p;
    const cb_convert_options o = { .dtype = x->dtype, .allocator = &x->c->allocator };
    return cb_convert_with(x->dir, x->out, &o, NULL, err);
}

static void convert_after(void *p, int failed)
{
    convert_ctx *x = p;
    struct stat st;
    if (failed) cr_assert_neq(stat(x->out, &st), 0, "a failed conversion left %s", x->out);
    cr_assert_eq(x->c->live, 0, "cb_convert_with left %ld blocks", x->c->live);
}

Test(oom, convert, .timeout = TIMEOUT)
{
    cbt_counter c;
    cbt_counter_init(&c);
    char *dir = cbt_fixture_path("bert-tiny", NULL), *out = cbt_temp_path("oom-convert.cbm");
    const cb_dtype dtypes[] = { CB_DTYPE_F32, CB_DTYPE_INT8 };
    for (size_t i = 0; i < 2; i++) {
        convert_ctx x = { &c, dir, out, dtypes[i] };
        const scenario sc = { i ? "cb_convert_with(int8)" : "cb_convert_with(f32)", NULL, convert_run, convert_after,
                              &x, 0 };
        fail_each_allocation(&c, &sc);
        /* The last run wrote the file: the same bytes as the C library's. */
        char *want_path = cbt_converted("bert-tiny", dtypes[i]);
        size_t got_n, want_n;
        char *got = cbt_read(out, &got_n), *want = cbt_read(want_path, &want_n);
        cr_assert(got_n == want_n && memcmp(got, want, got_n) == 0, "the converted file differs from cb_convert's");
        free(got);
        free(want);
        free(want_path);
        remove(out);
    }
    free(out);
    free(dir);
    cbt_counter_destroy(&c);
}

/* ---- calls on a loaded model -------------------------------------------------------------- */

/* Each iteration loads a fresh model (disarmed) so that every call meets the
 * first-call allocations too (the workspace's buffers grow on first use). */
typedef struct call_ctx {
    cbt_counter *c;
    const char *what;
    const char *path;
    const expected *e;
    cb_model *m;
    float *scores;
    cb_ranked *ranked;
    const cb_pair *tok_pair;
    int threads;                        /* the model's n_threads: 2 runs the encoder's lanes */
    int32_t ids[MAX_LENGTH], types[MAX_LENGTH], want_ids[MAX_LENGTH];
    size_t want_n;
    float *chunk_scores, *want_chunk;   /* long_document chunk (the two truncated pairs get windows) */
} call_ctx;

static const cb_predict_options chunk_opts = { .max_length = MAX_LENGTH, .batch_size = BATCH,
                                               .long_document = CB_LONG_CHUNK };

static void call_setup(void *p)
{
    call_ctx *x = p;
    const cb_load_options o = { .allocator = &x->c->allocator, .n_threads = x->threads };
    cb_error err;
    cr_assert_eq(cb_model_load(x->path, &o, &x->m, &err), CB_OK, "%s", err.message);
    memset(x->scores, 0, x->e->pairs.n * sizeof *x->scores);
}

static void call_after(void *p, int failed)
{
    call_ctx *x = p;
    (void)failed;
    check_usable(x->m, x->what, x->e);
    cb_model_free(x->m);
    x->m = NULL;
    cr_assert_eq(x->c->live, 0, "%s: cb_model_free left %ld blocks", x->what, x->c->live);
}

static cb_status predict_run(void *p, cb_error *err)
{
    call_ctx *x = p;
    cb_status s = cb_predict(x->m, x->e->pairs.pairs, x->e->pairs.n, &predict_opts, x->scores, err);
    if (s == CB_OK) check_scores(x->what, x->scores, x->e);
    return s;
}

static cb_status rank_run(void *p, cb_error *err)
{
    call_ctx *x = p;
    const size_t n = x->e->pairs.n;
    cb_status s = cb_rank(x->m, x->e->pairs.pairs[0].a, CB_NUL_TERMINATED, x->e->docs, NULL, n, &predict_opts,
                          x->ranked, err);
    if (s == CB_OK) cr_assert_eq(memcmp(x->ranked, x->e->ranked, n * sizeof *x->ranked), 0, "%s: another ranking", x->what);
    return s;
}

static cb_status chunk_run(void *p, cb_error *err)
{
    call_ctx *x = p;
    const size_t n = x->e->pairs.n;
    cb_status s = cb_predict(x->m, x->e->pairs.pairs, n, &chunk_opts, x->chunk_scores, err);
    if (s == CB_OK)
        cr_assert_eq(memcmp(x->chunk_scores, x->want_chunk, n * sizeof(float)), 0, "%s: other scores", x->what);
    return s;
}

static cb_status tokenize_run(void *p, cb_error *err)
{
    call_ctx *x = p;
    size_t n = 0;
    cb_status s = cb_tokenize(x->m, x->tok_pair, MAX_LENGTH, x->ids, x->types, MAX_LENGTH, &n, err);
    if (s == CB_OK) {
        cr_assert_eq(n, x->want_n, "%s: %zu tokens, want %zu", x->what, n, x->want_n);
        cr_assert_eq(memcmp(x->ids, x->want_ids, n * sizeof *x->ids), 0, "%s: other token ids", x->what);
    }
    return s;
}

static long fail_calls(cbt_counter *c, const char *fixture, cb_dtype dtype, int threads)
{
    char *path = cbt_converted(fixture, dtype);
    expected e = expect(fixture, path);
    if (dtype == CB_DTYPE_F32) check_reference(fixture, &e);
    call_ctx x = { .c = c, .path = path, .e = &e, .threads = threads };
    x.scores = calloc(e.pairs.n, sizeof *x.scores);
    x.ranked = calloc(e.pairs.n, sizeof *x.ranked);
    cr_assert(x.scores && x.ranked);
    /* The longest pair, truncated: the tokenizer's buffers grow. */
    x.tok_pair = &e.pairs.pairs[e.pairs.n - 1];
    cb_model *plain = cbt_load(path, 1);
    cb_error err;
    cr_assert_eq(cb_tokenize(plain, x.tok_pair, MAX_LENGTH, x.want_ids, NULL, MAX_LENGTH, &x.want_n, &err), CB_OK);
    const int one_label = cb_model_num_labels(plain) == 1;
    x.chunk_scores = calloc(e.pairs.n, sizeof(float));
    x.want_chunk = calloc(e.pairs.n, sizeof(float));
    cr_assert(x.chunk_scores && x.want_chunk);
    if (one_label)
        cr_assert_eq(cb_predict(plain, e.pairs.pairs, e.pairs.n, &chunk_opts, x.want_chunk, &err), CB_OK, "%s",
                     err.message);
    cb_model_free(plain);

    char what[4][128];
    const char *d = dtype == CB_DTYPE_INT8 ? "int8" : "f32";
    snprintf(what[0], sizeof what[0], "cb_predict(%s %s, %zu pairs, %d thread%s)", fixture, d, e.pairs.n, threads,
             threads > 1 ? "s" : "");
    snprintf(what[1], sizeof what[1], "cb_rank(%s %s, %zu documents)", fixture, d, e.pairs.n);
    snprintf(what[2], sizeof what[2], "cb_tokenize(%s, one truncated pair)", fixture);
    snprintf(what[3], sizeof what[3], "cb_predict(%s %s, %zu pairs, long_document chunk)", fixture, d, e.pairs.n);
    cb_status (*const runs[4])(void *, cb_error *) = { predict_run, rank_run, tokenize_run, chunk_run };
    long total = 0;
    for (int i = 0; i < (one_label ? 4 : 3); i++) {
        x.what = what[i];
        const scenario sc = { what[i], call_setup, runs[i], call_after, &x, 1 };
        total += fail_each_allocation(c, &sc);
    }
    free(x.scores);
    free(x.ranked);
    free(x.chunk_scores);
    free(x.want_chunk);
    expected_free(&e);
    free(path);
    return total;
}

Test(oom, predict_rank_tokenize_wordpiece, .timeout = TIMEOUT)
{
    cbt_counter c;
    cbt_counter_init(&c);
    fail_calls(&c, "bert-tiny", CB_DTYPE_F32, 1);
    fail_calls(&c, "bert-tiny", CB_DTYPE_INT8, 1);   /* the activation quantisers' buffers */
    cbt_counter_destroy(&c);
}

/* Two threads: the thread pool, and the encoder's lanes (one workspace per
 * thread, made and sized on the first call with several parts). */
Test(oom, predict_rank_tokenize_two_threads, .timeout = TIMEOUT)
{
    cbt_counter c;
    cbt_counter_init(&c);
    fail_calls(&c, "bert-tiny", CB_DTYPE_INT8, 2);
    cbt_counter_destroy(&c);
}

Test(oom, predict_rank_tokenize_bpe, .timeout = TIMEOUT)
{
    cbt_counter c;
    cbt_counter_init(&c);
    fail_calls(&c, "roberta-tiny", CB_DTYPE_F32, 1);
    cbt_counter_destroy(&c);
}

/* ---- embeddings ------------------------------------------------------------------------------- */

/* bert-tiny as a bi-encoder: its folder with config.json saying BertModel
 * (the converter then takes the bert.* weights and mean pooling). */
static char *bi_encoder_folder(void)
{
    char *dir = cbt_temp_path("oom-bi-encoder"), path[1024], target[1024];
    cr_assert_eq(mkdir(dir, 0755), 0, "mkdir %s", dir);
    static const char *const files[] = { "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt" };
    char *src = cbt_fixture_path("bert-tiny", NULL);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(target, sizeof target, "%s/%s", src, files[i]);
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        cr_assert_eq(symlink(target, path), 0, "symlink %s", path);
    }
    snprintf(target, sizeof target, "%s/config.json", src);
    size_t n;
    char *config = cbt_read(target, &n);
    char *arch = strstr(config, "BertForSequenceClassification");
    cr_assert(arch);
    memmove(arch + strlen("BertModel"), arch + strlen("BertForSequenceClassification"),
            strlen(arch + strlen("BertForSequenceClassification")) + 1);
    memcpy(arch, "BertModel", strlen("BertModel"));
    snprintf(path, sizeof path, "%s/config.json", dir);
    cbt_write(path, config, strlen(config));
    free(config);
    free(src);
    return dir;
}

static void remove_folder(char *dir)
{
    static const char *const files[] = { "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
                                         "config.json" };
    char path[1024];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        remove(path);
    }
    rmdir(dir);
    free(dir);
}

typedef struct embed_ctx {
    cbt_counter *c;
    const char *dir;
    const char *const *texts;
    size_t n, dim;
    const float *want;
    float *got;
    cb_model *m;
} embed_ctx;

static const cb_embed_options embed_opts = { .max_length = MAX_LENGTH, .batch_size = 2 };

static void embed_setup(void *p)
{
    embed_ctx *x = p;
    const cb_load_options o = { .allocator = &x->c->allocator };
    cb_error err;
    cr_assert_eq(cb_model_load(x->dir, &o, &x->m, &err), CB_OK, "%s", err.message);
}

static cb_status embed_run(void *p, cb_error *err)
{
    embed_ctx *x = p;
    return cb_embed(x->m, x->texts, NULL, x->n, &embed_opts, x->got, err);
}

static void embed_after(void *p, int failed)
{
    embed_ctx *x = p;
    (void)failed;
    cb_error err;
    cr_assert_eq(cb_embed(x->m, x->texts, NULL, x->n, &embed_opts, x->got, &err), CB_OK, "%s", err.message);
    cr_assert_eq(memcmp(x->got, x->want, x->n * x->dim * sizeof *x->got), 0, "cb_embed: other vectors after a failure");
    cb_model_free(x->m);
    x->m = NULL;
    cr_assert_eq(x->c->live, 0, "cb_embed: cb_model_free left %ld blocks", x->c->live);
}

Test(oom, embed, .timeout = TIMEOUT)
{
    cbt_counter c;
    cbt_counter_init(&c);
    char *dir = bi_encoder_folder();
    static const char *const texts[] = { "How many people live in Berlin?", "",
                                         "Berlin has a population of 3,520,031 registered inhabitants.",
                                         "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e" };
    const size_t n = sizeof texts / sizeof texts[0];
    cb_model *plain = cbt_load(dir, 1);
    const size_t dim = (size_t)cb_model_embedding_size(plain);
    cr_assert_eq(dim, 128);
    float *want = calloc(n * dim, sizeof *want), *got = calloc(n * dim, sizeof *got);
    cr_assert(want && got);
    cb_error err;
    cr_assert_eq(cb_embed(plain, texts, NULL, n, &embed_opts, want, &err), CB_OK, "%s", err.message);
    cb_model_free(plain);
    embed_ctx x = { &c, dir, texts, n, dim, want, got, NULL };
    const scenario sc = { "cb_embed(bert-tiny as a bi-encoder, 4 texts)", embed_setup, embed_run, embed_after, &x, 1 };
    fail_each_allocation(&c, &sc);
    free(want);
    free(got);
    remove_folder(dir);
    cbt_counter_destroy(&c);
}

/* An allocator with some functions missing is a mistake the library names. */
Test(oom, incomplete_allocator_refused)
{
    cbt_counter c;
    cbt_counter_init(&c);
    cb_allocator half = c.allocator;
    half.realloc = NULL;
    const cb_load_options o = { .allocator = &half };
    cb_model *m = NULL;
    cb_error err;
    char *cbm = cbt_converted("bert-tiny", CB_DTYPE_F32);
    cr_assert_eq(cb_model_load(cbm, &o, &m, &err), CB_ERR_INVALID_ARGUMENT);
    cr_assert_null(m);
    cr_assert(strstr(err.message, "malloc, realloc and free"), "%s", err.message);
    const cb_convert_options co = { .allocator = &half };
    char *dir = cbt_fixture_path("bert-tiny", NULL);
    cr_assert_eq(cb_convert_with(dir, "/nonexistent/x.cbm", &co, NULL, &err), CB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(c.calls, 0);
    /* All NULL means the C library, like no allocator at all. */
    const cb_allocator none = { 0 };
    const cb_load_options libc = { .allocator = &none };
    cr_assert_eq(cb_model_load(cbm, &libc, &m, &err), CB_OK, "%s", err.message);
    cb_model_free(m);
    free(cbm);
    free(dir);
    cbt_counter_destroy(&c);
}
