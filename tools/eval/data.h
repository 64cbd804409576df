/* data.h: the input files of `crossbyte eval`.
 *
 * Candidates (reranking), one of:
 *   - TSV with a header naming at least qid, pid, query, passage (extra
 *     columns ignored; --score-column NAME picks the run's own score), e.g.
 *     TREC DL's flattened BM25 top-100 files;
 *   - TSV without a header: qid, pid, query, passage[, score];
 *   - JSON Lines: {"qid", "pid", "query" or "a", "passage" or "b"[, "score"]};
 *   - a TREC run (qid Q0 docno rank score tag): scores only, no texts, so it
 *     can be evaluated but not reranked.
 * Qrels: TREC qrels, "qid iter docno grade" per line.
 * Pairs (STS, NLI, duplicates): JSON Lines {"a", "b", "score" or "label"}, or
 * TSV with the two text columns and the gold column named by --columns. */
#ifndef CB_EVAL_DATA_H
#define CB_EVAL_DATA_H

#include <stddef.h>

typedef struct eval_item {
    char *qid, *pid;          /* reranking ids (NULL for pairs) */
    char *a, *b;              /* the texts; NULL in a TREC run */
    size_t a_len, b_len;
    double score;             /* the file's own score, when has_score */
    int has_score;
    char *gold;               /* pairs: the gold column as text */
} eval_item;

typedef struct eval_items {
    eval_item *v;
    size_t n, cap;
    int has_text;             /* every item has both texts */
} eval_items;

typedef struct qrel {
    char *qid, *pid;
    int rel;
} qrel;

typedef struct qrels {
    qrel *v;                  /* sorted by (qid, pid) */
    size_t n;
} qrels;

/* Each reader returns 1, or 0 with a message naming the file and line in
 * `why` (capacity why_cap). The out structure owns every string (malloc'd). */
int eval_read_candidates(const char *path, const char *score_column, eval_items *out, char *why, size_t why_cap);
int eval_read_pairs(const char *path, const int columns[3], int skip_header, eval_items *out, char *why,
                    size_t why_cap);
int eval_read_qrels(const char *path, qrels *out, char *why, size_t why_cap);
void eval_items_free(eval_items *it);
void eval_qrels_free(qrels *q);

/* The grade of (qid, pid), or 0 if unjudged; *judged (optional) tells which. */
int eval_qrel_grade(const qrels *q, const char *qid, const char *pid, int *judged);
/* The first qrel of qid and how many follow it (0 if the query has none). */
size_t eval_qrels_of(const qrels *q, const char *qid, const qrel **first);

#endif
