/* test_layers.c: every float32 fixture's hidden states, layer by layer,
 * against Hugging Face's (reference.json's hidden_states_pair0: the
 * embeddings' output, then each layer, for pair 0 of each case). The score
 * suites say whether the model is right; this one says which layer is not.
 * The batch is made from the reference's own token ids, so a tokenizer
 * difference cannot hide here. Bound: 1e-4 absolute per value, the one the
 * score suites use for logits (float32 summation order differs from
 * PyTorch's by a few ulps per dot product; 1e-4 is far above that and far
 * below any wrong term). It also reads the reference's "logits" (each pair
 * alone, unpadded), which the score suites, comparing packed batches with
 * "batch_logits", do not. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "encoder.h"
#include "model.h"
#include "support.h"

#define TIMEOUT 120
#define TOL 1e-4

static void check_fixture(const char *name)
{
    char *path = cbt_converted(name, CB_DTYPE_F32);
    cb_model *m = cbt_load(path, 1);
    cJSON *ref = cbt_reference(name);
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(ref, "cases"), *c;
    const int H = m->config.hidden_size, L = m->config.num_layers;
    int idx = 0;
    cJSON_ArrayForEach(c, cases)
    {
        const int max_length = cJSON_GetObjectItemCaseSensitive(c, "max_length")->valueint;
        const cJSON *ids0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "input_ids"), 0);
        const cJSON *tt = cJSON_GetObjectItemCaseSensitive(c, "token_type_ids");
        /* RoBERTa's and DeBERTa's lists are nulls: the model sees type 0. */
        const cJSON *types0 = cJSON_IsArray(tt) ? cJSON_GetArrayItem(tt, 0) : NULL;
        if (types0 && !cJSON_IsArray(types0)) types0 = NULL;
        const cJSON *hs = cJSON_GetObjectItemCaseSensitive(c, "hidden_states_pair0");
        cr_assert(cJSON_IsArray(hs) && cJSON_GetArraySize(hs) == L + 1, "%s: hidden_states_pair0 has %d entries, want %d",
                  name, cJSON_GetArraySize(hs), L + 1);
        const int n = cJSON_GetArraySize(ids0);
        int32_t *ids = malloc((size_t)n * sizeof *ids), *types = malloc((size_t)n * sizeof *types);
        float *x = malloc((size_t)n * (size_t)H * sizeof *x);
        cr_assert(ids && types && x);
        for (int t = 0; t < n; t++) {
            ids[t] = (int32_t)cbt_num(ids0, t);
            const cJSON *ty = types0 ? cJSON_GetArrayItem(types0, t) : NULL;
            types[t] = cJSON_IsNumber(ty) ? (int32_t)ty->valuedouble : 0;
        }
        size_t offset = 0;
        int length = n;
        const cb_batch b = { ids, types, &offset, &length, 1, (size_t)n };
        cb_workspace *ws = NULL;
        cb_error err;
        cr_assert_eq(cb_model_acquire_workspace(m, &ws, &err), CB_OK, "%s", err.message);
        for (int layer = 0; layer <= L; layer++) {
            cr_assert_eq(cb_encoder_layer_output(ws, &b, layer, x, &err), CB_OK, "%s", err.message);
            const cJSON *want = cJSON_GetArrayItem(hs, layer);
            cr_assert_eq(cJSON_GetArraySize(want), n, "%s: layer %d has %d tokens, want %d", name, layer,
                         cJSON_GetArraySize(want), n);
            double worst = 0.0;
            int wt = 0, wk = 0;
            for (int t = 0; t < n; t++)
                for (int k = 0; k < H; k++) {
                    const double d = fabs(x[(size_t)t * (size_t)H + (size_t)k] - cbt_num2(want, t, k));
                    if (d > worst || isnan(d)) worst = isnan(d) ? INFINITY : d, wt = t, wk = k;
                }
            cr_assert(worst <= TOL, "%s max_length %d: %s %d differs from Hugging Face: token %d dim %d off by %.3g",
                      name, max_length, layer ? "layer" : "embeddings (layer", layer, wt, wk, worst);
            printf("%s max_length %d layer %d: max |diff| %.2g\n", name, max_length, layer, worst);
        }
        cb_model_release_workspace(m, ws);
        /* reference.json's "logits": each pair through the model alone
         * (batch_size 1), as Hugging Face ran it unpadded. */
        const cJSON *logits = cJSON_GetObjectItemCaseSensitive(c, "logits");
        cbt_pairs cp = cbt_case_pairs(name, idx);
        const int labels = cb_model_num_labels(m);
        const cb_predict_options one = { .max_length = max_length, .batch_size = 1, .activation = CB_ACTIVATION_NONE };
        float got[8];
        cr_assert(labels <= 8 && cJSON_GetArraySize(logits) == (int)cp.n);
        double worst = 0.0;
        for (size_t i = 0; i < cp.n; i++) {
            cr_assert_eq(cb_predict(m, &cp.pairs[i], 1, &one, got, &err), CB_OK, "%s", err.message);
            for (int l = 0; l < labels; l++) {
                const double d = fabs(got[l] - cbt_num2(logits, (int)i, l));
                cr_expect(d <= TOL, "%s max_length %d pair %zu label %d: logit %.7f, HF alone %.7f", name, max_length, i,
                          l, (double)got[l], cbt_num2(logits, (int)i, l));
                worst = d > worst ? d : worst;
            }
        }
        printf("%s max_length %d: %zu pairs scored alone, max |logit diff| %.2g\n", name, max_length, cp.n, worst);
        cbt_pairs_free(&cp);
        idx++;
        free(ids);
        free(types);
        free(x);
    }
    cJSON_Delete(ref);
    cb_model_free(m);
    free(path);
}

Test(layers, bert_tiny, .timeout = TIMEOUT) { check_fixture("bert-tiny"); }
Test(layers, bert_minilm_h384, .timeout = TIMEOUT) { check_fixture("bert-minilm-h384"); }
Test(layers, bert_nli_3label, .timeout = TIMEOUT) { check_fixture("bert-nli-3label"); }
Test(layers, bert_h312_heads26, .timeout = TIMEOUT) { check_fixture("bert-h312-heads26"); }
/* bert-base-uncased-vocab is the tokenizer fixture (240 pairs, one layer of
 * H32): its reference.json has no hidden states to compare. */
Test(layers, bert_cased_pos128, .timeout = TIMEOUT) { check_fixture("bert-cased-pos128"); }
Test(layers, electra_tiny, .timeout = TIMEOUT) { check_fixture("electra-tiny"); }
Test(layers, roberta_tiny, .timeout = TIMEOUT) { check_fixture("roberta-tiny"); }
Test(layers, deberta_tiny_3label, .timeout = TIMEOUT) { check_fixture("deberta-tiny-3label"); }
