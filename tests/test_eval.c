/* test_eval.c: the measures of `crossbyte eval` (tools/eval/metrics.c) on
 * small cases worked by hand, and the CLI reproducing the published BM25
 * figures of TREC DL 2019 and 2020 (which checks the metric code against
 * trec_eval on real runs), plus its errors on bad files. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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
    char *errpath = cbt_temp_path("eval-stderr");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s eval %s --json 2>%s", CB_CLI_PATH, args, errpath);
    FILE *p = popen(cmd, "r");
    cr_assert(p, "cannot run %s", cmd);
    static char out[1 << 16];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    size_t en = 0;
    char *e = cbt_read(errpath, &en);
    snprintf(err, err_cap, "%.*s", (int)en, e ? e : "");
    free(e);
    remove(errpath);
    free(errpath);
    return *status == 0 ? cJSON_Parse(out) : NULL;
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
