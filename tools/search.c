/* search.c: `crossbyte search`: the two-stage pipeline of offline search.
 * A bi-encoder embeds the corpus once and each query; the corpus is ranked
 * by cosine (exhaustively: a corpus an edge device holds fits), and a
 * cross-encoder, when given, rescores the first --depth of them. Uses the
 * public header only. */
#include "search.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_args.h"
#include "crossbyte.h"
#include "json_out.h"
#include "jsonl_pair.h"

const char search_usage[] =
    "usage: crossbyte search EMBEDDER --corpus FILE [--rerank CROSS_ENCODER] [--query Q] [options]\n"
    "  EMBEDDER        a bi-encoder (.cbm or sentence-transformers folder)\n"
    "  --corpus F      the documents, one JSON string \"text\" per line\n"
    "  --query Q       one query; without it, one JSON string query per line on stdin\n"
    "  --rerank CE     a cross-encoder rescoring the embedder's first --depth results\n"
    "  --top-k K       results per query (default 10)\n"
    "  --depth N       candidates the cross-encoder rescores (default 50, at least K)\n"
    "  --threads N, --batch-size N, --max-length N   as for embed and predict\n"
    "  stdout          per query: {\"query\":..., \"results\":[{\"corpus_id\",\"score\",\"text\"}]}, best first;\n"
    "                  with --rerank the score is the cross-encoder's and \"cosine\" the embedder's\n"
    "A progress bar goes to stderr while the corpus is embedded, when stderr is a terminal.\n";

typedef struct search_args {
    const char *embedder, *corpus, *rerank, *query;
    int top_k, depth, threads, batch_size, max_length;
} search_args;

typedef struct corpus {
    char **text;
    size_t *len, n;
    float *vec;     /* n * dim, L2-normalised */
} corpus;

typedef struct hit {
    size_t id;
    double cosine;
    float score;
} hit;

static int parse(int argc, char **argv, search_args *a)
{
    memset(a, 0, sizeof *a);
    a->top_k = 10, a->depth = 50;
    for (int i = 2; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **str = !strcmp(f, "--corpus") ? &a->corpus : !strcmp(f, "--rerank") ? &a->rerank
                           : !strcmp(f, "--query") ? &a->query : NULL;
        int *num = !strcmp(f, "--top-k") ? &a->top_k : !strcmp(f, "--depth") ? &a->depth
                   : !strcmp(f, "--threads") ? &a->threads : !strcmp(f, "--batch-size") ? &a->batch_size
                   : !strcmp(f, "--max-length") ? &a->max_length : NULL;
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            fputs(search_usage, stdout);
            return -1;
        } else if (str) {
            if (!v) return fprintf(stderr, "crossbyte search: %s needs a value\n", f), 2;
            *str = v, i++;
        } else if (num) {
            if (!cli_parse_int(f, v, 1, num == &a->threads ? 256 : num == &a->batch_size ? 4096 : 1 << 30, num))
                return 2;
            i++;
        } else if (f[0] == '-' && f[1]) {
            return fprintf(stderr, "crossbyte search: unknown option %s\n%s", f, search_usage), 2;
        } else if (!a->embedder) {
            a->embedder = f;
        } else {
            return fprintf(stderr, "crossbyte search: unexpected argument '%s'\n%s", f, search_usage), 2;
        }
    }
    if (!a->embedder || !a->corpus)
        return fprintf(stderr, "crossbyte search: give EMBEDDER and --corpus FILE\n%s", search_usage), 2;
    if (a->depth < a->top_k) a->depth = a->top_k;
    return 0;
}

static cb_model *load(const char *path, int threads)
{
    const cb_load_options lo = { .n_threads = threads };
    cb_model *m = NULL;
    cb_error err;
    if (cb_model_load(path, &lo, &m, &err) != CB_OK)
        fprintf(stderr, "crossbyte search: cannot load model %s: %s\n", path, err.message);
    return m;
}

static void corpus_free(corpus *c)
{
    for (size_t i = 0; i < c->n; i++) free(c->text[i]);
    free(c->text);
    free(c->len);
    free(c->vec);
}

static int read_corpus(const char *path, corpus *c)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return fprintf(stderr, "crossbyte search: cannot open %s\n", path), 0;
    size_t cap = 0, len;
    long lineno = 0;
    char *line, why[128];
    int ok = 1;
    while (ok && (line = cli_read_line(fp, &len))) {
        lineno++;
        if (len > 0 && c->n == cap) {
            cap = cap ? 2 * cap : 256;
            char **t = realloc(c->text, cap * sizeof *t);
            if (t) c->text = t;
            size_t *l = realloc(c->len, cap * sizeof *l);
            if (l) c->len = l;
            if (!t || !l) ok = 0, fprintf(stderr, "crossbyte search: out of memory reading %s\n", path);
        }
        if (ok && len > 0) {
            if (jsonl_text_parse(line, len, &c->text[c->n], &c->len[c->n], why, sizeof why)) c->n++;
            else ok = 0, fprintf(stderr, "crossbyte search: %s line %ld: %s; each line must be one JSON string\n",
                                 path, lineno, why);
        }
        free(line);
    }
    fclose(fp);
    if (ok && c->n == 0) ok = 0, fprintf(stderr, "crossbyte search: %s holds no documents\n", path);
    return ok;
}

static void normalise(float *v, size_t dim)
{
    double ss = 0;
    for (size_t k = 0; k < dim; k++) ss += (double)v[k] * v[k];
    const double s = ss > 0 ? 1.0 / sqrt(ss) : 0.0;
    for (size_t k = 0; k < dim; k++) v[k] = (float)(v[k] * s);
}

#define EMBED_CHUNK 256   /* documents per cb_embed call: the progress bar's step */

static int embed_corpus(const search_args *a, cb_model *m, size_t dim, corpus *c)
{
    c->vec = malloc(c->n * dim * sizeof *c->vec);
    if (!c->vec) return fprintf(stderr, "crossbyte search: out of memory for %zu vectors\n", c->n), 0;
    const cb_embed_options eo = { a->max_length, a->batch_size, 0 };
    const int bar = isatty(STDERR_FILENO);
    for (size_t i0 = 0; i0 < c->n; i0 += EMBED_CHUNK) {
        const size_t n = c->n - i0 < EMBED_CHUNK ? c->n - i0 : EMBED_CHUNK;
        cb_error err;
        if (cb_embed(m, (const char *const *)c->text + i0, c->len + i0, n, &eo, c->vec + i0 * dim, &err) != CB_OK) {
            fprintf(stderr, "%scrossbyte search: corpus documents %zu-%zu: %s\n", bar ? "\n" : "", i0 + 1, i0 + n,
                    err.message);
            return 0;
        }
        for (size_t i = 0; i < n; i++) normalise(c->vec + (i0 + i) * dim, dim);
        if (bar) fprintf(stderr, "\rembedding the corpus: %zu/%zu%s", i0 + n, c->n, i0 + n == c->n ? "\n" : "");
    }
    return 1;
}

static int by_cosine_desc(const void *x, const void *y)
{
    const hit *a = x, *b = y;
    if (a->cosine != b->cosine) return a->cosine < b->cosine ? 1 : -1;
    return (a->id > b->id) - (a->id < b->id);
}

/* Ranks the corpus for one query and prints its JSON line. */
static int answer(const search_args *a, cb_model *emb, cb_model *ce, size_t dim, const corpus *c, hit *hits,
                  const char **docs, size_t *lens, cb_ranked *ranked, const char *q, size_t q_len)
{
    float *qv = malloc(dim * sizeof *qv);
    if (!qv) return fprintf(stderr, "crossbyte search: out of memory\n"), 0;
    const cb_embed_options eo = { a->max_length, a->batch_size, 0 };
    cb_error err;
    int ok = cb_embed(emb, &q, &q_len, 1, &eo, qv, &err) == CB_OK;
    if (!ok) fprintf(stderr, "crossbyte search: query: %s\n", err.message);
    if (ok) normalise(qv, dim);
    for (size_t i = 0; ok && i < c->n; i++) {
        double dot = 0;
        const float *v = c->vec + i * dim;
        for (size_t k = 0; k < dim; k++) dot += (double)qv[k] * v[k];
        hits[i] = (hit){ i, dot, (float)dot };
    }
    free(qv);
    if (!ok) return 0;
    qsort(hits, c->n, sizeof *hits, by_cosine_desc);
    size_t depth = (size_t)a->depth < c->n ? (size_t)a->depth : c->n, k = (size_t)a->top_k < c->n ? (size_t)a->top_k : c->n;
    if (ce) {
        for (size_t i = 0; i < depth; i++) docs[i] = c->text[hits[i].id], lens[i] = c->len[hits[i].id];
        const cb_predict_options po = { .max_length = a->max_length, .batch_size = a->batch_size };
        if (cb_rank(ce, q, q_len, docs, lens, depth, &po, ranked, &err) != CB_OK)
            return fprintf(stderr, "crossbyte search: rerank: %s\n", err.message), 0;
    }
    fputs("{\"query\":", stdout);
    json_out_string(stdout, q);
    fputs(",\"results\":[", stdout);
    for (size_t r = 0; r < k; r++) {
        const hit *h = ce ? &hits[ranked[r].corpus_id] : &hits[r];
        printf("%s{\"corpus_id\":%zu,\"score\":%.9g", r ? "," : "", h->id, ce ? ranked[r].score : h->score);
        if (ce) printf(",\"cosine\":%.9g", h->score);
        fputs(",\"text\":", stdout);
        json_out_string(stdout, c->text[h->id]);
        putchar('}');
    }
    puts("]}");
    return 1;
}

int search_main(int argc, char **argv)
{
    search_args a;
    int r = parse(argc, argv, &a);
    if (r) return r < 0 ? 0 : r;
    cb_model *emb = load(a.embedder, a.threads), *ce = NULL;
    if (!emb) return 1;
    const size_t dim = (size_t)cb_model_embedding_size(emb);
    corpus c = { 0 };
    int ok = 1;
    if (!dim) {
        fprintf(stderr, "crossbyte search: %s is a cross-encoder (%s); the first stage needs a bi-encoder (give the "
                        "cross-encoder as --rerank)\n", a.embedder, cb_model_architecture(emb));
        ok = 0;
    }
    if (ok && a.rerank && !(ce = load(a.rerank, a.threads))) ok = 0;
    if (ok && ce && cb_model_embedding_size(ce)) {
        fprintf(stderr, "crossbyte search: --rerank %s is a bi-encoder; it needs a cross-encoder\n", a.rerank);
        ok = 0;
    }
    ok = ok && read_corpus(a.corpus, &c) && embed_corpus(&a, emb, dim, &c);
    hit *hits = ok ? malloc(c.n * sizeof *hits) : NULL;
    const char **docs = ok ? malloc(c.n * sizeof *docs) : NULL;
    size_t *lens = ok ? malloc(c.n * sizeof *lens) : NULL;
    cb_ranked *ranked = ok ? malloc(c.n * sizeof *ranked) : NULL;
    if (ok && (!hits || !docs || !lens || !ranked)) ok = 0, fprintf(stderr, "crossbyte search: out of memory\n");
    if (ok && a.query) {
        ok = answer(&a, emb, ce, dim, &c, hits, docs, lens, ranked, a.query, strlen(a.query));
    } else if (ok) {
        size_t len;
        long lineno = 0;
        char *line, why[128];
        while (ok && (line = cli_read_line(stdin, &len))) {
            lineno++;
            char *q = NULL;
            size_t q_len = 0;
            if (len > 0 && !jsonl_text_parse(line, len, &q, &q_len, why, sizeof why)) {
                fprintf(stderr, "crossbyte search: stdin line %ld: %s; each line must be one JSON string query\n",
                        lineno, why);
                ok = 0;
            }
            if (ok && q) ok = answer(&a, emb, ce, dim, &c, hits, docs, lens, ranked, q, q_len);
            free(q);
            free(line);
        }
    }
    free(hits);
    free(docs);
    free(lens);
    free(ranked);
    corpus_free(&c);
    cb_model_free(emb);
    cb_model_free(ce);
    return ok ? 0 : 1;
}
