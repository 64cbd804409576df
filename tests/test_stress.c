/* test_stress.c: load and abuse.
 *
 *  - One model shared by 8 threads calling cb_predict, cb_rank and cb_tokenize
 *    at random on texts that are valid, empty, about 1 MB, invalid UTF-8 or
 *    over CB_MAX_TEXT_BYTES, for CB_STRESS_SECONDS (default 5; tools/test.sh
 *    runs 10, and `CB_STRESS_SECONDS=60 build/test_stress` is the long run):
 *    every call gives the status, message and bits one thread got for the
 *    same call before the threads started, and nothing leaks.
 *  - 10,000 pairs in one cb_predict stay within one batch's memory: counted
 *    through the allocator hook, the peak is that of a 32-pair call and
 *    below the bound README states. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "count_alloc.h"
#include "model.h"
#include "support.h"

#ifndef CB_TEST_TIMEOUT_SCALE
#define CB_TEST_TIMEOUT_SCALE 1
#endif

#define THREADS 8
#define N_JOBS 96
#define MAX_JOB_PAIRS 6
#define MAX_LENGTH 64
#define BIG_TEXT (1u << 20)

/* ---- texts -------------------------------------------------------------------------- */

typedef struct text {
    const char *s;
    size_t len;
} text;

typedef struct pool {
    text *t;
    size_t n;
    char *big, *big_bad, *too_long, *owner_bad;
    cbt_pairs ref;
} pool;

/* The reference texts of bert-tiny, "", a 1 MB text, short and 1 MB invalid
 * UTF-8, and a text one byte over the limit. */
static pool make_pool(void)
{
    pool p = { .ref = cbt_case_pairs("bert-tiny", 0) };
    p.t = calloc(2 * p.ref.n + 8, sizeof *p.t);
    cr_assert(p.t);
    for (size_t i = 0; i < p.ref.n; i++) {
        p.t[p.n++] = (text){ p.ref.pairs[i].a, p.ref.pairs[i].a_len };
        p.t[p.n++] = (text){ p.ref.pairs[i].b, p.ref.pairs[i].b_len };
    }
    p.t[p.n++] = (text){ "", 0 };
    p.big = malloc(BIG_TEXT);
    p.big_bad = malloc(BIG_TEXT);
    p.too_long = malloc(CB_MAX_TEXT_BYTES + 1);
    cr_assert(p.big && p.big_bad && p.too_long);
    static const char words[] = "Berlin has 3.5 million inhabitants, caf\u00e9 cr\u00e8me, \u6771\u4eac ";
    for (size_t i = 0; i < BIG_TEXT; i++) p.big[i] = words[i % (sizeof words - 1)];
    /* Whole repetitions only: the text ends at a character boundary. */
    const size_t end = BIG_TEXT - BIG_TEXT % (sizeof words - 1);
    p.t[p.n++] = (text){ p.big, end };
    memcpy(p.big_bad, p.big, end);
    p.big_bad[end - 1] = '\xff';
    p.t[p.n++] = (text){ p.big_bad, end };
    p.t[p.n++] = (text){ "caf\xc3 au lait", 12 };
    memset(p.too_long, 'a', CB_MAX_TEXT_BYTES + 1);
    p.t[p.n++] = (text){ p.too_long, CB_MAX_TEXT_BYTES + 1 };
    return p;
}

static void pool_free(pool *p)
{
    free(p->t);
    free(p->big);
    free(p->big_bad);
    free(p->too_long);
    cbt_pairs_free(&p->ref);
}

/* ---- jobs: a call and what one thread got for it ------------------------------------------------ */

typedef enum kind { PREDICT, RANK, TOKENIZE, KINDS } kind;
static const char *const kind_name[KINDS] = { "predict", "rank", "tokenize" };

typedef struct result {
    cb_status status;
    char message[CB_ERROR_MESSAGE_SIZE];
    float scores[MAX_JOB_PAIRS];
    cb_ranked ranked[MAX_JOB_PAIRS];
    int32_t ids[MAX_LENGTH], types[MAX_LENGTH];
    size_t n_tokens;
} result;

typedef struct job {
    kind k;
    cb_pair pairs[MAX_JOB_PAIRS];
    const char *docs[MAX_JOB_PAIRS];
    size_t doc_lens[MAX_JOB_PAIRS];
    size_t n;
    result want;
} job;

static const cb_predict_options opts = { .max_length = MAX_LENGTH, .batch_size = 4 };

static void run_job(const cb_model *m, const job *j, result *r)
{
    cb_error err;
    memset(r, 0, sizeof *r);
    switch (j->k) {
    case PREDICT:
        r->status = cb_predict(m, j->pairs, j->n, &opts, r->scores, &err);
        break;
    case RANK:
        r->status = cb_rank(m, j->pairs[0].a, j->pairs[0].a_len, j->docs, j->doc_lens, j->n, &opts, r->ranked, &err);
        break;
    case TOKENIZE:
        r->status = cb_tokenize(m, &j->pairs[0], MAX_LENGTH, r->ids, r->types, MAX_LENGTH, &r->n_tokens, &err);
        break;
    case KINDS:
        break;
    }
    memcpy(r->message, err.message, sizeof r->message);
}

/* 0 when r is j's single-thread result to the bit. */
static int differs(const job *j, const result *r)
{
    const result *w = &j->want;
    if (r->status != w->status || strcmp(r->message, w->message) != 0) return 1;
    if (r->status != CB_OK) return 0;
    switch (j->k) {
    case PREDICT: return memcmp(r->scores, w->scores, j->n * sizeof *r->scores) != 0;
    case RANK: return memcmp(r->ranked, w->ranked, j->n * sizeof *r->ranked) != 0;
    case TOKENIZE:
        return r->n_tokens != w->n_tokens || memcmp(r->ids, w->ids, r->n_tokens * sizeof *r->ids) != 0 ||
               memcmp(r->types, w->types, r->n_tokens * sizeof *r->types) != 0;
    case KINDS: break;
    }
    return 1;
}

/* Mostly valid texts; one in ten of the abusive ones (the last five). */
static text pick(const pool *p, unsigned *seed)
{
    const unsigned r = (unsigned)rand_r(seed);
    return r % 10 == 0 ? p->t[p->n - 1 - (r / 10) % 5] : p->t[(r / 10) % (p->n - 5)];
}

static void make_jobs(const cb_model *m, const pool *p, job *jobs, size_t *counts_by_status)
{
    unsigned seed = 15;
    for (size_t i = 0; i < N_JOBS; i++) {
        job *j = &jobs[i];
        memset(j, 0, sizeof *j);
        j->k = (kind)(i % KINDS);
        j->n = j->k == TOKENIZE ? 1 : 1 + (size_t)rand_r(&seed) % MAX_JOB_PAIRS;
        const text q = pick(p, &seed);
        for (size_t k = 0; k < j->n; k++) {
            const text a = j->k == RANK ? q : pick(p, &seed), b = pick(p, &seed);
            j->pairs[k] = (cb_pair){ a.s, a.len, b.s, b.len };
            j->docs[k] = b.s;
            j->doc_lens[k] = b.len;
        }
        run_job(m, j, &j->want);
        counts_by_status[j->want.status]++;
    }
}

/* ---- eight threads -------------------------------------------------------------------------- */

typedef struct worker {
    const cb_model *m;
    const job *jobs;
    double deadline;
    unsigned seed;
    long calls[KINDS], errors;
    long mismatch;          /* first job whose result differed, or -1 */
    result got;
} worker;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *work(void *arg)
{
    worker *w = arg;
    while (w->mismatch < 0 && now() < w->deadline) {
        const size_t i = (size_t)rand_r(&w->seed) % N_JOBS;
        run_job(w->m, &w->jobs[i], &w->got);
        w->calls[w->jobs[i].k]++;
        w->errors += w->got.status != CB_OK;
        if (differs(&w->jobs[i], &w->got)) w->mismatch = (long)i;
    }
    return NULL;
}

static double stress_seconds(void)
{
    const char *env = getenv("CB_STRESS_SECONDS");
    const double s = env && *env ? atof(env) : 5.0;
    return s > 0 ? s : 5.0;
}

Test(stress, eight_threads_one_model, .timeout = 600 * CB_TEST_TIMEOUT_SCALE)
{
    cbt_counter c;
    cbt_counter_init(&c);
    char *path = cbt_converted("bert-tiny", CB_DTYPE_F32);
    const cb_load_options lo = { .allocator = &c.allocator };
    cb_model *m = NULL;
    cb_error err;
    cr_assert_eq(cb_model_load(path, &lo, &m, &err), CB_OK, "%s", err.message);
    pool p = make_pool();
    job *jobs = calloc(N_JOBS, sizeof *jobs);
    cr_assert(jobs);
    size_t by_status[CB_ERR_WRONG_MODEL_KIND + 1] = { 0 };
    make_jobs(m, &p, jobs, by_status);
    /* Only the errors these inputs call for. */
    for (int s = 0; s <= CB_ERR_WRONG_MODEL_KIND; s++)
        cr_assert(by_status[s] == 0 || s == CB_OK || s == CB_ERR_INVALID_UTF8 || s == CB_ERR_TEXT_TOO_LONG,
                  "a single-thread call returned %s", cb_status_string((cb_status)s));
    cr_assert(by_status[CB_OK] > 0 && by_status[CB_ERR_INVALID_UTF8] > 0 && by_status[CB_ERR_TEXT_TOO_LONG] > 0,
              "the jobs should mix successes and both text errors");

    const double seconds = stress_seconds(), t0 = now();
    worker w[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){ .m = m, .jobs = jobs, .deadline = t0 + seconds, .seed = 1000u + (unsigned)i, .mismatch = -1 };
        cr_assert_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    long calls[KINDS] = { 0 }, errors = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        for (int k = 0; k < KINDS; k++) calls[k] += w[i].calls[k];
        errors += w[i].errors;
    }
    const double took = now() - t0;
    for (int i = 0; i < THREADS; i++) {
        if (w[i].mismatch < 0) continue;
        const job *j = &jobs[w[i].mismatch];
        cr_assert_fail("thread %d, %s job %ld: status %d '%s', alone it was %d '%s' (or other bits)", i,
                       kind_name[j->k], w[i].mismatch, (int)w[i].got.status, w[i].got.message, (int)j->want.status,
                       j->want.message);
    }
    fprintf(stderr, "%d threads, one model, %.1f s: %ld predict, %ld rank, %ld tokenize calls (%ld expected "
            "errors), every one as a single thread computed it; %zu workspaces; peak %.1f MiB through the allocator\n",
            THREADS, took, calls[PREDICT], calls[RANK], calls[TOKENIZE], errors, m->n_workspaces, c.peak / 1048576.0);
    cb_model_free(m);
    cr_assert_eq(c.live, 0, "%ld blocks left after cb_model_free", c.live);
    free(jobs);
    pool_free(&p);
    free(path);
    cbt_counter_destroy(&c);
}

/* ---- 10,000 pairs in one call ------------------------------------------------------------------ */

#define MANY 10000
#define BATCH 32

/* Short pairs (truncated to this), so that 10,000 of them take seconds. */
#define MANY_MAX_LENGTH 8

/* Peak bytes through the allocator while a fresh model scores pairs[0, n),
 * BATCH pairs per pass. */
static size_t predict_peak(cbt_counter *c, const char *path, const cb_pair *pairs, size_t n, float *scores)
{
    const cb_load_options lo = { .n_threads = 2, .allocator = &c->allocator };
    cb_model *m = NULL;
    cb_error err;
    cr_assert_eq(cb_model_load(path, &lo, &m, &err), CB_OK, "%s", err.message);
    cbt_counter_reset_peak(c);
    const size_t before = c->bytes;
    const cb_predict_options o = { .max_length = MANY_MAX_LENGTH, .batch_size = BATCH };
    cr_assert_eq(cb_predict(m, pairs, n, &o, scores, &err), CB_OK, "%s", err.message);
    const size_t peak = c->peak - before;
    cb_model_free(m);
    cr_assert_eq(c->live, 0);
    return peak;
}

/* README's bound on what a predict call allocates beyond the loaded model:
 * one batch of B pairs of up to L tokens, packed T <= B * L rows:
 * activations 4 T (7 H + F) bytes (hidden states, residual, context, Q/K/V,
 * feed-forward; + E for ELECTRA's projection), token ids and types 8 B L,
 * attention scores 4 L L per thread, int8 quantised rows T max(H, F)... and
 * 1 MiB for the tokenizer's per-text scratch and XNNPACK's read-ahead slack. */
static size_t predict_bound(size_t B, size_t L, size_t H, size_t F, size_t threads)
{
    const size_t T = B * L;
    return 4 * T * (7 * H + F) + 8 * B * L + 4 * L * L * threads + T * (H > F ? H : F) + 4 * B * H * 2 + (1u << 20);
}

Test(stress, ten_thousand_pairs_one_batch_of_memory, .timeout = 600 * CB_TEST_TIMEOUT_SCALE)
{
    cbt_counter c;
    cbt_counter_init(&c);
    char *path = cbt_converted("bert-tiny", CB_DTYPE_F32);
    cbt_pairs ref = cbt_case_pairs("bert-tiny", 0);
    /* Batches of the same 32 pairs over and over: the batch is the same at
     * 32 pairs and at 10,000, so only the number of pairs differs. */
    cb_pair *pairs = calloc(MANY, sizeof *pairs);
    float *scores = calloc(MANY, sizeof *scores), *one = calloc(BATCH, sizeof *one);
    cr_assert(pairs && scores && one);
    for (size_t i = 0; i < MANY; i++) {
        const cb_pair *r = &ref.pairs[(i % BATCH) % ref.n];
        pairs[i] = *r;
    }
    const size_t peak_one = predict_peak(&c, path, pairs, BATCH, one);
    const double t0 = now();
    const size_t peak_many = predict_peak(&c, path, pairs, MANY, scores);
    const double took = now() - t0;
    for (size_t i = 0; i < MANY; i++)
        cr_assert_eq(memcmp(&scores[i], &one[i % BATCH], sizeof *scores), 0, "pair %zu: %.9g, in a 32-pair call %.9g",
                     i, scores[i], one[i % BATCH]);
    cb_model *m = cbt_load(path, 1);
    const size_t H = (size_t)m->config.hidden_size, F = (size_t)m->config.intermediate_size, L = MANY_MAX_LENGTH;
    cb_model_free(m);
    const size_t bound = predict_bound(BATCH, L, H, F, 2);
    fprintf(stderr, "cb_predict of %d pairs (bert-tiny, batch %d, max_length %zu) in %.1f s: peak %zu bytes through the "
            "allocator, %zu for %d pairs; bound %zu\n", MANY, BATCH, L, took, peak_many, peak_one, BATCH, bound);
    /* The one difference: from the second batch on, a text is tokenised while
     * the workspace is already grown, so one text's tokenizer scratch (a few
     * KiB) comes on top of the 32-pair call's peak. */
    cr_assert_leq(peak_many, peak_one + (64u << 10), "10,000 pairs took more memory (%zu) than 32 (%zu)", peak_many,
                  peak_one);
    cr_assert_leq(peak_many, bound);
    free(pairs);
    free(scores);
    free(one);
    cbt_pairs_free(&ref);
    free(path);
    cbt_counter_destroy(&c);
}
