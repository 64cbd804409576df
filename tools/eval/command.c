/* command.c: `crossbyte eval`: scores candidates or pairs with one or two
 * models (or takes the file's own scores), then reports the task's measures
 * (metrics.c) as a table or JSON. Uses the public header only. */
#include "command.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli_args.h"
#include "crossbyte.h"
#include "data.h"
#include "json_out.h"
#include "metrics.h"

const char eval_usage[] =
    "usage: crossbyte eval [MODEL] --candidates FILE --qrels FILE [options]   (reranking)\n"
    "       crossbyte eval MODEL --pairs FILE [--columns A,B,GOLD] [--classify] [options]\n"
    "  MODEL            a .cbm file or a Hugging Face folder; omitted: the candidates' own scores. A\n"
    "                   bi-encoder scores each pair by the cosine of the two texts' embeddings\n"
    "  --candidates F   TSV with a header (qid, pid, query, passage), TSV qid/pid/query/passage[/score],\n"
    "                   JSON Lines {\"qid\",\"pid\",\"query\",\"passage\"[,\"score\"]}, or a TREC run (scores only)\n"
    "  --qrels F        TREC qrels (qid iter docno grade)\n"
    "  --score-column N the header column holding the file's own scores (default \"score\")\n"
    "  --rel-level N    grade counted relevant by MRR@10 and Recall (default 1; TREC DL passages: 2)\n"
    "  --recall-k K     Recall@K (default 100)\n"
    "  --pairs F        JSON Lines {\"a\",\"b\",\"score\" or \"label\"} or TSV; gold scores give Spearman and\n"
    "                   Pearson; --classify: labels give accuracy (and average precision for one label)\n"
    "  --columns A,B,G  1-based TSV columns of text a, text b and the gold value (default 1,2,3)\n"
    "  --skip-header    the TSV's first line is a header\n"
    "  --compare MODEL2 score with a second model too: its measures, the deltas, score differences and\n"
    "                   the mean per-query Kendall tau between the two rankings\n"
    "  --then MODEL2    a two-stage pipeline: MODEL ranks each query's candidates, MODEL2 (say a\n"
    "                   cross-encoder after a bi-encoder) reranks MODEL's top --depth K (default 20);\n"
    "                   reports MODEL alone and the pipeline\n"
    "  --per-query      per-query values as well\n"
    "  --scores-out F   write each input item's score(s) to F as JSON Lines, in input order\n"
    "  --json           one JSON object on stdout instead of a table\n"
    "  --max-length N, --threads N, --batch-size N   as for predict\n"
    "A progress bar goes to stderr when it is a terminal.\n";

typedef struct eval_args {
    const char *model, *compare, *then, *candidates, *qrels, *pairs, *score_column, *scores_out;
    int columns[3], has_columns, skip_header, classify, depth;
    int rel_level, recall_k, per_query, json, max_length, batch_size, threads;
} eval_args;

/* One column of scores: a model's, or the input file's own (model NULL). */
typedef struct engine {
    const char *name;
    cb_model *model;
    int labels;
    double *scores;   /* n_items * labels */
} engine;

#define NDCG_CUT 10
#define RR_CUT 10

static int parse(int argc, char **argv, eval_args *a)
{
    memset(a, 0, sizeof *a);
    a->rel_level = 1, a->recall_k = 100, a->depth = 20;
    for (int i = 2; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **str = !strcmp(f, "--candidates") ? &a->candidates
                           : !strcmp(f, "--qrels")    ? &a->qrels
                           : !strcmp(f, "--pairs")    ? &a->pairs
                           : !strcmp(f, "--compare")  ? &a->compare
                           : !strcmp(f, "--then")     ? &a->then
                           : !strcmp(f, "--score-column") ? &a->score_column
                           : !strcmp(f, "--scores-out")   ? &a->scores_out
                                                          : NULL;
        int *num = !strcmp(f, "--rel-level")    ? &a->rel_level
                   : !strcmp(f, "--recall-k")   ? &a->recall_k
                   : !strcmp(f, "--max-length") ? &a->max_length
                   : !strcmp(f, "--threads")    ? &a->threads
                   : !strcmp(f, "--batch-size") ? &a->batch_size
                   : !strcmp(f, "--depth")      ? &a->depth
                                                : NULL;
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            fputs(eval_usage, stdout);
            return -1;
        } else if (str) {
            if (!v) {
                fprintf(stderr, "crossbyte eval: %s needs a value\n", f);
                return 2;
            }
            *str = v, i++;
        } else if (num) {
            int hi = num == &a->rel_level ? 100 : num == &a->threads ? 256 : 1 << 30;
            if (!cli_parse_int(f, v, 1, hi, num)) return 2;
            i++;
        } else if (!strcmp(f, "--columns")) {
            int *c = a->columns;
            if (!v || sscanf(v, "%d,%d,%d", &c[0], &c[1], &c[2]) != 3 || c[0] < 1 || c[1] < 1 || c[2] < 1 ||
                c[0] > 64 || c[1] > 64 || c[2] > 64) {
                fprintf(stderr, "crossbyte eval: --columns needs three 1-based column numbers A,B,GOLD\n");
                return 2;
            }
            a->has_columns = 1, i++;
        } else if (!strcmp(f, "--skip-header")) {
            a->skip_header = 1;
        } else if (!strcmp(f, "--classify")) {
            a->classify = 1;
        } else if (!strcmp(f, "--per-query")) {
            a->per_query = 1;
        } else if (!strcmp(f, "--json")) {
            a->json = 1;
        } else if (f[0] == '-' && f[1]) {
            fprintf(stderr, "crossbyte eval: unknown option %s\n%s", f, eval_usage);
            return 2;
        } else if (!a->model) {
            a->model = f;
        } else {
            fprintf(stderr, "crossbyte eval: unexpected argument '%s'\n%s", f, eval_usage);
            return 2;
        }
    }
    if (!!a->pairs == !!a->candidates || (a->candidates && !a->qrels)) {
        fprintf(stderr, "crossbyte eval: give --candidates F --qrels F, or --pairs F\n%s", eval_usage);
        return 2;
    }
    if (a->then && (a->compare || !a->candidates || !a->model)) {
        fprintf(stderr, "crossbyte eval: --then needs MODEL and --candidates, and excludes --compare\n%s", eval_usage);
        return 2;
    }
    if (a->pairs && !a->model) {
        fprintf(stderr, "crossbyte eval: --pairs needs a MODEL\n%s", eval_usage);
        return 2;
    }
    return 0;
}

static const char *base_name(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    const char *s = path + n;
    while (s > path && s[-1] != '/') s--;
    return s;
}

/* ---- scoring ---------------------------------------------------------------- */

static void progress(const char *name, size_t done, size_t total)
{
    const int width = 30;
    int filled = total ? (int)((double)done / (double)total * width) : width;
    fprintf(stderr, "\r%-24.24s [%.*s%*s] %zu/%zu pairs", name, filled, "##############################",
            width - filled, "", done, total);
    if (done == total) fputc('\n', stderr);
    fflush(stderr);
}

#define SCORE_CHUNK 64   /* pairs per cb_predict call: the progress bar's step */

static double cosine(const float *x, const float *y, size_t n)
{
    double xy = 0, xx = 0, yy = 0;
    for (size_t k = 0; k < n; k++) {
        xy += (double)x[k] * y[k];
        xx += (double)x[k] * x[k];
        yy += (double)y[k] * y[k];
    }
    return xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : 0.0;
}

/* A bi-encoder scores a pair by the cosine of its two texts' embeddings, as
 * sentence-transformers' util.cos_sim does. */
static int score_with_bi_encoder(const eval_args *a, engine *e, const eval_items *it, size_t dim)
{
    e->labels = 1;
    e->scores = malloc(it->n * sizeof *e->scores);
    const char **texts = malloc(2 * SCORE_CHUNK * sizeof *texts);
    size_t *lens = malloc(2 * SCORE_CHUNK * sizeof *lens);
    float *vecs = malloc(2 * SCORE_CHUNK * dim * sizeof *vecs);
    int ok = e->scores && texts && lens && vecs, bar = isatty(STDERR_FILENO);
    if (!ok) fprintf(stderr, "crossbyte eval: out of memory\n");
    const cb_embed_options eo = { a->max_length, a->batch_size, 0 };
    cb_error err;
    for (size_t i0 = 0; ok && i0 < it->n; i0 += SCORE_CHUNK) {
        const size_t n = it->n - i0 < SCORE_CHUNK ? it->n - i0 : SCORE_CHUNK;
        for (size_t i = 0; i < n; i++) {
            const eval_item *x = &it->v[i0 + i];
            texts[i] = x->a;
            lens[i] = x->a_len;
            texts[n + i] = x->b;
            lens[n + i] = x->b_len;
        }
        if (cb_embed(e->model, texts, lens, 2 * n, &eo, vecs, &err) != CB_OK) {
            fprintf(stderr, "%scrossbyte eval: %s on input items %zu-%zu: %s\n", bar ? "\n" : "", e->name, i0 + 1,
                    i0 + n, err.message);
            ok = 0;
            break;
        }
        for (size_t i = 0; i < n; i++) e->scores[i0 + i] = cosine(vecs + i * dim, vecs + (n + i) * dim, dim);
        if (bar) progress(e->name, i0 + n, it->n);
    }
    free(texts);
    free(lens);
    free(vecs);
    return ok;
}

static int score_with_model(const eval_args *a, engine *e, const eval_items *it)
{
    cb_load_options lo = { .n_threads = a->threads };
    cb_error err;
    const char *path = e->name;
    if (cb_model_load(path, &lo, &e->model, &err) != CB_OK) {
        fprintf(stderr, "crossbyte eval: cannot load model %s: %s\n", path, err.message);
        return 0;
    }
    e->name = base_name(path);
    const size_t dim = (size_t)cb_model_embedding_size(e->model);
    if (dim) return score_with_bi_encoder(a, e, it, dim);
    e->labels = cb_model_num_labels(e->model);
    e->scores = malloc(it->n * (size_t)e->labels * sizeof *e->scores);
    float *chunk = malloc(SCORE_CHUNK * (size_t)e->labels * sizeof *chunk);
    cb_pair *pairs = malloc(SCORE_CHUNK * sizeof *pairs);
    int ok = e->scores && chunk && pairs, bar = isatty(STDERR_FILENO);
    if (!ok) fprintf(stderr, "crossbyte eval: out of memory\n");
    cb_predict_options po = cb_predict_default_options(NULL);
    po.max_length = a->max_length;
    po.batch_size = a->batch_size;
    for (size_t i0 = 0; ok && i0 < it->n; i0 += SCORE_CHUNK) {
        size_t n = it->n - i0 < SCORE_CHUNK ? it->n - i0 : SCORE_CHUNK;
        for (size_t i = 0; i < n; i++) {
            const eval_item *x = &it->v[i0 + i];
            pairs[i] = (cb_pair){ x->a, x->a_len, x->b, x->b_len };
        }
        if (cb_predict(e->model, pairs, n, &po, chunk, &err) != CB_OK) {
            fprintf(stderr, "%scrossbyte eval: %s on input items %zu-%zu: %s\n", bar ? "\n" : "", e->name, i0 + 1,
                    i0 + n, err.message);
            ok = 0;
            break;
        }
        for (size_t i = 0; i < n * (size_t)e->labels; i++) e->scores[i0 * (size_t)e->labels + i] = chunk[i];
        if (bar) progress(e->name, i0 + n, it->n);
    }
    free(chunk);
    free(pairs);
    return ok;
}

static int score_engine(const eval_args *a, engine *e, const eval_items *it)
{
    if (e->name) return score_with_model(a, e, it);   /* name = the model path */
    e->name = "input scores";
    e->labels = 1;
    e->scores = malloc(it->n * sizeof *e->scores);
    if (!e->scores) return fprintf(stderr, "crossbyte eval: out of memory\n"), 0;
    for (size_t i = 0; i < it->n; i++) {
        if (!it->v[i].has_score) {
            fprintf(stderr, "crossbyte eval: %s: candidate %zu has no score; give a MODEL to score the texts\n",
                    a->candidates, i + 1);
            return 0;
        }
        e->scores[i] = it->v[i].score;
    }
    return 1;
}

/* ---- reranking ---------------------------------------------------------------- */

typedef struct query_result {
    const char *qid;
    double ndcg, rr, recall;
} query_result;

static int by_qid_then_index(const void *pa, const void *pb, const eval_items *it)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    int c = strcmp(it->v[a].qid, it->v[b].qid);
    return c ? c : (a > b) - (a < b);
}

/* qsort has no context argument in C11: a merge sort of indices that has. */
static void sort_indices(size_t *v, size_t *tmp, size_t n, const eval_items *it)
{
    if (n < 2) return;
    size_t h = n / 2;
    sort_indices(v, tmp, h, it);
    sort_indices(v + h, tmp, n - h, it);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = by_qid_then_index(&v[i], &v[j], it) <= 0 ? v[i++] : v[j++];
    while (i < h) tmp[k++] = v[i++];
    while (j < n) tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

/* --then: engine 1's scores count for engine 0's top `depth` of each query;
 * the rest follow below them in engine 0's order. docs: scratch of n. */
static void pipeline_scores(const eval_items *it, const size_t *order, engine *first, engine *second, int depth,
                            eval_doc *docs)
{
    const size_t n = it->n;
    for (size_t g0 = 0; g0 < n;) {
        size_t g1 = g0;
        while (g1 < n && !strcmp(it->v[order[g1]].qid, it->v[order[g0]].qid)) g1++;
        /* rel carries each candidate's place in the group through the sort. */
        for (size_t i = g0; i < g1; i++)
            docs[i - g0] = (eval_doc){ it->v[order[i]].pid, first->scores[order[i]], (int)(i - g0) };
        eval_sort_ranking(docs, g1 - g0);
        const size_t k = (size_t)depth < g1 - g0 ? (size_t)depth : g1 - g0;
        double floor = INFINITY;
        for (size_t r = 0; r < k; r++) {
            const double v = second->scores[order[g0 + (size_t)docs[r].rel]];
            floor = v < floor ? v : floor;
        }
        for (size_t r = k; r < g1 - g0; r++)
            second->scores[order[g0 + (size_t)docs[r].rel]] = floor - 1.0 - (double)(r - k) / (double)(g1 - g0);
        g0 = g1;
    }
}

typedef struct rerank_totals {
    double ndcg, rr, recall;
} rerank_totals;

static int run_rerank(const eval_args *a, const eval_items *it, const qrels *q, engine *eng, int n_eng)
{
    size_t n = it->n, *order = malloc(n * sizeof *order), *tmp = malloc(n * sizeof *tmp);
    eval_doc *docs = malloc(n * sizeof *docs);
    int *grades = malloc(q->n * sizeof *grades), *rels = malloc(n * sizeof *rels);
    double *x = malloc(2 * n * sizeof *x);
    query_result *per = calloc(n * (size_t)n_eng, sizeof *per);
    if (!order || !tmp || !docs || !grades || !rels || !x || !per) {
        free(order), free(tmp), free(docs), free(grades), free(rels), free(x), free(per);
        fprintf(stderr, "crossbyte eval: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++) order[i] = i;
    sort_indices(order, tmp, n, it);
    if (a->then) pipeline_scores(it, order, &eng[0], &eng[1], a->depth, docs);
    rerank_totals tot[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
    size_t n_queries = 0, n_unjudged = 0;
    double tau_sum = 0, max_diff = 0, sum_diff = 0;
    size_t n_tau = 0;
    for (size_t g0 = 0; g0 < n;) {
        size_t g1 = g0;
        const char *qid = it->v[order[g0]].qid;
        while (g1 < n && !strcmp(it->v[order[g1]].qid, qid)) g1++;
        const qrel *first;
        size_t nj = eval_qrels_of(q, qid, &first), n_rel = 0;
        if (nj == 0) {
            n_unjudged++;
            g0 = g1;
            continue;
        }
        for (size_t j = 0; j < nj; j++) grades[j] = first[j].rel, n_rel += first[j].rel >= a->rel_level;
        for (size_t i = g0; i < g1; i++) rels[i - g0] = eval_qrel_grade(q, qid, it->v[order[i]].pid, NULL);
        for (int e = 0; e < n_eng; e++) {
            for (size_t i = g0; i < g1; i++)
                docs[i - g0] = (eval_doc){ it->v[order[i]].pid, eng[e].scores[order[i]], rels[i - g0] };
            eval_sort_ranking(docs, g1 - g0);
            query_result *r = &per[n_queries * (size_t)n_eng + (size_t)e];
            r->qid = qid;
            r->ndcg = eval_ndcg_at(docs, g1 - g0, grades, nj, NDCG_CUT);
            r->rr = eval_rr_at(docs, g1 - g0, a->rel_level, RR_CUT);
            r->recall = eval_recall_at(docs, g1 - g0, a->rel_level, n_rel, (size_t)a->recall_k);
            tot[e].ndcg += r->ndcg, tot[e].rr += r->rr, tot[e].recall += r->recall;
        }
        if (n_eng == 2 && !a->then) {
            for (size_t i = g0; i < g1; i++) {
                x[i - g0] = eng[0].scores[order[i]], x[n + i - g0] = eng[1].scores[order[i]];
                double d = fabs(x[i - g0] - x[n + i - g0]);
                max_diff = d > max_diff ? d : max_diff, sum_diff += d;
            }
            double t = eval_kendall_tau_b(x, x + n, g1 - g0);
            if (!isnan(t)) tau_sum += t, n_tau++;
        }
        n_queries++;
        g0 = g1;
    }
    int rc = 0;
    if (n_queries == 0) {
        fprintf(stderr, "crossbyte eval: the qrels file %s names no query of the candidates in %s\n", a->qrels,
                a->candidates);
        rc = 1;
    } else {
        double nq = (double)n_queries;
        if (a->json) {
            printf("{\"task\":\"rerank\",\"queries\":%zu,\"queries_without_judgments\":%zu,\"candidates\":%zu,"
                   "\"rel_level\":%d,\"engines\":[", n_queries, n_unjudged, n, a->rel_level);
            for (int e = 0; e < n_eng; e++) {
                printf("%s{\"name\":", e ? "," : "");
                json_out_string(stdout, eng[e].name);
                printf(",\"ndcg@10\":%.6f,\"mrr@10\":%.6f,\"recall@%d\":%.6f", tot[e].ndcg / nq, tot[e].rr / nq,
                       a->recall_k, tot[e].recall / nq);
                if (a->per_query) {
                    fputs(",\"per_query\":[", stdout);
                    for (size_t i = 0; i < n_queries; i++) {
                        const query_result *r = &per[i * (size_t)n_eng + (size_t)e];
                        printf("%s{\"qid\":", i ? "," : "");
                        json_out_string(stdout, r->qid);
                        printf(",\"ndcg@10\":%.6f,\"mrr@10\":%.6f,\"recall@%d\":%.6f}", r->ndcg, r->rr, a->recall_k,
                               r->recall);
                    }
                    putchar(']');
                }
                putchar('}');
            }
            putchar(']');
            if (n_eng == 2 && !a->then)
                printf(",\"compare\":{\"delta_ndcg@10\":%.6f,\"delta_mrr@10\":%.6f,\"delta_recall@%d\":%.6f,"
                       "\"max_abs_score_diff\":%.6g,\"mean_abs_score_diff\":%.6g,\"mean_kendall_tau\":%.6f}",
                       (tot[1].ndcg - tot[0].ndcg) / nq, (tot[1].rr - tot[0].rr) / nq, a->recall_k,
                       (tot[1].recall - tot[0].recall) / nq, max_diff, sum_diff / (double)n,
                       n_tau ? tau_sum / (double)n_tau : NAN);
            puts("}");
        } else {
            printf("%zu queries, %zu candidates (%zu queries without judgments skipped); relevant: grade >= %d\n",
                   n_queries, n, n_unjudged, a->rel_level);
            char rk[32];
            snprintf(rk, sizeof rk, "Recall@%d", a->recall_k);
            printf("%-28s %8s %8s %11s\n", "", "nDCG@10", "MRR@10", rk);
            for (int e = 0; e < n_eng; e++)
                printf("%-28.28s %8.4f %8.4f %11.4f\n", eng[e].name, tot[e].ndcg / nq, tot[e].rr / nq,
                       tot[e].recall / nq);
            if (n_eng == 2) {
                printf("%-28s %+8.4f %+8.4f %+11.4f\n", "delta", (tot[1].ndcg - tot[0].ndcg) / nq,
                       (tot[1].rr - tot[0].rr) / nq, (tot[1].recall - tot[0].recall) / nq);
                if (!a->then)
                    printf("score difference: max %.6g, mean %.6g; mean per-query Kendall tau %.4f\n", max_diff,
                           sum_diff / (double)n, n_tau ? tau_sum / (double)n_tau : NAN);
            }
            if (a->per_query)
                for (size_t i = 0; i < n_queries; i++)
                    for (int e = 0; e < n_eng; e++) {
                        const query_result *r = &per[i * (size_t)n_eng + (size_t)e];
                        printf("query %-12s %-20.20s nDCG@10 %.4f MRR@10 %.4f Recall@%d %.4f\n", r->qid,
                               eng[e].name, r->ndcg, r->rr, a->recall_k, r->recall);
                    }
        }
    }
    free(order), free(tmp), free(docs), free(grades), free(rels), free(x), free(per);
    return rc;
}

/* ---- pairs ------------------------------------------------------------------- */

typedef struct pair_result {
    double m1, m2;   /* Spearman, Pearson | accuracy, average precision (NaN if none) */
} pair_result;

/* The gold label of item i as an index of the model's labels, or -1. */
static int gold_label(const engine *e, const char *gold)
{
    char *end;
    long v = strtol(gold, &end, 10);
    if (*gold && !*end) return v >= 0 && v < e->labels ? (int)v : -1;
    for (int l = 0; l < e->labels; l++)
        if (!strcasecmp(cb_model_label(e->model, l), gold)) return l;
    return -1;
}

static int pair_measures(const eval_args *a, const eval_items *it, const engine *e, pair_result *r)
{
    size_t n = it->n;
    double *gold = malloc(n * sizeof *gold), *s = malloc(n * sizeof *s);
    int *lab = malloc(n * sizeof *lab), oom = 0, ok = gold && s && lab;
    for (size_t i = 0; ok && i < n; i++) {
        const char *g = it->v[i].gold;
        s[i] = e->scores[i * (size_t)e->labels];
        if (a->classify) {
            lab[i] = e->labels == 1 ? (!strcmp(g, "1") ? 1 : !strcmp(g, "0") ? 0 : -1) : gold_label(e, g);
            if (lab[i] < 0) {
                fprintf(stderr, "crossbyte eval: %s: pair %zu: label '%s' is %s\n", a->pairs, i + 1, g,
                        e->labels == 1 ? "not 0 or 1 (a one-label model classifies duplicates)"
                                       : "none of the model's labels");
                ok = 0;
            }
        } else {
            char *end;
            gold[i] = strtod(g, &end);
            if (end == g || *end) {
                fprintf(stderr, "crossbyte eval: %s: pair %zu: gold score '%s' is not a number (labels need "
                                "--classify)\n", a->pairs, i + 1, g);
                ok = 0;
            }
        }
    }
    if (ok && !a->classify) {
        if (e->labels != 1) {
            fprintf(stderr, "crossbyte eval: gold scores need a one-label model; %s has %d labels (--classify?)\n",
                    e->name, e->labels);
            ok = 0;
        } else {
            r->m1 = eval_spearman(s, gold, n, &oom), r->m2 = eval_pearson(s, gold, n);
        }
    } else if (ok && e->labels == 1) {
        r->m1 = eval_best_accuracy(s, lab, n, NULL, &oom), r->m2 = eval_average_precision(s, lab, n, &oom);
    } else if (ok) {
        size_t right = 0;
        for (size_t i = 0; i < n; i++) {
            const double *row = e->scores + i * (size_t)e->labels;
            int best = 0;
            for (int l = 1; l < e->labels; l++) best = row[l] > row[best] ? l : best;
            right += best == lab[i];
        }
        r->m1 = (double)right / (double)n, r->m2 = NAN;
    }
    if (oom) fprintf(stderr, "crossbyte eval: out of memory\n"), ok = 0;
    free(gold), free(s), free(lab);
    return ok;
}

static int run_pairs(const eval_args *a, const eval_items *it, engine *eng, int n_eng)
{
    pair_result r[2];
    for (int e = 0; e < n_eng; e++)
        if (!pair_measures(a, it, &eng[e], &r[e])) return 1;
    const char *n1 = a->classify ? "accuracy" : "spearman", *n2 = a->classify ? "average_precision" : "pearson";
    double max_diff = 0, sum_diff = 0, tau = NAN;
    size_t cells = it->n * (size_t)eng[0].labels;
    if (n_eng == 2) {
        if (eng[1].labels != eng[0].labels) {
            fprintf(stderr, "crossbyte eval: the two models have %d and %d labels\n", eng[0].labels, eng[1].labels);
            return 1;
        }
        for (size_t i = 0; i < cells; i++) {
            double d = fabs(eng[0].scores[i] - eng[1].scores[i]);
            max_diff = d > max_diff ? d : max_diff, sum_diff += d;
        }
        if (eng[0].labels == 1) tau = eval_kendall_tau_b(eng[0].scores, eng[1].scores, it->n);
    }
    if (a->json) {
        printf("{\"task\":\"%s\",\"pairs\":%zu,\"engines\":[", a->classify ? "classify" : "similarity", it->n);
        for (int e = 0; e < n_eng; e++) {
            printf("%s{\"name\":", e ? "," : "");
            json_out_string(stdout, eng[e].name);
            printf(",\"%s\":%.6f", n1, r[e].m1);
            if (!isnan(r[e].m2)) printf(",\"%s\":%.6f", n2, r[e].m2);
            putchar('}');
        }
        putchar(']');
        if (n_eng == 2) {
            printf(",\"compare\":{\"delta_%s\":%.6f,\"max_abs_score_diff\":%.6g,\"mean_abs_score_diff\":%.6g", n1,
                   r[1].m1 - r[0].m1, max_diff, sum_diff / (double)cells);
            if (!isnan(tau)) printf(",\"kendall_tau\":%.6f", tau);
            putchar('}');
        }
        puts("}");
    } else {
        printf("%zu pairs\n%-28s %18s %18s\n", it->n, "", n1, n2);
        for (int e = 0; e < n_eng; e++) printf("%-28.28s %18.4f %18.4f\n", eng[e].name, r[e].m1, r[e].m2);
        if (n_eng == 2)
            printf("%-28s %+18.4f %+18.4f\nscore difference: max %.6g, mean %.6g; Kendall tau %.4f\n", "delta",
                   r[1].m1 - r[0].m1, r[1].m2 - r[0].m2, max_diff, sum_diff / (double)cells, tau);
    }
    return 0;
}

/* ---- entry ------------------------------------------------------------------- */

/* {"qid":..,"pid":..,"scores":[engine 1, engine 2]} per item (a list per
 * engine for several labels), so that scores can be checked pair by pair. */
static int write_scores(const char *path, const eval_items *it, const engine *eng, int n_eng)
{
    FILE *fp = fopen(path, "w");
    if (!fp) return fprintf(stderr, "crossbyte eval: cannot write %s\n", path), 0;
    for (size_t i = 0; i < it->n; i++) {
        const eval_item *x = &it->v[i];
        if (x->qid) fprintf(fp, "{\"qid\":\"%s\",\"pid\":\"%s\",\"scores\":[", x->qid, x->pid);
        else fprintf(fp, "{\"index\":%zu,\"scores\":[", i);
        for (int e = 0; e < n_eng; e++) {
            const double *s = eng[e].scores + i * (size_t)eng[e].labels;
            if (eng[e].labels == 1) fprintf(fp, "%s%.9g", e ? "," : "", s[0]);
            else
                for (int l = 0; l < eng[e].labels; l++)
                    fprintf(fp, "%s%s%.9g%s", e && !l ? "," : "", l ? "," : "[", s[l], l + 1 == eng[e].labels ? "]" : "");
        }
        fputs("]}\n", fp);
    }
    int ok = !ferror(fp);
    if (fclose(fp) || !ok) return fprintf(stderr, "crossbyte eval: cannot write %s\n", path), 0;
    return 1;
}

int eval_main(int argc, char **argv)
{
    eval_args a;
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    char why[512];
    eval_items it;
    qrels q = { 0 };
    int ok = a.pairs ? eval_read_pairs(a.pairs, a.has_columns ? a.columns : NULL, a.skip_header, &it, why, sizeof why)
                     : eval_read_candidates(a.candidates, a.score_column, &it, why, sizeof why);
    if (!ok) {
        fprintf(stderr, "crossbyte eval: %s\n", why);
        return 1;
    }
    if (a.candidates && !eval_read_qrels(a.qrels, &q, why, sizeof why)) {
        fprintf(stderr, "crossbyte eval: %s\n", why);
        eval_items_free(&it);
        return 1;
    }
    engine eng[2] = { { a.model, NULL, 0, NULL }, { a.then ? a.then : a.compare, NULL, 0, NULL } };
    int n_eng = a.compare || a.then ? 2 : 1;
    rc = 0;
    if ((a.model || a.compare) && !it.has_text) {
        fprintf(stderr, "crossbyte eval: %s has no texts (a TREC run?): it can be evaluated, not scored; give "
                        "a TSV or JSON Lines file with query and passage\n", a.candidates);
        rc = 1;
    }
    for (int e = 0; !rc && e < n_eng; e++)
        if (!score_engine(&a, &eng[e], &it)) rc = 1;
    if (!rc && a.scores_out && !write_scores(a.scores_out, &it, eng, n_eng)) rc = 1;
    char pipeline_name[96];
    if (!rc && a.then) {
        snprintf(pipeline_name, sizeof pipeline_name, "%s top %d -> %s", eng[0].name, a.depth, eng[1].name);
        eng[1].name = pipeline_name;
    }
    if (!rc && a.candidates) {
        for (int e = 0; !rc && e < n_eng; e++)
            if (eng[e].labels != 1) {
                fprintf(stderr, "crossbyte eval: reranking needs a one-label model; %s has %d labels\n", eng[e].name,
                        eng[e].labels);
                rc = 1;
            }
        if (!rc) rc = run_rerank(&a, &it, &q, eng, n_eng);
    } else if (!rc) {
        rc = run_pairs(&a, &it, eng, n_eng);
    }
    for (int e = 0; e < n_eng; e++) {
        free(eng[e].scores);
        cb_model_free(eng[e].model);
    }
    eval_items_free(&it);
    eval_qrels_free(&q);
    return rc;
}
