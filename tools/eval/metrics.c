/* metrics.c: ranking, correlation and classification measures for
 * `crossbyte eval` (see metrics.h for the definitions each one follows). */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- ranking (trec_eval) -------------------------------------------------- */

static int by_trec_order(const void *pa, const void *pb)
{
    const eval_doc *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return -strcmp(a->id, b->id);   /* trec_eval: ties by docno, descending */
}

void eval_sort_ranking(eval_doc *docs, size_t n)
{
    qsort(docs, n, sizeof *docs, by_trec_order);
}

static int by_int_desc(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    return (a < b) - (a > b);
}

double eval_ndcg_at(const eval_doc *docs, size_t n, const int *judged, size_t n_judged, size_t k)
{
    double dcg = 0.0, ideal = 0.0;
    for (size_t i = 0; i < n && i < k; i++)
        if (docs[i].rel > 0) dcg += docs[i].rel / log2((double)i + 2.0);
    /* The ideal ranking: the k best grades of the qrels, in order. A small
     * insertion of the top k keeps this allocation-free. */
    int top[64];
    size_t kk = k < 64 ? k : 64, m = 0;
    for (size_t j = 0; j < n_judged; j++) {
        int g = judged[j];
        if (g <= 0) continue;
        if (m < kk) top[m++] = g;
        else if (g > top[m - 1]) top[m - 1] = g;
        else continue;
        qsort(top, m, sizeof *top, by_int_desc);
    }
    for (size_t i = 0; i < m; i++) ideal += top[i] / log2((double)i + 2.0);
    return ideal > 0.0 ? dcg / ideal : 0.0;
}

double eval_rr_at(const eval_doc *docs, size_t n, int rel_level, size_t k)
{
    for (size_t i = 0; i < n && i < k; i++)
        if (docs[i].rel >= rel_level) return 1.0 / (double)(i + 1);
    return 0.0;
}

double eval_recall_at(const eval_doc *docs, size_t n, int rel_level, size_t n_relevant, size_t k)
{
    if (n_relevant == 0) return 0.0;
    size_t hit = 0;
    for (size_t i = 0; i < n && i < k; i++) hit += docs[i].rel >= rel_level;
    return (double)hit / (double)n_relevant;
}

/* ---- correlation ----------------------------------------------------------- */

double eval_pearson(const double *x, const double *y, size_t n)
{
    if (n < 2) return NAN;
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) mx += x[i], my += y[i];
    mx /= (double)n, my /= (double)n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy, sxx += dx * dx, syy += dy * dy;
    }
    if (sxx == 0 || syy == 0) return NAN;
    return sxy / sqrt(sxx * syy);
}

typedef struct ranked_value {
    double v;
    size_t i;
} ranked_value;

static int by_value(const void *pa, const void *pb)
{
    const ranked_value *a = pa, *b = pb;
    if (a->v != b->v) return a->v < b->v ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* Average ranks (1-based, ties share their mean) of v into r. */
static int average_ranks(const double *v, size_t n, double *r)
{
    ranked_value *s = malloc((n ? n : 1) * sizeof *s);
    if (!s) return 0;
    for (size_t i = 0; i < n; i++) s[i] = (ranked_value){ v[i], i };
    qsort(s, n, sizeof *s, by_value);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && s[j + 1].v == s[i].v) j++;
        double mean = ((double)i + (double)j) / 2.0 + 1.0;
        for (size_t t = i; t <= j; t++) r[s[t].i] = mean;
        i = j + 1;
    }
    free(s);
    return 1;
}

double eval_spearman(const double *x, const double *y, size_t n, int *oom)
{
    double *rx = malloc((n ? n : 1) * 2 * sizeof *rx);
    if (!rx || !average_ranks(x, n, rx) || !average_ranks(y, n, rx + n)) {
        free(rx);
        if (oom) *oom = 1;
        return NAN;
    }
    double rho = eval_pearson(rx, rx + n, n);
    free(rx);
    return rho;
}

double eval_kendall_tau_b(const double *x, const double *y, size_t n)
{
    /* Concordant minus discordant over sqrt((n0 - tx)(n0 - ty)), where tx and
     * ty count the pairs tied in x and in y (pairs tied in both count in both). */
    double cd = 0, tx = 0, ty = 0, n0 = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double dx = x[i] - x[j], dy = y[i] - y[j];
            n0 += 1;
            if (dx == 0) tx += 1;
            if (dy == 0) ty += 1;
            if (dx != 0 && dy != 0) cd += (dx > 0) == (dy > 0) ? 1 : -1;
        }
    double den = sqrt((n0 - tx) * (n0 - ty));
    return den > 0 ? cd / den : NAN;
}

/* ---- classification ------------------------------------------------------- */

/* Indices of scores in descending score order (stable). */
static size_t *order_desc(const double *scores, size_t n)
{
    ranked_value *s = malloc((n ? n : 1) * sizeof *s);
    size_t *o = malloc((n ? n : 1) * sizeof *o);
    if (!s || !o) {
        free(s), free(o);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) s[i] = (ranked_value){ -scores[i], i };
    qsort(s, n, sizeof *s, by_value);
    for (size_t i = 0; i < n; i++) o[i] = s[i].i;
    free(s);
    return o;
}

double eval_average_precision(const double *scores, const int *labels, size_t n, int *oom)
{
    size_t positives = 0;
    for (size_t i = 0; i < n; i++) positives += labels[i] == 1;
    if (positives == 0) return NAN;
    size_t *o = order_desc(scores, n);
    if (!o) {
        if (oom) *oom = 1;
        return NAN;
    }
    /* sklearn: one step per distinct threshold, tied scores taken together. */
    double ap = 0, prev_recall = 0;
    size_t tp = 0, seen = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && scores[o[j]] == scores[o[i]]) tp += labels[o[j++]] == 1;
        seen = j;
        double recall = (double)tp / (double)positives, precision = (double)tp / (double)seen;
        ap += (recall - prev_recall) * precision;
        prev_recall = recall;
        i = j;
    }
    free(o);
    return ap;
}

double eval_best_accuracy(const double *scores, const int *labels, size_t n, double *threshold, int *oom)
{
    size_t *o = order_desc(scores, n);
    if (!o) {
        if (oom) *oom = 1;
        return NAN;
    }
    /* sentence-transformers' find_best_acc_and_threshold, step for step. */
    size_t negatives = 0, positives_so_far = 0;
    for (size_t i = 0; i < n; i++) negatives += labels[i] == 0;
    double best = 0, t = -1;
    for (size_t i = 0; i + 1 < n; i++) {
        if (labels[o[i]] == 1) positives_so_far++;
        else negatives--;
        double acc = (double)(positives_so_far + negatives) / (double)n;
        if (acc > best) {
            best = acc;
            t = (scores[o[i]] + scores[o[i + 1]]) / 2;
        }
    }
    free(o);
    if (threshold) *threshold = t;
    return best;
}
