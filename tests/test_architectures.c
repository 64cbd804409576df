/* test_architectures.c: ELECTRA and RoBERTa end to end against Hugging
 * Face's own outputs (tests/fixtures/<name>/reference.json): token ids, raw
 * logits against batch_logits and default-activation scores against
 * CrossEncoder.predict, at both max_lengths, through the .cbm file and
 * straight from the folder.
 *
 * What each fixture exercises beyond BERT: electra-tiny projects its
 * 64-wide embeddings to the 128-wide encoder (embeddings_project) and scores
 * with dense -> GELU -> out_proj; roberta-tiny tokenises with byte-level BPE,
 * has no token types (one type row), numbers positions from
 * padding_idx + 1, and scores with dense -> tanh -> out_proj on <s>. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

#define TOL 1e-4

static void check_case(cb_model *m, const char *name, const char *how, const cJSON *c, int index)
{
    const int max_length = cJSON_GetObjectItemCaseSensitive(c, "max_length")->valueint;
    cbt_pairs cp = cbt_case_pairs(name, index);
    const size_t n = cp.n;
    const cJSON *ref_ids = cJSON_GetObjectItemCaseSensitive(c, "input_ids");
    const cJSON *ref_types = cJSON_GetObjectItemCaseSensitive(c, "token_type_ids");
    const cJSON *batch_logits = cJSON_GetObjectItemCaseSensitive(c, "batch_logits");
    const cJSON *ce = cJSON_GetObjectItemCaseSensitive(c, "ce_predict");
    cr_assert(n > 0 && cJSON_GetArraySize(ref_ids) == (int)n && cJSON_GetArraySize(batch_logits) == (int)n);
    const int L = cb_model_num_labels(m);
    int32_t *ids = malloc((size_t)max_length * sizeof *ids), *types = malloc((size_t)max_length * sizeof *types);
    float *logits = malloc(n * (size_t)L * sizeof *logits), *scores = malloc(n * (size_t)L * sizeof *scores);
    cr_assert(ids && types && logits && scores);
    cb_error err;

    for (size_t i = 0; i < n; i++) {
        size_t got;
        cr_assert_eq(cb_tokenize(m, &cp.pairs[i], max_length, ids, types, (size_t)max_length, &got, &err), CB_OK,
                     "%s (%s): %s", name, how, err.message);
        const cJSON *want = cJSON_GetArrayItem(ref_ids, (int)i);
        cr_assert_eq(got, (size_t)cJSON_GetArraySize(want), "%s (%s) max_length %d pair %zu: %zu tokens, want %d",
                     name, how, max_length, i, got, cJSON_GetArraySize(want));
        /* RoBERTa's reference types are null for each pair: the model sees type 0 */
        const cJSON *want_types = cJSON_GetArrayItem(ref_types, (int)i);
        for (size_t t = 0; t < got; t++) {
            cr_assert_eq(ids[t], (int32_t)cbt_num(want, (int)t), "%s (%s) pair %zu token %zu", name, how, i, t);
            int32_t want_type = cJSON_IsArray(want_types) ? (int32_t)cbt_num(want_types, (int)t) : 0;
            cr_assert_eq(types[t], want_type, "%s (%s) pair %zu type %zu", name, how, i, t);
        }
    }
    cb_predict_options raw = { .max_length = max_length, .activation = CB_ACTIVATION_NONE };
    cr_assert_eq(cb_predict(m, cp.pairs, n, &raw, logits, &err), CB_OK, "%s: %s", name, err.message);
    cb_predict_options def = { .max_length = max_length };
    cr_assert_eq(cb_predict(m, cp.pairs, n, &def, scores, &err), CB_OK, "%s: %s", name, err.message);
    double worst_logit = 0, worst_score = 0;
    for (size_t i = 0; i < n; i++) {
        for (int l = 0; l < L; l++) {
            const double want = cbt_num2(batch_logits, (int)i, l);
            const double want_ce = L == 1 ? cbt_num(ce, (int)i) : cbt_num2(ce, (int)i, l);
            const double dl = fabs(logits[i * L + l] - want), ds = fabs(scores[i * L + l] - want_ce);
            worst_logit = dl > worst_logit ? dl : worst_logit;
            worst_score = ds > worst_score ? ds : worst_score;
            cr_expect(dl <= TOL, "%s (%s) max_length %d pair %zu label %d: logit %.7f, HF %.7f", name, how,
                      max_length, i, l, logits[i * L + l], want);
            cr_expect(ds <= TOL, "%s (%s) max_length %d pair %zu label %d: predict %.7f, CrossEncoder.predict %.7f",
                      name, how, max_length, i, l, scores[i * L + l], want_ce);
        }
    }
    fprintf(stderr, "%s (%s) max_length %d: %zu pairs, worst |logit - HF| %.2e, worst |predict - CE| %.2e\n", name,
            how, max_length, n, worst_logit, worst_score);
    cbt_pairs_free(&cp);
    free(ids);
    free(types);
    free(logits);
    free(scores);
}

static void check_fixture(const char *name, const char *architecture, int max_positions)
{
    cJSON *ref = cbt_reference(name);
    char *file = cbt_converted(name, CB_DTYPE_F32);
    char *folder = cbt_fixture_path(name, NULL);
    cb_model *from_file = cbt_load(file, 1), *from_folder = cbt_load(folder, 1);
    cb_model *models[2] = { from_file, from_folder };
    const char *how[2] = { ".cbm file", "folder" };
    for (int k = 0; k < 2; k++) {
        cr_assert_str_eq(cb_model_architecture(models[k]), architecture);
        cr_assert_eq(cb_model_max_positions(models[k]), max_positions, "%s: max positions %d", name,
                     cb_model_max_positions(models[k]));
        const cJSON *c;
        int index = 0;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(ref, "cases")) {
            check_case(models[k], name, how[k], c, index);
            index++;
        }
        cr_assert_eq(index, 2, "%s: want two reference cases", name);
    }
    cb_model_free(from_file);
    cb_model_free(from_folder);
    free(file);
    free(folder);
    cJSON_Delete(ref);
}

Test(reference, electra_tiny, .timeout = 300)
{
    check_fixture("electra-tiny", "ElectraForSequenceClassification", 512);
}

/* 514 position rows, the first padding_idx + 1 = 2 of them never used. */
Test(reference, roberta_tiny, .timeout = 300)
{
    check_fixture("roberta-tiny", "RobertaForSequenceClassification", 512);
}

/* A max_length past the positions RoBERTa has is refused, not wrapped. */
Test(limits, roberta_max_length)
{
    char *file = cbt_converted("roberta-tiny", CB_DTYPE_F32);
    cb_model *m = cbt_load(file, 1);
    cr_assert_eq(cb_model_max_length(m), 512);
    cb_pair p = { "a", CB_NUL_TERMINATED, "b", CB_NUL_TERMINATED };
    float score;
    cb_error err;
    cb_predict_options o = { .max_length = 513 };
    cr_assert_eq(cb_predict(m, &p, 1, &o, &score, &err), CB_ERR_MAX_LENGTH, "%s", err.message);
    o.max_length = 3;   /* fewer than the 4 specials of a RoBERTa pair */
    cr_assert_eq(cb_predict(m, &p, 1, &o, &score, &err), CB_ERR_MAX_LENGTH, "%s", err.message);
    o.max_length = 4;
    cr_assert_eq(cb_predict(m, &p, 1, &o, &score, &err), CB_OK, "%s", err.message);
    cb_model_free(m);
    free(file);
}
