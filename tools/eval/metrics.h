/* metrics.h: the evaluation measures of `crossbyte eval`, as the reference
 * tools compute them. Pure functions over arrays: no model, no I/O, no
 * allocation except where a function says so (and then it reports failure).
 *
 * Ranking measures follow trec_eval 9.x: a query's documents are ordered by
 * score, highest first, ties broken by document id in DESCENDING strcmp order
 * (trec_eval's own tie rule, so a run with tied scores gives its figures). */
#ifndef CB_EVAL_METRICS_H
#define CB_EVAL_METRICS_H

#include <stddef.h>

/* One retrieved document of one query. */
typedef struct eval_doc {
    const char *id;   /* document id (NUL-terminated) */
    double score;     /* higher = better */
    int rel;          /* relevance grade from the qrels; 0 when unjudged */
} eval_doc;

/* Sorts docs into trec_eval's order (score descending, then id descending). */
void eval_sort_ranking(eval_doc *docs, size_t n);

/* nDCG@k as trec_eval's ndcg_cut.k: gain = the relevance grade (negative
 * grades count 0), discount log2(rank + 1); the ideal ranking is built from
 * `judged`, the grades of ALL judged documents of the query in the qrels
 * (retrieved or not). 0 when the ideal DCG is 0. `docs` must be sorted;
 * k at most 64 (the ideal ranking is kept on the stack). */
double eval_ndcg_at(const eval_doc *docs, size_t n, const int *judged, size_t n_judged, size_t k);

/* Reciprocal rank of the first document with grade >= rel_level within the
 * first k (trec_eval recip_rank with a cut-off, "MRR@10"); 0 if none. */
double eval_rr_at(const eval_doc *docs, size_t n, int rel_level, size_t k);

/* Relevant documents (grade >= rel_level) in the first k over all relevant
 * ones in the qrels (`n_relevant`); 0 when the query has none. */
double eval_recall_at(const eval_doc *docs, size_t n, int rel_level, size_t n_relevant, size_t k);

/* Pearson's r of x and y. NaN when n < 2 or either has no variance. */
double eval_pearson(const double *x, const double *y, size_t n);

/* Spearman's rho: Pearson's r of the ranks, ties given their average rank
 * (scipy.stats.spearmanr). NaN as Pearson; -1 sentinel never used.
 * Allocates 2n doubles and n indices; returns NaN if that fails (*oom set). */
double eval_spearman(const double *x, const double *y, size_t n, int *oom);

/* Kendall's tau-b (scipy.stats.kendalltau's default), O(n^2): fine for the
 * per-query rankings of a reranking run (100 documents). NaN when either
 * side is constant. */
double eval_kendall_tau_b(const double *x, const double *y, size_t n);

/* Average precision of scores against binary labels (1 = positive), as
 * sklearn.metrics.average_precision_score (the step-wise sum, ties grouped).
 * NaN when there is no positive. Allocates n indices (*oom on failure). */
double eval_average_precision(const double *scores, const int *labels, size_t n, int *oom);

/* Accuracy of "score > t means positive" at the threshold t that maximises it
 * (sentence-transformers' binary classification evaluator); *threshold gets
 * t (the midpoint between neighbouring scores). Allocates n indices. */
double eval_best_accuracy(const double *scores, const int *labels, size_t n, double *threshold, int *oom);

#endif
