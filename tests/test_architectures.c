/* test_architectures.c: ELECTRA, RoBERTa and DeBERTa end to end against Hugging
 * Face's own outputs (tests/fixtures/<name>/reference.json): token ids, raw
 * logits against batch_logits and default-activation scores against
 * CrossEncoder.predict, at both max_lengths, through the .cbm file and
 * straight from the folder (each reference once per load path).
 *
 * What each fixture exercises beyond BERT: electra-tiny projects its
 * 64-wide embeddings to the 128-wide encoder (embeddings_project) and scores
 * with dense -> GELU -> out_proj; roberta-tiny tokenises with byte-level BPE,
 * has no token types (one type row), numbers positions from
 * padding_idx + 1, and scores with dense -> tanh -> out_proj on <s>;
 * deberta-tiny-3label adds relative positions in attention. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

#define TOL 1e-4

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
            /* Each reference once per load path (as test_model does: the
             * float32 suites run under qemu too): the file's logits and the
             * folder's scores on the first case, the other way round on the
             * second. */
            const unsigned logits_first = (index + k) % 2 == 0;
            cbt_check_case(models[k], name, how[k], c, index, logits_first ? CBT_CHECK_LOGITS : CBT_CHECK_SCORES, TOL);
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

/* Disentangled attention (c2p and p2c), no absolute positions, the
 * context pooler, three labels, byte-level BPE with [CLS]/[SEP]. */
Test(reference, deberta_tiny_3label, .timeout = 300)
{
    check_fixture("deberta-tiny-3label", "DebertaForSequenceClassification", 512);
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
