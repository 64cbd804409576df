/* test_embed.c: bi-encoders (cb_embed) against the Hugging Face stack on real
 * pretrained weights: all-MiniLM-L6-v2 (mean pooling, Normalize) and
 * bge-small-en-v1.5 (CLS pooling, Normalize), installed by tools/setup.sh
 * (tools/deps/models.sh) into CB_MODELS_DIR; the references in tests/real/embed
 * come from SentenceTransformer.encode and from ONNX Runtime on bge's original
 * ONNX file (tools/bench/embed_reference.py), over 272 real sentences.
 *
 * Gates: float32 cosine >= 0.99999 for every sentence, ids equal to the
 * reference tokenizer's; int8 cosine >= 0.99 (the minimum and mean are
 * printed); the max and mean_sqrt_len poolings on 24 sentences; and the
 * refusals of the wrong kind of model, bad text and bad options. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support.h"

#ifndef CB_MODELS_DIR
#define CB_MODELS_DIR ""
#endif
#define MINILM CB_MODELS_DIR "/all-MiniLM-L6-v2"
#define BGE CB_MODELS_DIR "/bge-small-en-v1.5"
#define EMBED_REF CB_REAL_DIR "/embed"
#define DIM 384
#define MAX_SENTENCES 300
/* One limit for every test of the file: Criterion 2.4.1 leaks its timeout
 * records (LeakSanitizer: 48 bytes each, in libcriterion) when tests with
 * different limits run in parallel workers. */
#define TIMEOUT 600

static void need_models(void)
{
    struct stat st;
    cr_assert(CB_MODELS_DIR[0] && stat(MINILM "/model.safetensors", &st) == 0 && stat(BGE "/model.safetensors", &st) == 0,
              "the pretrained bi-encoders are not installed in '%s': run tools/setup.sh (tools/deps/models.sh) and "
              "configure with -DCROSSBYTE_MODELS_DIR", CB_MODELS_DIR);
}

/* One JSON value per line of `path`; returns the count. */
static int read_jsonl(const char *path, cJSON **out, int cap)
{
    size_t size;
    char *text = cbt_read(path, &size), *save = NULL;
    int n = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cr_assert_lt(n, cap, "%s has more than %d lines", path, cap);
        out[n] = cJSON_Parse(line);
        cr_assert(out[n], "%s line %d is not JSON", path, n + 1);
        n++;
    }
    free(text);
    return n;
}

typedef struct sentences {
    cJSON *json[MAX_SENTENCES];
    const char *text[MAX_SENTENCES];
    int n;
} sentences;

static void load_sentences(sentences *s)
{
    s->n = read_jsonl(EMBED_REF "/sentences.jsonl", s->json, MAX_SENTENCES);
    cr_assert_geq(s->n, 200, "want at least 200 sentences, have %d", s->n);
    for (int i = 0; i < s->n; i++) {
        cr_assert(cJSON_IsString(s->json[i]));
        s->text[i] = s->json[i]->valuestring;
    }
}

static void free_json(cJSON **v, int n)
{
    for (int i = 0; i < n; i++) cJSON_Delete(v[i]);
}

static double cosine(const float *a, const cJSON *b, int n)
{
    double ab = 0, aa = 0, bb = 0;
    for (int k = 0; k < n; k++) {
        const double y = cJSON_GetArrayItem(b, k)->valuedouble;
        ab += a[k] * y;
        aa += (double)a[k] * a[k];
        bb += y * y;
    }
    return ab / sqrt(aa * bb);
}

/* Embeds `count` sentences and compares each with the reference file; returns
 * the minimum cosine, *mean gets the mean. */
static double compare(cb_model *m, const sentences *s, int count, const char *ref_file, double *mean)
{
    cJSON *ref[MAX_SENTENCES];
    char path[512];
    snprintf(path, sizeof path, "%s/%s", EMBED_REF, ref_file);
    const int n_ref = read_jsonl(path, ref, MAX_SENTENCES);
    cr_assert_geq(n_ref, count, "%s has %d rows, want %d", ref_file, n_ref, count);
    float *v = malloc((size_t)count * DIM * sizeof *v);
    cr_assert(v);
    cb_error err;
    cr_assert_eq(cb_embed(m, s->text, NULL, (size_t)count, NULL, v, &err), CB_OK, "%s", err.message);
    double lo = 1.0, sum = 0.0;
    for (int i = 0; i < count; i++) {
        const cJSON *e = cJSON_GetObjectItem(ref[i], "embedding");
        cr_assert_eq(cJSON_GetArraySize(e), DIM);
        const double c = cosine(v + (size_t)i * DIM, e, DIM);
        lo = c < lo ? c : lo;
        sum += c;
    }
    free(v);
    free_json(ref, n_ref);
    *mean = sum / count;
    return lo;
}

static char *convert_int8(const char *dir, const char *stem)
{
    char *out = cbt_temp_path(stem);
    cb_error err;
    cr_assert_eq(cb_convert(dir, out, CB_DTYPE_INT8, NULL, &err), CB_OK, "%s", err.message);
    return out;
}

static void check_model(const char *dir, const char *pooling, const char *ref_file, const char *stem)
{
    need_models();
    sentences s;
    load_sentences(&s);
    cb_model *m = cbt_load(dir, 2);
    cr_assert_eq(cb_model_embedding_size(m), DIM);
    cr_assert_str_eq(cb_model_pooling(m), pooling);
    cr_assert_eq(cb_model_num_labels(m), 0);
    double mean;
    const double lo = compare(m, &s, s.n, ref_file, &mean);
    printf("%s float32: %d sentences, min cosine %.9f, mean %.9f\n", stem, s.n, lo, mean);
    cr_expect_geq(lo, 0.99999, "%s float32: min cosine %.9f < 0.99999", stem, lo);
    cb_model_free(m);

    char *q = convert_int8(dir, stem);
    m = cbt_load(q, 2);
    cr_assert_str_eq(cb_model_dtype(m), "int8");
    const double lo8 = compare(m, &s, s.n, ref_file, &mean);
    printf("%s int8: min cosine %.6f, mean %.6f\n", stem, lo8, mean);
    cr_expect_geq(lo8, 0.99, "%s int8: min cosine %.6f < 0.99", stem, lo8);
    cb_model_free(m);
    unlink(q);
    free(q);
    free_json(s.json, s.n);
}

Test(embed, minilm_matches_sentence_transformers, .timeout = TIMEOUT)
{
    check_model(MINILM, "mean", "minilm.jsonl", "all-MiniLM-L6-v2");
}

Test(embed, bge_small_matches_onnx_runtime, .timeout = TIMEOUT)
{
    check_model(BGE, "cls", "bge-small.jsonl", "bge-small-en-v1.5");
}

/* cb_tokenize on a bi-encoder encodes one text: the reference's own ids. */
Test(embed, token_ids_equal_the_reference_tokenizers, .timeout = TIMEOUT)
{
    need_models();
    sentences s;
    load_sentences(&s);
    const char *dirs[2] = { MINILM, BGE }, *refs[2] = { "minilm.jsonl", "bge-small.jsonl" };
    for (int d = 0; d < 2; d++) {
        cb_model *m = cbt_load(dirs[d], 1);
        cJSON *ref[MAX_SENTENCES];
        char path[512];
        snprintf(path, sizeof path, "%s/%s", EMBED_REF, refs[d]);
        const int n = read_jsonl(path, ref, MAX_SENTENCES);
        int32_t ids[600];
        for (int i = 0; i < n; i++) {
            const cb_pair p = { s.text[i], CB_NUL_TERMINATED, NULL, 0 };
            size_t got;
            cb_error err;
            cr_assert_eq(cb_tokenize(m, &p, 0, ids, NULL, 600, &got, &err), CB_OK, "%s", err.message);
            const cJSON *want = cJSON_GetObjectItem(ref[i], "input_ids");
            cr_assert_eq((int)got, cJSON_GetArraySize(want), "%s sentence %d: %zu ids, reference %d", refs[d], i, got,
                         cJSON_GetArraySize(want));
            for (size_t k = 0; k < got; k++)
                cr_assert_eq(ids[k], cJSON_GetArrayItem(want, (int)k)->valueint, "%s sentence %d id %zu", refs[d], i, k);
        }
        free_json(ref, n);
        cb_model_free(m);
    }
    free_json(s.json, s.n);
}

/* A folder of links to all-MiniLM-L6-v2's files with its own modules.json and
 * Pooling config. */
static char *variant_folder(const char *stem, const char *modules, const char *pooling)
{
    char *dir = cbt_temp_path(stem), path[1024];
    cr_assert_eq(mkdir(dir, 0755), 0, "mkdir %s", dir);
    static const char *const files[] = { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                                         "vocab.txt", "sentence_bert_config.json", "special_tokens_map.json" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char target[1024];
        snprintf(target, sizeof target, "%s/%s", MINILM, files[i]);
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        cr_assert_eq(symlink(target, path), 0, "symlink %s", path);
    }
    snprintf(path, sizeof path, "%s/modules.json", dir);
    cbt_write(path, modules, strlen(modules));
    snprintf(path, sizeof path, "%s/1_Pooling", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/1_Pooling/config.json", dir);
    cbt_write(path, pooling, strlen(pooling));
    return dir;
}

static const char transformer_pooling[] =
    "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},"
    "{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\",\"type\":\"sentence_transformers.models.Pooling\"}]";

static char *pooling_json(const char *mode)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "{\"word_embedding_dimension\":384,\"pooling_mode_cls_token\":false,"
             "\"pooling_mode_mean_tokens\":false,\"%s\":true}", mode);
    return buf;
}

Test(embed, max_and_mean_sqrt_len_pooling_match_sentence_transformers, .timeout = TIMEOUT)
{
    need_models();
    sentences s;
    load_sentences(&s);
    const char *modes[2] = { "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens" };
    const char *names[2] = { "max", "mean_sqrt_len" }, *refs[2] = { "minilm-max.jsonl", "minilm-mean-sqrt.jsonl" };
    for (int k = 0; k < 2; k++) {
        char *dir = variant_folder(names[k], transformer_pooling, pooling_json(modes[k]));
        cb_model *m = cbt_load(dir, 1);
        cr_assert_str_eq(cb_model_pooling(m), names[k]);
        double mean;
        const double lo = compare(m, &s, 24, refs[k], &mean);
        cr_expect_geq(lo, 0.99999, "%s pooling: min cosine %.9f", names[k], lo);
        cb_model_free(m);
        free(dir);
    }
    free_json(s.json, s.n);
}

Test(embed, unsupported_pooling_and_modules_are_refused, .timeout = TIMEOUT)
{
    need_models();
    cb_error err;
    cb_model *m = NULL;
    char *dir = variant_folder("weighted", transformer_pooling, pooling_json("pooling_mode_weightedmean_tokens"));
    cr_assert_eq(cb_model_load(dir, NULL, &m, &err), CB_ERR_UNSUPPORTED_MODEL, "%s", err.message);
    cr_assert(strstr(err.message, "weightedmean"), "%s", err.message);
    cr_assert_null(m);
    free(dir);
    static const char dense[] =
        "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},"
        "{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\",\"type\":\"sentence_transformers.models.Pooling\"},"
        "{\"idx\":2,\"name\":\"2\",\"path\":\"2_Dense\",\"type\":\"sentence_transformers.models.Dense\"}]";
    dir = variant_folder("dense", dense, pooling_json("pooling_mode_max_tokens"));
    cr_assert_eq(cb_model_load(dir, NULL, &m, &err), CB_ERR_UNSUPPORTED_MODEL, "%s", err.message);
    cr_assert(strstr(err.message, "module Dense"), "%s", err.message);
    free(dir);
}

Test(embed, wrong_kind_of_model_bad_text_and_options, .timeout = TIMEOUT)
{
    need_models();
    cb_model *bi = cbt_load(MINILM, 1);
    cb_error err;
    float score, v[2 * DIM];
    const cb_pair pair = { "query", CB_NUL_TERMINATED, "passage", CB_NUL_TERMINATED };
    cr_assert_eq(cb_predict(bi, &pair, 1, NULL, &score, &err), CB_ERR_WRONG_MODEL_KIND);
    cr_assert(strstr(err.message, "cb_embed"), "%s", err.message);
    const char *docs[1] = { "passage" };
    cb_ranked r;
    cr_assert_eq(cb_rank(bi, "q", CB_NUL_TERMINATED, docs, NULL, 1, NULL, &r, &err), CB_ERR_WRONG_MODEL_KIND);
    int32_t ids[16];
    size_t n;
    cr_assert_eq(cb_tokenize(bi, &pair, 0, ids, NULL, 16, &n, &err), CB_ERR_WRONG_MODEL_KIND);

    const char *bad[2] = { "fine", "bad \xff byte" };
    cr_assert_eq(cb_embed(bi, bad, NULL, 2, NULL, v, &err), CB_ERR_INVALID_UTF8);
    cr_assert(strstr(err.message, "text 1") && strstr(err.message, "offset 4"), "%s", err.message);
    cb_embed_options o = { .max_length = 1 };
    cr_assert_eq(cb_embed(bi, bad, NULL, 1, &o, v, &err), CB_ERR_MAX_LENGTH);
    o = (cb_embed_options){ .max_length = 100000 };
    cr_assert_eq(cb_embed(bi, bad, NULL, 1, &o, v, &err), CB_ERR_MAX_LENGTH);
    o = (cb_embed_options){ .normalize = 2 };
    cr_assert_eq(cb_embed(bi, bad, NULL, 1, &o, v, &err), CB_ERR_INVALID_ARGUMENT);
    /* Still usable, and the batch does not change a vector's bits. */
    const char *two[2] = { "Berlin has 3.5 million inhabitants.", "A cat." };
    float one[DIM];
    cr_assert_eq(cb_embed(bi, two, NULL, 2, NULL, v, &err), CB_OK, "%s", err.message);
    o = (cb_embed_options){ .batch_size = 1 };
    cr_assert_eq(cb_embed(bi, two + 1, NULL, 1, &o, one, &err), CB_OK, "%s", err.message);
    cr_assert_eq(memcmp(one, v + DIM, sizeof one), 0, "batching changed the second vector");
    /* --no-normalize: the same direction, the length of the mean itself. */
    o = (cb_embed_options){ .normalize = -1 };
    cr_assert_eq(cb_embed(bi, two, NULL, 1, &o, one, &err), CB_OK, "%s", err.message);
    double dot = 0, nn = 0;
    for (int k = 0; k < DIM; k++) {
        dot += (double)one[k] * v[k];
        nn += (double)one[k] * one[k];
    }
    cr_assert_gt(fabs(sqrt(nn) - 1.0), 0.05, "unnormalised vector has norm %f", sqrt(nn));
    cr_assert_float_eq(dot / sqrt(nn), 1.0, 1e-6);
    cb_model_free(bi);

    char *ce_path = cbt_converted("bert-tiny", CB_DTYPE_F32);
    cb_model *ce = cbt_load(ce_path, 1);
    cr_assert_eq(cb_model_embedding_size(ce), 0);
    cr_assert_null(cb_model_pooling(ce));
    cr_assert_eq(cb_embed(ce, two, NULL, 1, NULL, v, &err), CB_ERR_WRONG_MODEL_KIND);
    cr_assert(strstr(err.message, "cross-encoder"), "%s", err.message);
    cb_model_free(ce);
    free(ce_path);
}

/* The CLI prints what the API computes, to the last printed digit. */
Test(embed, cli_embed_prints_the_api_vectors, .timeout = TIMEOUT)
{
    need_models();
    const char *texts[2] = { "How many people live in Berlin?", "Berlin is well known for its museums." };
    const char input[] = "\"How many people live in Berlin?\"\n\n\"Berlin is well known for its museums.\"\n";
    cbt_cli_result r = cbt_run_cli("embed " MINILM, input, sizeof input - 1);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cb_model *m = cbt_load(MINILM, 1);
    float v[2 * DIM];
    cb_error err;
    cr_assert_eq(cb_embed(m, texts, NULL, 2, NULL, v, &err), CB_OK, "%s", err.message);
    const char *line = r.out;
    for (int i = 0; i < 2; i++) {
        cJSON *arr = cJSON_ParseWithOpts(line, &line, 0);
        cr_assert(cJSON_IsArray(arr) && cJSON_GetArraySize(arr) == DIM, "line %d: %s", i + 1, r.out);
        for (int k = 0; k < DIM; k++)
            cr_assert_eq((float)cJSON_GetArrayItem(arr, k)->valuedouble, v[i * DIM + k], "text %d dim %d", i, k);
        cJSON_Delete(arr);
    }
    cbt_cli_result_free(&r);
    r = cbt_run_cli("embed " MINILM, "[\"a\", \"b\"]\n", 11);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "line 1") && strstr(r.err, "JSON string"), "%s", r.err);
    cbt_cli_result_free(&r);
    cb_model_free(m);
}

/* nDCG@10 from `crossbyte eval ... --json`: engine `index`. */
static double eval_ndcg(const char *args, int index)
{
    cbt_cli_result r = cbt_run_cli(args, NULL, 0);
    cr_assert_eq(r.status, 0, "eval %s: %s", args, r.err);
    cJSON *o = cJSON_Parse(r.out);
    cr_assert(o, "eval output is not JSON: %s", r.out);
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "engines"), index), "ndcg@10");
    cr_assert(cJSON_IsNumber(v), "no ndcg@10 in %s", r.out);
    const double x = v->valuedouble;
    cJSON_Delete(o);
    cbt_cli_result_free(&r);
    return x;
}

/* eval with a bi-encoder scores by cosine; --then reranks its top K with a
 * second model: with K = every candidate the pipeline is the second model
 * alone, with K = 1 it is the first stage's own order. Three DL19 queries. */
Test(embed, eval_bi_encoder_and_two_stage_pipeline, .timeout = TIMEOUT)
{
    need_models();
    size_t size;
    char *all = cbt_read(CB_REAL_DIR "/trec-dl/dl19_bm25top100_pairs.tsv", &size);
    char *end = all;
    for (int lines = 0; lines < 1 + 300; lines++) end = strchr(end, '\n') + 1;
    char *subset = cbt_temp_path("dl19-3q.tsv");
    cbt_write(subset, all, (size_t)(end - all));
    free(all);
    char *ce = cbt_converted("bert-tiny", CB_DTYPE_F32), args[4096];
    const char *common = "--qrels " CB_REAL_DIR "/trec-dl/qrels.dl19-passage.txt --rel-level 2 --json --threads 2";
    snprintf(args, sizeof args, "eval %s --candidates %s %s", MINILM, subset, common);
    const double first = eval_ndcg(args, 0);
    snprintf(args, sizeof args, "eval %s --candidates %s %s", ce, subset, common);
    const double second = eval_ndcg(args, 0);
    snprintf(args, sizeof args, "eval %s --then %s --depth 100 --candidates %s %s", MINILM, ce, subset, common);
    cr_expect_float_eq(eval_ndcg(args, 0), first, 1e-12);
    cr_expect_float_eq(eval_ndcg(args, 1), second, 1e-12, "depth 100: the pipeline is the second model alone");
    snprintf(args, sizeof args, "eval %s --then %s --depth 1 --candidates %s %s", MINILM, ce, subset, common);
    cr_expect_float_eq(eval_ndcg(args, 1), first, 1e-12, "depth 1: the pipeline keeps the first stage's order");
    cr_expect_neq(first, second, "the two models must rank differently for this test to mean anything");
    snprintf(args, sizeof args, "eval %s --then %s --pairs x", MINILM, ce);
    cbt_cli_result r = cbt_run_cli(args, NULL, 0);
    cr_assert_eq(r.status, 2, "--then with --pairs must be a usage error");
    cbt_cli_result_free(&r);
    unlink(subset);
    free(subset);
    free(ce);
}

/* crossbyte search: cosine order from the API's vectors; with --rerank the
 * cross-encoder's cb_rank scores over the first --depth. */
Test(embed, cli_search_ranks_by_cosine_then_reranks, .timeout = TIMEOUT)
{
    need_models();
    const char *docs[4] = { "Berlin has a population of 3,520,031 registered inhabitants.",
                            "Berlin is well known for its museums.", "The Eiffel Tower is in Paris.",
                            "In 2020 the city counted about 3.7 million residents." };
    char *corpus = cbt_temp_path("corpus.jsonl"), buf[1024], args[4096];
    size_t off = 0;
    for (int i = 0; i < 4; i++) off += (size_t)snprintf(buf + off, sizeof buf - off, "\"%s\"\n", docs[i]);
    cbt_write(corpus, buf, off);
    const char *q = "How many people live in Berlin?";
    cb_model *m = cbt_load(MINILM, 1);
    float qv[DIM], dv[4 * DIM];
    cb_error err;
    cr_assert_eq(cb_embed(m, &q, NULL, 1, NULL, qv, &err), CB_OK, "%s", err.message);
    cr_assert_eq(cb_embed(m, docs, NULL, 4, NULL, dv, &err), CB_OK, "%s", err.message);
    double cos[4];
    int want[4] = { 0, 1, 2, 3 };
    for (int i = 0; i < 4; i++) {
        double d = 0, a = 0, b = 0;
        for (int k = 0; k < DIM; k++) d += (double)qv[k] * dv[i * DIM + k], a += (double)qv[k] * qv[k],
                                      b += (double)dv[i * DIM + k] * dv[i * DIM + k];
        cos[i] = d / sqrt(a * b);
    }
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            if (cos[want[j]] > cos[want[i]]) { int t = want[i]; want[i] = want[j]; want[j] = t; }
    snprintf(args, sizeof args, "search %s --corpus %s --top-k 3", MINILM, corpus);
    cbt_cli_result r = cbt_run_cli(args, "\"How many people live in Berlin?\"\n", 34);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cJSON *o = cJSON_Parse(r.out);
    cr_assert(o, "%s", r.out);
    const cJSON *res = cJSON_GetObjectItem(o, "results");
    cr_assert_eq(cJSON_GetArraySize(res), 3);
    for (int i = 0; i < 3; i++) {
        const cJSON *h = cJSON_GetArrayItem(res, i);
        cr_assert_eq(cJSON_GetObjectItem(h, "corpus_id")->valueint, want[i], "rank %d", i);
        cr_assert_float_eq(cJSON_GetObjectItem(h, "score")->valuedouble, cos[want[i]], 1e-6);
        cr_assert_str_eq(cJSON_GetObjectItem(h, "text")->valuestring, docs[want[i]]);
    }
    cJSON_Delete(o);
    cbt_cli_result_free(&r);

    /* Rerank the first 2 by cosine with a cross-encoder. */
    char *ce_path = cbt_converted("bert-tiny", CB_DTYPE_F32);
    snprintf(args, sizeof args, "search %s --corpus %s --rerank %s --depth 2 --top-k 2 --query '%s'", MINILM, corpus,
             ce_path, q);
    r = cbt_run_cli(args, NULL, 0);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cb_model *ce = cbt_load(ce_path, 1);
    const char *top2[2] = { docs[want[0]], docs[want[1]] };
    cb_ranked ranked[2];
    cr_assert_eq(cb_rank(ce, q, CB_NUL_TERMINATED, top2, NULL, 2, NULL, ranked, &err), CB_OK, "%s", err.message);
    o = cJSON_Parse(r.out);
    cr_assert(o, "%s", r.out);
    res = cJSON_GetObjectItem(o, "results");
    for (int i = 0; i < 2; i++) {
        const cJSON *h = cJSON_GetArrayItem(res, i);
        cr_assert_eq(cJSON_GetObjectItem(h, "corpus_id")->valueint, want[ranked[i].corpus_id], "reranked %d", i);
        cr_assert_eq((float)cJSON_GetObjectItem(h, "score")->valuedouble, ranked[i].score);
    }
    cJSON_Delete(o);
    cbt_cli_result_free(&r);
    snprintf(args, sizeof args, "search %s --corpus %s --query x", ce_path, corpus);
    r = cbt_run_cli(args, NULL, 0);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "bi-encoder"), "%s", r.err);
    cbt_cli_result_free(&r);
    cb_model_free(ce);
    cb_model_free(m);
    unlink(corpus);
    free(corpus);
    free(ce_path);
}
