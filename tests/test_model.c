/* test_model.c: scores of every BERT fixture against Hugging Face's own
 * outputs (tests/fixtures/<name>/reference.json), through the .cbm file and
 * straight from the folder. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

#define TOL 1e-4

static void check_fixture(const char *name)
{
    cJSON *ref = cbt_reference(name);
    char *file = cbt_converted(name, CB_DTYPE_F32);
    char *folder = cbt_fixture_path(name, NULL);
    cb_model *from_file = cbt_load(file, 1), *from_folder = cbt_load(folder, 1);
    const cJSON *c;
    int index = 0;
    /* Each load path against each reference: the file's logits against
     * batch_logits and the folder's scores against ce_predict, then the
     * other way round for the next case. (Both paths give bit-identical
     * results: reference::file_equals_folder.) */
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(ref, "cases")) {
        const unsigned first = index % 2 == 0 ? CBT_CHECK_LOGITS : CBT_CHECK_SCORES;
        cbt_check_case(from_file, name, ".cbm file", c, index, first, TOL);
        cbt_check_case(from_folder, name, "folder", c, index, first ^ (CBT_CHECK_LOGITS | CBT_CHECK_SCORES), TOL);
        index++;
    }
    cb_model_free(from_file);
    cb_model_free(from_folder);
    free(file);
    free(folder);
    cJSON_Delete(ref);
}

Test(reference, bert_tiny) { check_fixture("bert-tiny"); }
Test(reference, bert_minilm_h384) { check_fixture("bert-minilm-h384"); }
Test(reference, bert_nli_3label) { check_fixture("bert-nli-3label"); }
Test(reference, bert_h312_heads26) { check_fixture("bert-h312-heads26"); }
Test(reference, bert_base_uncased_vocab, .timeout = 300) { check_fixture("bert-base-uncased-vocab"); }
Test(reference, bert_cased_pos128) { check_fixture("bert-cased-pos128"); }

/* The .cbm file and the folder give the same numbers, bit for bit: the
 * folder is converted in memory by the same code. */
Test(reference, file_equals_folder)
{
    cbt_pairs cp = cbt_case_pairs("bert-minilm-h384", 0);
    const cb_pair *pairs = cp.pairs;
    const size_t n = cp.n;
    char *file = cbt_converted("bert-minilm-h384", CB_DTYPE_F32), *folder = cbt_fixture_path("bert-minilm-h384", NULL);
    cb_model *a = cbt_load(file, 1), *b = cbt_load(folder, 1);
    float *sa = malloc(n * sizeof *sa), *sb = malloc(n * sizeof *sb);
    cb_error err;
    const cb_predict_options o = { .max_length = 128 };  /* the weights are what differs, if anything */
    cr_assert_eq(cb_predict(a, pairs, n, &o, sa, &err), CB_OK, "%s", err.message);
    cr_assert_eq(cb_predict(b, pairs, n, &o, sb, &err), CB_OK, "%s", err.message);
    cr_assert_eq(memcmp(sa, sb, n * sizeof *sa), 0);
    cb_model_free(a);
    cb_model_free(b);
    free(sa);
    free(sb);
    cbt_pairs_free(&cp);
    free(file);
    free(folder);
}

/* Batch size and thread count must not change any result: every pair alone
 * (batch 1, one thread) is the baseline. The int8 MiniLM-shaped fixture
 * (per-row activation quantisation must not see the other rows of a batch)
 * and a float32 one; 128 tokens per pair give the batches different lengths
 * and keep this affordable under emulation (tools/aarch64/test.sh). */
Test(batching, sizes_and_threads_agree, .timeout = 300)
{
    static const struct { const char *name; cb_dtype dtype; } models[] = {
        { "bert-minilm-h384", CB_DTYPE_INT8 }, { "bert-nli-3label", CB_DTYPE_F32 }
    };
    for (size_t f = 0; f < 2; f++) {
        const char *name = models[f].name;
        cbt_pairs cp = cbt_case_pairs(name, 0);
        const cb_pair *pairs = cp.pairs;
        const size_t n = cp.n;
        char *file = cbt_converted(name, models[f].dtype);
        cb_model *one = cbt_load(file, 1), *two = cbt_load(file, 2);
        const int L = cb_model_num_labels(one);
        float *base = malloc(n * (size_t)L * sizeof *base), *got = malloc(n * (size_t)L * sizeof *got);
        cb_error err;
        cb_predict_options o = { .max_length = 128, .batch_size = 1, .activation = CB_ACTIVATION_NONE };
        cr_assert_eq(cb_predict(one, pairs, n, &o, base, &err), CB_OK, "%s", err.message);
        const int sizes[] = { 1, 3, 64 };
        cb_model *ms[] = { one, two };
        for (int t = 0; t < 2; t++) {
            for (int s = 0; s < 3; s++) {
                o.batch_size = sizes[s];
                cr_assert_eq(cb_predict(ms[t], pairs, n, &o, got, &err), CB_OK, "%s", err.message);
                for (size_t i = 0; i < n * (size_t)L; i++)
                    cr_expect(fabsf(got[i] - base[i]) <= 1e-6f, "%s threads %d batch %d value %zu: %.8f vs %.8f",
                              name, t + 1, sizes[s], i, got[i], base[i]);
            }
        }
        cb_model_free(one);
        cb_model_free(two);
        free(base);
        free(got);
        cbt_pairs_free(&cp);
        free(file);
    }
}

/* One model, several threads calling cb_predict at once: every thread gets
 * exactly the single-threaded result (each call borrows its own workspace). */
typedef struct thread_job {
    const cb_model *m;
    const cb_pair *pairs;
    size_t n;
    float *out;
    cb_status status;
} thread_job;

static void *predict_thread(void *arg)
{
    thread_job *j = arg;
    cb_error err;
    const cb_predict_options o = { .max_length = 128 };
    for (int round = 0; round < 2 && j->status == CB_OK; round++)
        j->status = cb_predict(j->m, j->pairs, j->n, &o, j->out, &err);
    return NULL;
}

Test(threads, one_model_many_callers, .timeout = 300)
{
    cbt_pairs cp = cbt_case_pairs("bert-minilm-h384", 0);
    char *file = cbt_converted("bert-minilm-h384", CB_DTYPE_INT8);
    cb_model *m = cbt_load(file, 2);
    float *base = malloc(cp.n * sizeof *base);
    cb_error err;
    const cb_predict_options o = { .max_length = 128 };
    cr_assert_eq(cb_predict(m, cp.pairs, cp.n, &o, base, &err), CB_OK, "%s", err.message);
    enum { N_THREADS = 4 };
    pthread_t tid[N_THREADS];
    thread_job jobs[N_THREADS];
    for (int t = 0; t < N_THREADS; t++) {
        jobs[t] = (thread_job){ m, cp.pairs, cp.n, malloc(cp.n * sizeof(float)), CB_OK };
        cr_assert_eq(pthread_create(&tid[t], NULL, predict_thread, &jobs[t]), 0);
    }
    for (int t = 0; t < N_THREADS; t++) {
        pthread_join(tid[t], NULL);
        cr_expect_eq(jobs[t].status, CB_OK, "thread %d", t);
        cr_expect_eq(memcmp(jobs[t].out, base, cp.n * sizeof *base), 0, "thread %d differs", t);
        free(jobs[t].out);
    }
    cb_model_free(m);
    free(base);
    free(file);
    cbt_pairs_free(&cp);
}
