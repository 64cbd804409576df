/* test_real.c: real trained weights on a real task. tests/real/ holds a
 * trained 6-layer MiniLM reranker (binary16 safetensors), TREC DL 2019's
 * BM25 top-100 with its qrels, and sentence-transformers' CrossEncoder.predict
 * of that model on all 4,300 pairs (see tests/real/README.md).
 *
 * The random-weight fixtures cannot show what int8 does to a trained BERT
 * (outlier channels, wide activation ranges), nor what a user sees (the
 * ranking). These gates can:
 *   float32: every score within 1e-4 of sentence-transformers, same nDCG@10;
 *   int8:    nDCG@10 within 0.005 of float32, mean per-query Kendall tau
 *            >= 0.95, and a file under 30 % of float32.
 *   and a smaller nDCG@10 loss than ONNX Runtime's quantize_dynamic
 *   (per-channel QInt8) on the same model, whose scores were recorded by
 *   tools/bench/fidelity_real.py into tests/real/ort-int8-dl19.jsonl.
 * Everything goes through the CLI, as a user would run it: `convert`, then
 * `eval --compare` once for both models. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "support.h"

#define MODEL CB_REAL_DIR "/rerank-minilm-l6-dl20"
#define REFERENCE CB_REAL_DIR "/reference-dl19.jsonl"
#define QRELS CB_REAL_DIR "/trec-dl/qrels.dl19-passage.txt"
#define ORT_INT8 CB_REAL_DIR "/ort-int8-dl19.jsonl"

static void run(const char *cmd)
{
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "failed (status %d): %s", st, cmd);
}

static char *slurp_text(const char *path)
{
    size_t n;
    char *s = cbt_read(path, &n);
    cr_assert(s, "cannot read %s", path);
    return s;
}

static double field(const cJSON *o, const char *path1, int index, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(o, path1);
    if (index >= 0) v = cJSON_GetArrayItem(v, index);
    v = cJSON_GetObjectItem(v, name);
    cr_assert(cJSON_IsNumber(v), "no %s.%s in the eval output", path1, name);
    return v->valuedouble;
}

static off_t file_size(const char *path)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "no %s", path);
    return st.st_size;
}

Test(real, minilm_reranker_float32_and_int8_on_trec_dl19, .timeout = 1800)
{
    char *f32 = cbt_temp_path("real-f32.cbm"), *i8 = cbt_temp_path("real-int8.cbm");
    char *out = cbt_temp_path("real-eval.json"), *scores = cbt_temp_path("real-scores.jsonl");
    char *ref_out = cbt_temp_path("real-ref.json");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s convert %s -o %s --dtype f32 >/dev/null && %s convert %s -o %s --dtype int8 >/dev/null",
             CB_CLI_PATH, MODEL, f32, CB_CLI_PATH, MODEL, i8);
    run(cmd);
    /* The reference's own nDCG@10 (its "score" field, no model). */
    snprintf(cmd, sizeof cmd, "%s eval --candidates %s --qrels %s --json > %s", CB_CLI_PATH, REFERENCE, QRELS, ref_out);
    run(cmd);
    snprintf(cmd, sizeof cmd, "%s eval %s --compare %s --candidates %s --qrels %s --threads 2 --json --scores-out %s > %s",
             CB_CLI_PATH, f32, i8, REFERENCE, QRELS, scores, out);
    run(cmd);

    char *text = slurp_text(ref_out);
    cJSON *ref = cJSON_Parse(text);
    free(text);
    text = slurp_text(out);
    cJSON *res = cJSON_Parse(text);
    free(text);
    cr_assert(ref && res, "eval printed no JSON");
    const double ndcg_ref = field(ref, "engines", 0, "ndcg@10");
    const double ndcg_f32 = field(res, "engines", 0, "ndcg@10");
    const double ndcg_i8 = field(res, "engines", 1, "ndcg@10");
    const double tau = field(res, "compare", -1, "mean_kendall_tau");
    cr_log_info("DL19 nDCG@10: reference %.4f, float32 %.4f, int8 %.4f (delta %+.4f), mean Kendall tau %.4f",
                ndcg_ref, ndcg_f32, ndcg_i8, ndcg_i8 - ndcg_f32, tau);

    /* float32: pair by pair against CrossEncoder.predict. */
    FILE *fr = fopen(REFERENCE, "r"), *fs = fopen(scores, "r");
    cr_assert(fr && fs);
    char *lr = NULL, *ls = NULL;
    size_t cr_ = 0, cs = 0, pairs = 0, worst_at = 0;
    double worst = 0;
    while (getline(&lr, &cr_, fr) > 0) {
        cr_assert(getline(&ls, &cs, fs) > 0, "scores file ends at pair %zu", pairs + 1);
        cJSON *a = cJSON_Parse(lr), *b = cJSON_Parse(ls);
        cr_assert(a && b);
        cr_assert_str_eq(cJSON_GetObjectItem(a, "pid")->valuestring, cJSON_GetObjectItem(b, "pid")->valuestring);
        double d = fabs(cJSON_GetObjectItem(a, "score")->valuedouble -
                        cJSON_GetArrayItem(cJSON_GetObjectItem(b, "scores"), 0)->valuedouble);
        if (d > worst) worst = d, worst_at = pairs;
        cJSON_Delete(a), cJSON_Delete(b);
        pairs++;
    }
    free(lr), free(ls);
    fclose(fr), fclose(fs);
    cr_log_info("float32: max |score - sentence-transformers| %.3g (pair %zu of %zu)", worst, worst_at + 1, pairs);
    cr_expect_eq(pairs, 4300);
    cr_expect(worst <= 1e-4, "float32 score %zu differs from sentence-transformers by %.3g", worst_at + 1, worst);
    cr_expect(round(ndcg_f32 * 1e4) == round(ndcg_ref * 1e4), "float32 nDCG@10 %.6f, reference %.6f", ndcg_f32,
              ndcg_ref);

    /* int8: the ranking a user sees. */
    cr_expect(fabs(ndcg_i8 - ndcg_f32) <= 0.005, "int8 nDCG@10 %.4f vs float32 %.4f", ndcg_i8, ndcg_f32);
    cr_expect(tau >= 0.95, "int8 mean per-query Kendall tau %.4f", tau);
    /* The peer, scored by the same eval code from its recorded scores. */
    char *ort_out = cbt_temp_path("real-ort.json");
    snprintf(cmd, sizeof cmd, "%s eval --candidates %s --qrels %s --json > %s", CB_CLI_PATH, ORT_INT8, QRELS, ort_out);
    run(cmd);
    text = slurp_text(ort_out);
    cJSON *ort = cJSON_Parse(text);
    free(text);
    cr_assert(ort, "eval printed no JSON for the ONNX Runtime scores");
    const double ndcg_ort = field(ort, "engines", 0, "ndcg@10");
    cr_log_info("ONNX Runtime int8 nDCG@10 %.4f (loss %.4f); crossbyte int8 loss %.4f", ndcg_ort, ndcg_ref - ndcg_ort,
                ndcg_ref - ndcg_i8);
    cr_expect(ndcg_ref - ndcg_i8 < ndcg_ref - ndcg_ort, "crossbyte int8 loses %.4f nDCG@10, ONNX Runtime int8 %.4f",
              ndcg_ref - ndcg_i8, ndcg_ref - ndcg_ort);
    cJSON_Delete(ort);
    remove(ort_out);
    free(ort_out);
    /* Size: against float32 safetensors of the same tensors (our float32
     * .cbm holds exactly those plus the tokenizer). */
    double ratio = (double)file_size(i8) / (double)file_size(f32);
    cr_log_info("int8 file %.1f %% of float32", 100 * ratio);
    cr_expect(ratio < 0.30, "int8 file is %.1f %% of float32", 100 * ratio);

    cJSON_Delete(ref), cJSON_Delete(res);
    remove(f32), remove(i8), remove(out), remove(scores), remove(ref_out);
    free(f32), free(i8), free(out), free(scores), free(ref_out);
}
