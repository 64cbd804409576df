/* test_eval.c: the measures of `crossbyte eval` (tools/eval/metrics.c) on
 * small cases worked by hand, and the CLI reproducing the published BM25
 * figures of TREC DL 2019 and 2020 (which checks the metric code against
 * trec_eval on real runs), plus its errors on bad files. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "support.h"

#define NEAR(a, b, tol) cr_expect(fabs((a) - (b)) <= (tol), "%s = %.10f, expected %.10f", #a, (double)(a), (double)(b))

Test(metrics, ndcg_uses_linear_gains_and_the_ideal_from_all_judged)
{
    /* Ranked grades 3, 0, 2, 1; the qrels also judge an unretrieved 2.
     * DCG = 3 + 0 + 2/log2(4) + 1/log2(5); ideal 3, 2, 2, 1. */
    eval_doc d[] = { { "a", 4, 3 }, { "b", 3, 0 }, { "c", 2, 2 }, { "d", 1, 1 } };
    int judged[] = { 3, 0, 2, 1, 2 };
    NEAR(eval_ndcg_at(d, 4, judged, 5, 10), 0.7783308717438988, 1e-12);
    /* Cut at 1: 3 / 3. */
    NEAR(eval_ndcg_at(d, 4, judged, 5, 1), 1.0, 1e-12);
    int none[] = { 0, 0 };
    NEAR(eval_ndcg_at(d, 4, none, 2, 10), 0.0, 0);
}

Test(metrics, ties_are_broken_by_docno_descending_as_trec_eval)
{
    eval_doc d[] = { { "a", 1, 1 }, { "b", 1, 0 }, { "c", 2, 0 } };
    eval_sort_ranking(d, 3);
    cr_expect_str_eq(d[0].id, "c");
    cr_expect_str_eq(d[1].id, "b");
    cr_expect_str_eq(d[2].id, "a");
}

Test(metrics, reciprocal_rank_and_recall_at_a_relevance_level)
{
    eval_doc d[] = { { "a", 3, 1 }, { "b", 2, 0 }, { "c", 1, 2 } };
    NEAR(eval_rr_at(d, 3, 1, 10), 1.0, 0);
    NEAR(eval_rr_at(d, 3, 2, 10), 1.0 / 3, 1e-15);
    NEAR(eval_rr_at(d, 3, 2, 2), 0.0, 0);
    NEAR(eval_recall_at(d, 3, 1, 3, 2), 1.0 / 3, 1e-15);
    NEAR(eval_recall_at(d, 3, 1, 3, 3), 2.0 / 3, 1e-15);
    NEAR(eval_recall_at(d, 3, 1, 0, 3), 0.0, 0);
}

Test(metrics, correlations)
{
    double x[] = { 1, 2, 3, 4 }, y[] = { 2, 4, 5, 9 };
    NEAR(eval_pearson(x, y, 4), 0.9647638212377322, 1e-12);
    /* Ties share their average rank: x ranks 1, 2.5, 2.5, 4. */
    double xt[] = { 1, 2, 2, 3 }, yt[] = { 1, 3, 2, 4 };
    int oom = 0;
    NEAR(eval_spearman(xt, yt, 4, &oom), 0.9486832980505138, 1e-12);
    cr_expect_eq(oom, 0);
    double c[] = { 5, 5, 5 };
    cr_expect(isnan(eval_pearson(c, x, 3)), "a constant side has no correlation");
}

Test(metrics, kendall_tau_b)
{
    double x[] = { 1, 2, 3 }, y[] = { 1, 3, 2 };
    NEAR(eval_kendall_tau_b(x, y, 3), 1.0 / 3, 1e-15);      /* 2 concordant, 1 discordant */
    double xt[] = { 1, 1, 2 }, yt[] = { 1, 2, 3 };
    NEAR(eval_kendall_tau_b(xt, yt, 3), 2 / sqrt(6.0), 1e-15); /* one pair tied in x */
}

Test(metrics, average_precision_and_best_accuracy)
{
    int oom = 0;
    double s[] = { 0.9, 0.8, 0.7, 0.6 };
    int l[] = { 1, 0, 1, 0 };
    NEAR(eval_average_precision(s, l, 4, &oom), 0.5 * 1 + 0.5 * 2.0 / 3, 1e-15);
    /* Tied scores form one threshold: (0.5 - 0) * 1/2 + (1 - 0.5) * 2/3. */
    double st[] = { 0.9, 0.9, 0.5 };
    int lt[] = { 1, 0, 1 };
    NEAR(eval_average_precision(st, lt, 3, &oom), 0.25 + 1.0 / 3, 1e-15);
    double sa[] = { 0.9, 0.8, 0.3, 0.1 }, t = 0;
    int la[] = { 1, 1, 0, 0 };
    NEAR(eval_best_accuracy(sa, la, 4, &t, &oom), 1.0, 0);
    NEAR(t, 0.55, 1e-15);
    cr_expect_eq(oom, 0);
}

/* ---- the CLI on TREC DL ------------------------------------------------------ */

/* Runs `crossbyte eval ARGS --json`; returns its stdout parsed (NULL on a
 * non-zero exit, *status set) and its stderr in err. */
static cJSON *eval_json(const char *args, int *status, char *err, size_t err_cap)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "eval %s --json", args);
    cbt_cli_result r = cbt_run_cli(cmd, NULL, 0);
    *status = r.status;
    snprintf(err, err_cap, "%s", r.err ? r.err : "");
    cJSON *o = r.status == 0 && r.out ? cJSON_Parse(r.out) : NULL;
    cbt_cli_result_free(&r);
    return o;
}

static double engine_measure(const cJSON *o, int engine, const char *name)
{
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "engines"), engine);
    const cJSON *v = cJSON_GetObjectItem(e, name);
    cr_assert(cJSON_IsNumber(v), "no %s in the output", name);
    return v->valuedouble;
}

#define DL CB_REAL_DIR "/trec-dl/"

Test(eval_cli, bm25_runs_give_the_published_ndcg)
{
    int st;
    char err[1024];
    /* Pyserini's BM25 figures (trec_eval ndcg_cut.10): DL19 0.5058, DL20 0.4796. */
    cJSON *o = eval_json("--candidates " DL "bm25_run_dl19.txt --qrels " DL "qrels.dl19-passage.txt", &st, err,
                         sizeof err);
    cr_assert(o, "exit %d: %s", st, err);
    NEAR(engine_measure(o, 0, "ndcg@10"), 0.5058, 5e-5);
    cr_expect_eq(cJSON_GetObjectItem(o, "queries")->valueint, 43);
    cJSON_Delete(o);
    o = eval_json("--candidates " DL "bm25_run_dl20.txt --qrels " DL "qrels.dl20-passage.txt", &st, err, sizeof err);
    cr_assert(o, "exit %d: %s", st, err);
    NEAR(engine_measure(o, 0, "ndcg@10"), 0.4796, 5e-5);
    cr_expect_eq(cJSON_GetObjectItem(o, "queries")->valueint, 54);
    cJSON_Delete(o);
    /* The same BM25 scores from the flattened TSV, by column name. */
    o = eval_json("--candidates " DL "dl19_bm25top100_pairs.tsv --score-column bm25_score --qrels " DL
                  "qrels.dl19-passage.txt", &st, err, sizeof err);
    cr_assert(o, "exit %d: %s", st, err);
    NEAR(engine_measure(o, 0, "ndcg@10"), 0.5058, 5e-5);
    cJSON_Delete(o);
    /* The sentence-transformers reference scores of the real reranker: the
     * 0.5192 its REFERENCE.txt states. */
    o = eval_json("--candidates " CB_REAL_DIR "/reference-dl19.jsonl --qrels " DL "qrels.dl19-passage.txt", &st, err,
                  sizeof err);
    cr_assert(o, "exit %d: %s", st, err);
    NEAR(engine_measure(o, 0, "ndcg@10"), 0.5192, 5e-5);
    cJSON_Delete(o);
}

Test(eval_cli, bad_files_are_named_with_the_problem)
{
    int st;
    char err[1024];
    char *bad = cbt_temp_path("eval-bad.tsv");
    static const char nonnum[] = "qid\tpid\tquery\tpassage\tscore\n1\t2\tq\tp\tabc\n";
    cbt_write(bad, nonnum, sizeof nonnum - 1);
    char args[1024];
    snprintf(args, sizeof args, "--candidates %s --qrels " DL "qrels.dl19-passage.txt", bad);
    cr_expect_null(eval_json(args, &st, err, sizeof err));
    cr_expect_eq(st, 1);
    cr_expect(strstr(err, "line 2") && strstr(err, "'abc' is not a number"), "stderr: %s", err);

    static const char nocol[] = "qid\tpid\tquery\n1\t2\tq\n";
    cbt_write(bad, nocol, sizeof nocol - 1);
    cr_expect_null(eval_json(args, &st, err, sizeof err));
    cr_expect(strstr(err, "no \"passage\" column") != NULL, "stderr: %s", err);

    /* DL20's qrels judge none of DL19's queries. */
    cr_expect_null(eval_json("--candidates " DL "bm25_run_dl19.txt --qrels " DL "qrels.dl20-passage.txt", &st, err,
                             sizeof err));
    cr_expect_eq(st, 1);
    cr_expect(strstr(err, "names no query of the candidates") != NULL, "stderr: %s", err);

    /* A TREC run has no texts to score. */
    cr_expect_null(eval_json(CB_FIXTURES_DIR "/bert-tiny --candidates " DL "bm25_run_dl19.txt --qrels " DL
                             "qrels.dl19-passage.txt", &st, err, sizeof err));
    cr_expect(strstr(err, "has no texts") != NULL, "stderr: %s", err);

    cr_expect_null(eval_json("--candidates " DL "bm25_run_dl19.txt", &st, err, sizeof err));
    cr_expect_eq(st, 2, "a missing --qrels is a usage error");
    remove(bad);
    free(bad);
}

/* ---- pairs -------------------------------------------------------------------- */

/* The first engine's scores in --scores-out: `labels` per line (a number,
 * or an array for several labels), into out[lines * labels]. */
static size_t read_scores(const char *path, double *out, size_t cap, int labels)
{
    FILE *fp = fopen(path, "r");
    cr_assert(fp, "no %s", path);
    char line[4096];
    size_t n = 0;
    while (n < cap && fgets(line, sizeof line, fp)) {
        cJSON *o = cJSON_Parse(line);
        cr_assert(o, "bad scores line: %s", line);
        const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "scores"), 0);
        for (int l = 0; l < labels; l++)
            out[n * (size_t)labels + (size_t)l] = cJSON_IsArray(s) ? cJSON_GetArrayItem(s, l)->valuedouble : s->valuedouble;
        n++;
        cJSON_Delete(o);
    }
    fclose(fp);
    return n;
}

Test(eval_cli, pairs_with_gold_scores_give_spearman_of_the_model_scores)
{
    /* Six STS-b test pairs (tab-separated, gold in column 5) through a
     * fixture model; the test ranks the model's scores itself (no ties among
     * six distinct floats) and checks eval's Spearman against 1 - 6 sum d^2 /
     * (n (n^2 - 1)), the tie-free formula. */
    char *tsv = cbt_temp_path("sts.tsv"), *sc = cbt_temp_path("sts-scores.jsonl");
    static const char data[] =
        "g\tx\ty\t1\t2.500\tA girl is styling her hair.\tA girl is brushing her hair.\n"
        "g\tx\ty\t2\t3.600\tA group of men play soccer on the beach.\tA group of boys are playing soccer on the beach.\n"
        "g\tx\ty\t3\t5.000\tOne woman is measuring another woman's ankle.\tA woman measures another woman's ankle.\n"
        "g\tx\ty\t4\t1.000\tA man is cutting up a cucumber.\tA man is slicing a tomato.\n"
        "g\tx\ty\t5\t0.200\tA man is playing the cello.\tA dog is running in the grass.\n"
        "g\tx\ty\t6\t4.200\tSome men are fighting.\tTwo men are fighting.\n";
    cbt_write(tsv, data, sizeof data - 1);
    const double gold[6] = { 2.5, 3.6, 5.0, 1.0, 0.2, 4.2 };
    char args[4096];
    snprintf(args, sizeof args, "%s/bert-tiny --pairs %s --columns 6,7,5 --scores-out %s", CB_FIXTURES_DIR, tsv, sc);
    int st;
    char err[1024];
    cJSON *o = eval_json(args, &st, err, sizeof err);
    cr_assert(o, "exit %d: %s", st, err);
    double s[6];
    cr_assert_eq(read_scores(sc, s, 6, 1), 6);
    double d2 = 0;
    for (int i = 0; i < 6; i++) {
        int rs = 1, rg = 1;
        for (int j = 0; j < 6; j++) rs += s[j] < s[i], rg += gold[j] < gold[i];
        d2 += (double)(rs - rg) * (rs - rg);
    }
    NEAR(engine_measure(o, 0, "spearman"), 1 - 6 * d2 / (6 * 35), 1e-6); /* printed to 6 decimals */
    cJSON_Delete(o);
    remove(tsv), remove(sc);
    free(tsv), free(sc);
}

Test(eval_cli, nli_labels_give_argmax_accuracy)
{
    /* Labels by name; the test takes the argmax of the model's own logits
     * (--scores-out) and counts agreement itself. */
    char *jl = cbt_temp_path("nli.jsonl"), *sc = cbt_temp_path("nli-scores.jsonl");
    static const char *gold[] = { "entailment", "contradiction", "neutral", "entailment" };
    static const char data[] =
        "{\"a\": \"A man is playing a guitar.\", \"b\": \"A person plays music.\", \"label\": \"entailment\"}\n"
        "{\"a\": \"A dog runs.\", \"b\": \"The dog is sleeping.\", \"label\": \"contradiction\"}\n"
        "{\"a\": \"A woman reads.\", \"b\": \"A woman reads a novel.\", \"label\": \"neutral\"}\n"
        "{\"a\": \"Kids play football.\", \"b\": \"Children are playing.\", \"label\": \"entailment\"}\n";
    cbt_write(jl, data, sizeof data - 1);
    char args[4096];
    snprintf(args, sizeof args, "%s/bert-nli-3label --pairs %s --classify --scores-out %s", CB_FIXTURES_DIR, jl, sc);
    int st;
    char err[1024];
    cJSON *o = eval_json(args, &st, err, sizeof err);
    cr_assert(o, "exit %d: %s", st, err);
    double logits[4 * 3];
    cr_assert_eq(read_scores(sc, logits, 4, 3), 4);
    static const char *names[] = { "contradiction", "entailment", "neutral" };   /* config.json id2label */
    int right = 0;
    for (int i = 0; i < 4; i++) {
        const double *v = logits + 3 * i;
        int best = 0;
        for (int l = 1; l < 3; l++)
            if (v[l] > v[best]) best = l;
        right += !strcmp(names[best], gold[i]);
    }
    NEAR(engine_measure(o, 0, "accuracy"), right / 4.0, 1e-12);
    cJSON_Delete(o);
    /* A label the model does not have is named. */
    static const char bad[] = "{\"a\": \"x\", \"b\": \"y\", \"label\": \"maybe\"}\n";
    cbt_write(jl, bad, sizeof bad - 1);
    cr_expect_null(eval_json(args, &st, err, sizeof err));
    cr_expect(strstr(err, "'maybe' is none of the model's labels") != NULL, "stderr: %s", err);
    remove(jl), remove(sc);
    free(jl), free(sc);
}
