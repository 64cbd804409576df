/* test_prune.c: the last layer computes only the rows the score reads
 * (runtime/src/nn/encoder.c, hidden_states). That must not change a bit: for
 * every fixture architecture, in float32 and int8, and for the real trained
 * reranker (whose activations have the outliers random weights lack), the
 * logits of a packed batch with pruning equal those of the full pass. The
 * full pass is the model as written, so this also pins pruning to what the
 * fixture suites check against Hugging Face. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoder.h"
#include "model.h"
#include "support.h"

#define MAX_LENGTH 128

static void check_model(const char *path, const char *what, const cb_pair *pairs, size_t n)
{
    cb_model *m = cbt_load(path, 1);
    const size_t cap = n * MAX_LENGTH;
    int32_t *ids = malloc(cap * sizeof *ids), *types = malloc(cap * sizeof *types);
    size_t *offsets = malloc(n * sizeof *offsets);
    int *lengths = malloc(n * sizeof *lengths);
    cr_assert(ids && types && offsets && lengths);
    size_t tokens = 0;
    cb_error err;
    for (size_t i = 0; i < n; i++) {
        size_t got = 0;
        cr_assert_eq(cb_tokenize(m, &pairs[i], MAX_LENGTH, ids + tokens, types + tokens, cap - tokens, &got, &err),
                     CB_OK, "%s", err.message);
        offsets[i] = tokens;
        lengths[i] = (int)got;
        tokens += got;
    }
    const cb_batch b = { ids, types, offsets, lengths, n, tokens };
    const size_t L = (size_t)cb_model_num_labels(m);
    float *pruned = malloc(n * L * sizeof *pruned), *full = malloc(n * L * sizeof *full);
    cr_assert(pruned && full);
    cb_workspace *ws = NULL;
    cr_assert_eq(cb_model_acquire_workspace(m, &ws, &err), CB_OK, "%s", err.message);
    cr_assert_eq(cb_encoder_forward(ws, &b, pruned, &err), CB_OK, "%s", err.message);
    cb_workspace_set_pruning(ws, 0);
    cr_assert_eq(cb_encoder_forward(ws, &b, full, &err), CB_OK, "%s", err.message);
    cb_workspace_set_pruning(ws, 1);
    cb_model_release_workspace(m, ws);
    for (size_t i = 0; i < n * L; i++)
        cr_expect(memcmp(&pruned[i], &full[i], sizeof(float)) == 0, "%s: logit %zu pruned %.9g, full pass %.9g", what,
                  i, (double)pruned[i], (double)full[i]);
    /* the public call takes the pruned path too */
    float *scores = malloc(n * L * sizeof *scores);
    cr_assert(scores);
    const cb_predict_options raw = { .activation = CB_ACTIVATION_NONE, .max_length = MAX_LENGTH };
    cr_assert_eq(cb_predict(m, pairs, n, &raw, scores, &err), CB_OK, "%s", err.message);
    cr_expect(memcmp(scores, full, n * L * sizeof(float)) == 0, "%s: cb_predict differs from the full pass", what);
    printf("%s: %zu pairs, %zu tokens, pruned = full pass bit for bit\n", what, n, tokens);
    free(scores);
    free(pruned);
    free(full);
    free(ids);
    free(types);
    free(offsets);
    free(lengths);
    cb_model_free(m);
}

static void check_fixture(const char *name)
{
    cbt_pairs p = cbt_case_pairs(name, 0);
    for (int d = 0; d < 2; d++) {
        const cb_dtype dtype = d ? CB_DTYPE_INT8 : CB_DTYPE_F32;
        char *path = cbt_converted(name, dtype), what[128];
        snprintf(what, sizeof what, "%s %s", name, d ? "int8" : "float32");
        check_model(path, what, p.pairs, p.n);
        free(path);
    }
    cbt_pairs_free(&p);
}

Test(prune, bert_fixtures, .timeout = 300)
{
    for (size_t i = 0; i < cbt_n_bert_fixtures; i++) check_fixture(cbt_bert_fixtures[i]);
}
Test(prune, electra_tiny, .timeout = 300) { check_fixture("electra-tiny"); }
Test(prune, roberta_tiny, .timeout = 300) { check_fixture("roberta-tiny"); }
Test(prune, deberta_tiny_3label, .timeout = 300) { check_fixture("deberta-tiny-3label"); }

/* Real weights: the shipped reranker, on passages of a few lengths. */
Test(prune, real_reranker, .timeout = 300)
{
    static const cb_pair pairs[] = {
        { "How many people live in Berlin?", CB_NUL_TERMINATED,
          "Berlin has a population of 3,520,031 registered inhabitants in an area of 891.82 square kilometers.",
          CB_NUL_TERMINATED },
        { "How many people live in Berlin?", CB_NUL_TERMINATED, "Berlin is well known for its museums.",
          CB_NUL_TERMINATED },
        { "a", CB_NUL_TERMINATED, "", CB_NUL_TERMINATED },
        { "what is the boiling point of water at altitude", CB_NUL_TERMINATED,
          "Water boils at lower temperatures at higher altitudes because the air pressure is lower; at 3,000 m it "
          "boils at about 90 degrees Celsius, which is why cooking takes longer in the mountains and pressure "
          "cookers are common there, and why recipes give altitude adjustments for baking times and temperatures.",
          CB_NUL_TERMINATED },
    };
    const char *dir = CB_REAL_DIR "/rerank-minilm-l6-dl20";
    check_model(dir, "rerank-minilm-l6-dl20 float32", pairs, sizeof pairs / sizeof *pairs);
    char *q = cbt_temp_path("prune-real-int8");
    cb_error err;
    cr_assert_eq(cb_convert(dir, q, CB_DTYPE_INT8, NULL, &err), CB_OK, "%s", err.message);
    check_model(q, "rerank-minilm-l6-dl20 int8", pairs, sizeof pairs / sizeof *pairs);
    remove(q);
    free(q);
}
