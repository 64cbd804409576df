/* crossbyte: the command-line program, over the public header only.
 *
 *   crossbyte predict  MODEL [options]      JSON Lines pairs in, one score line out each
 *   crossbyte rank     MODEL --query Q      passages (one per line) in, best first out
 *   crossbyte tokenize MODEL [options]      JSON Lines pairs in, ids out
 *   crossbyte embed    MODEL [options]      JSON Lines texts in, one vector line out each (bi-encoders)
 *   crossbyte convert  HF_DIR -o OUT [--dtype f32|int8]
 *   crossbyte eval     [MODEL] --candidates F --qrels F | --pairs F   (tools/eval/)
 *   crossbyte search   EMBEDDER --corpus F [--rerank CE]   (tools/search.c)
 *
 * Exit status: 0 success, 1 a model or input error (message on stderr), 2 a
 * usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "crossbyte.h"
#include "eval/command.h"
#include "search.h"
#include "json_out.h"
#include "jsonl_pair.h"

#define CHUNK 256   /* pairs scored per call: bounds memory on endless input */

typedef struct args {
    const char *model, *query, *out;
    int max_length, batch_size, threads, top_k, raw, softmax, labels, normalize;
    cb_long_document long_document;
    int stride;   /* as cb_predict_options.stride */
    cb_aggregate aggregate;
    cb_dtype dtype;
} args;

#define LONG_DOCUMENT_HELP \
    "  --long-document truncate|chunk  a passage too long for max_length beside the query: cut it (default,\n" \
    "                 as sentence-transformers), or score overlapping windows of whole words and aggregate\n" \
    "  --stride N     chunk: word pieces consecutive windows share (default: a quarter of the window; 0 = none)\n" \
    "  --aggregate max|first|mean  chunk: the pair's score from its windows' (default max)\n"

static const char usage_main[] =
    "usage: crossbyte COMMAND ...\n"
    "  predict   score JSON Lines pairs [\"text a\", \"text b\"] from stdin\n"
    "  rank      rank passages (one per line on stdin) for a query\n"
    "  tokenize  show the token ids of JSON Lines pairs\n"
    "  embed     one vector per JSON Lines text, with a bi-encoder (SentenceTransformer.encode)\n"
    "  convert   turn a Hugging Face model folder into a .cbm file\n"
    "  eval      nDCG@10, MRR@10, Recall (reranking) or Spearman/accuracy (pairs) of a model\n"
    "  search    retrieve from a JSON Lines corpus with a bi-encoder, rerank with a cross-encoder\n"
    "'crossbyte COMMAND --help' describes each command.\n";

static const char usage_predict[] =
    "usage: crossbyte predict MODEL [--max-length N] [--raw] [--softmax] [--labels] [--threads N] [--batch-size N]\n"
    "  MODEL          a .cbm file or a Hugging Face model folder\n"
    "  stdin          one JSON array [\"text a\", \"text b\"] per line\n"
    "  stdout         one line per pair, in order: a number (one label) or an array (several)\n"
    "  --max-length N tokens per pair including specials (default: the model's)\n"
    "  --raw          raw logits, no activation\n"
    "  --softmax      softmax over the labels of each pair\n"
    "  --labels       print {\"label\": score} objects instead of arrays\n"
    "  --threads N    threads per batch (default 1)\n"
    "  --batch-size N pairs (or windows) per forward pass (default 32)\n"
    LONG_DOCUMENT_HELP;

static const char usage_rank[] =
    "usage: crossbyte rank MODEL --query Q [--top-k K] [--max-length N] [--raw] [--threads N] [--batch-size N]\n"
    "                      [--long-document truncate|chunk] [--stride N] [--aggregate max|first|mean]\n"
    "  stdin   passages, one per line\n"
    "  stdout  {\"corpus_id\":i,\"score\":s} per line, best first (K lines with --top-k); with chunk also\n"
    "          \"window\":{\"begin\":b,\"end\":e,\"index\":w,\"count\":n}: the bytes [b, e) of the passage\n"
    "          whose window gave the score, window w of n\n"
    LONG_DOCUMENT_HELP;

static const char usage_tokenize[] =
    "usage: crossbyte tokenize MODEL [--max-length N]\n"
    "  stdin   one JSON array [\"text a\", \"text b\"] per line\n"
    "  stdout  {\"input_ids\":[...],\"token_type_ids\":[...]} per pair\n";

static const char usage_embed[] =
    "usage: crossbyte embed MODEL [--max-length N] [--normalize | --no-normalize] [--threads N] [--batch-size N]\n"
    "  MODEL           a bi-encoder: .cbm file or sentence-transformers folder (modules.json, 1_Pooling)\n"
    "  stdin           one JSON string \"text\" per line\n"
    "  stdout          one JSON array of floats per text, in order\n"
    "  --max-length N  tokens per text including specials (default: the model's max_seq_length)\n"
    "  --normalize     L2-normalise every vector (default: only if the model has a Normalize module)\n"
    "  --no-normalize  never normalise\n"
    "  --threads N     threads per batch (default 1)\n"
    "  --batch-size N  texts per forward pass (default 32)\n";

static const char usage_convert[] =
    "usage: crossbyte convert HF_DIR -o OUT [--dtype f32|int8]\n"
    "  HF_DIR  a Hugging Face model folder (config.json, model.safetensors, tokenizer files)\n"
    "  OUT     the .cbm file to write\n";

/* Returns 0 on success, 2 on a usage error, -1 when --help was shown. */
static int parse_args(int argc, char **argv, const char *usage, args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 2; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            fputs(usage, stdout);
            return -1;
        } else if (!strcmp(f, "--raw")) {
            a->raw = 1;
        } else if (!strcmp(f, "--softmax")) {
            a->softmax = 1;
        } else if (!strcmp(f, "--normalize")) {
            a->normalize = 1;
        } else if (!strcmp(f, "--no-normalize")) {
            a->normalize = -1;
        } else if (!strcmp(f, "--labels")) {
            a->labels = 1;
        } else if (!strcmp(f, "--max-length")) {
            if (!cli_parse_int(f, v, 1, 1 << 30, &a->max_length)) return 2;
            i++;
        } else if (!strcmp(f, "--batch-size")) {
            if (!cli_parse_int(f, v, 1, 4096, &a->batch_size)) return 2;
            i++;
        } else if (!strcmp(f, "--threads")) {
            if (!cli_parse_int(f, v, 1, 256, &a->threads)) return 2;
            i++;
        } else if (!strcmp(f, "--top-k")) {
            if (!cli_parse_int(f, v, 1, 1 << 30, &a->top_k)) return 2;
            i++;
        } else if (!strcmp(f, "--query")) {
            if (!v) break;
            a->query = v;
            i++;
        } else if (!strcmp(f, "-o") || !strcmp(f, "--output")) {
            if (!v) break;
            a->out = v;
            i++;
        } else if (!strcmp(f, "--long-document")) {
            if (v && !strcmp(v, "truncate")) a->long_document = CB_LONG_TRUNCATE;
            else if (v && !strcmp(v, "chunk")) a->long_document = CB_LONG_CHUNK;
            else {
                fprintf(stderr, "crossbyte: --long-document is truncate or chunk, got '%s'\n", v ? v : "");
                return 2;
            }
            i++;
        } else if (!strcmp(f, "--aggregate")) {
            if (v && !strcmp(v, "max")) a->aggregate = CB_AGGREGATE_MAX;
            else if (v && !strcmp(v, "first")) a->aggregate = CB_AGGREGATE_FIRST;
            else if (v && !strcmp(v, "mean")) a->aggregate = CB_AGGREGATE_MEAN;
            else {
                fprintf(stderr, "crossbyte: --aggregate is max, first or mean, got '%s'\n", v ? v : "");
                return 2;
            }
            i++;
        } else if (!strcmp(f, "--stride")) {
            int st;
            if (!cli_parse_int(f, v, 0, 1 << 30, &st)) return 2;
            a->stride = st == 0 ? CB_STRIDE_NONE : st;
            i++;
        } else if (!strcmp(f, "--dtype")) {
            if (v && !strcmp(v, "f32")) a->dtype = CB_DTYPE_F32;
            else if (v && !strcmp(v, "int8")) a->dtype = CB_DTYPE_INT8;
            else {
                fprintf(stderr, "crossbyte: --dtype is f32 or int8, got '%s'\n", v ? v : "");
                return 2;
            }
            i++;
        } else if (f[0] == '-' && f[1]) {
            fprintf(stderr, "crossbyte: unknown option %s\n%s", f, usage);
            return 2;
        } else if (!a->model) {
            a->model = f;
        } else {
            fprintf(stderr, "crossbyte: unexpected argument '%s'\n%s", f, usage);
            return 2;
        }
    }
    if (!a->model) {
        fprintf(stderr, "crossbyte: missing MODEL\n%s", usage);
        return 2;
    }
    return 0;
}

/* The scoring options the flags ask for; --raw wins over `activation`. */
static cb_predict_options predict_options(const args *a, cb_activation activation)
{
    cb_predict_options po = cb_predict_default_options(NULL);
    po.max_length = a->max_length;
    po.batch_size = a->batch_size;
    po.activation = a->raw ? CB_ACTIVATION_NONE : activation;
    po.long_document = a->long_document;
    po.stride = a->stride;
    po.aggregate = a->aggregate;
    return po;
}

static cb_model *load(const args *a)
{
    cb_load_options lo = { .n_threads = a->threads };
    cb_model *m;
    cb_error err;
    if (cb_model_load(a->model, &lo, &m, &err) != CB_OK) {
        fprintf(stderr, "crossbyte: cannot load model: %s\n", err.message);
        return NULL;
    }
    return m;
}

/* A JSON Lines pair: ["text a", "text b"]; p points into *owner. */
static int parse_pair(const char *line, size_t len, long lineno, jsonl_pair *owner, cb_pair *p)
{
    char why[128];
    if (!jsonl_pair_parse(line, len, owner, why, sizeof why)) {
        fprintf(stderr, "crossbyte: stdin line %ld: %s; each line must be a JSON array of two strings "
                        "[\"text a\", \"text b\"]\n", lineno, why);
        return 0;
    }
    *p = (cb_pair){ owner->text[0], owner->len[0], owner->text[1], owner->len[1] };
    return 1;
}

static void print_scores(const cb_model *m, const args *a, const float *s)
{
    int n = cb_model_num_labels(m);
    if (n == 1 && !a->labels) {
        printf("%.9g\n", s[0]);
        return;
    }
    putchar(a->labels ? '{' : '[');
    for (int i = 0; i < n; i++) {
        if (a->labels) {
            if (i) putchar(',');
            json_out_string(stdout, cb_model_label(m, i));
            printf(":%.9g", s[i]);
        } else {
            printf("%s%.9g", i ? "," : "", s[i]);
        }
    }
    puts(a->labels ? "}" : "]");
}

static int run_predict(const args *a)
{
    cb_model *m = load(a);
    if (!m) return 1;
    const int L = cb_model_num_labels(m);
    const cb_predict_options po = predict_options(a, a->softmax ? CB_ACTIVATION_SOFTMAX : CB_ACTIVATION_DEFAULT);
    cb_pair pairs[CHUNK];
    jsonl_pair docs[CHUNK];
    float *scores = malloc(CHUNK * (size_t)L * sizeof *scores);
    long lineno = 0;
    int rc = scores ? 0 : 1, done = 0;
    while (!rc && !done) {
        size_t n = 0, len;
        char *line;
        while (n < CHUNK && (line = cli_read_line(stdin, &len))) {
            lineno++;
            if (len == 0) {
                free(line);
                continue;
            }
            int ok = parse_pair(line, len, lineno, &docs[n], &pairs[n]);
            free(line);
            if (!ok) {
                rc = 1;
                break;
            }
            n++;
        }
        done = n < CHUNK;
        cb_error err;
        if (!rc && n > 0 && cb_predict(m, pairs, n, &po, scores, &err) != CB_OK) {
            fprintf(stderr, "crossbyte: predict (input lines up to %ld): %s\n", lineno, err.message);
            rc = 1;
        }
        for (size_t i = 0; !rc && i < n; i++) print_scores(m, a, scores + i * (size_t)L);
        for (size_t i = 0; i < n; i++) jsonl_pair_free(&docs[i]);
    }
    free(scores);
    cb_model_free(m);
    return rc;
}

static int run_tokenize(const args *a)
{
    cb_model *m = load(a);
    if (!m) return 1;
    const size_t cap = (size_t)cb_model_max_positions(m);
    int32_t *ids = malloc(cap * sizeof *ids), *types = malloc(cap * sizeof *types);
    int rc = ids && types ? 0 : 1;
    long lineno = 0;
    size_t len;
    char *line;
    while (!rc && (line = cli_read_line(stdin, &len))) {
        lineno++;
        jsonl_pair doc;
        cb_pair p;
        int ok = len == 0 || parse_pair(line, len, lineno, &doc, &p);
        if (ok && len > 0) {
            size_t n;
            cb_error err;
            if (cb_tokenize(m, &p, a->max_length, ids, types, cap, &n, &err) != CB_OK) {
                fprintf(stderr, "crossbyte: tokenize line %ld: %s\n", lineno, err.message);
                rc = 1;
            } else {
                fputs("{\"input_ids\":[", stdout);
                for (size_t i = 0; i < n; i++) printf("%s%d", i ? "," : "", (int)ids[i]);
                fputs("],\"token_type_ids\":[", stdout);
                for (size_t i = 0; i < n; i++) printf("%s%d", i ? "," : "", (int)types[i]);
                puts("]}");
            }
            jsonl_pair_free(&doc);
        }
        if (!ok) rc = 1;
        free(line);
    }
    free(ids);
    free(types);
    cb_model_free(m);
    return rc;
}

static int run_embed(const args *a)
{
    cb_model *m = load(a);
    if (!m) return 1;
    const size_t dim = (size_t)cb_model_embedding_size(m);
    if (dim == 0) {
        fprintf(stderr, "crossbyte: embed needs a bi-encoder; %s is a cross-encoder (%s): use predict or rank\n",
                a->model, cb_model_architecture(m));
        cb_model_free(m);
        return 1;
    }
    const cb_embed_options eo = { a->max_length, a->batch_size, a->normalize };
    char *texts[CHUNK];
    size_t lens[CHUNK];
    float *vecs = malloc(CHUNK * dim * sizeof *vecs);
    long lineno = 0;
    int rc = vecs ? 0 : 1, done = 0;
    while (!rc && !done) {
        size_t n = 0, len;
        char *line, why[128];
        while (n < CHUNK && (line = cli_read_line(stdin, &len))) {
            lineno++;
            int ok = len == 0 || jsonl_text_parse(line, len, &texts[n], &lens[n], why, sizeof why);
            free(line);
            if (!ok) {
                fprintf(stderr, "crossbyte: stdin line %ld: %s; each line must be one JSON string \"text\"\n", lineno,
                        why);
                rc = 1;
                break;
            }
            if (len > 0) n++;
        }
        done = n < CHUNK;
        cb_error err;
        if (!rc && n > 0 && cb_embed(m, (const char *const *)texts, lens, n, &eo, vecs, &err) != CB_OK) {
            fprintf(stderr, "crossbyte: embed (input lines up to %ld): %s\n", lineno, err.message);
            rc = 1;
        }
        for (size_t i = 0; !rc && i < n; i++) {
            putchar('[');
            for (size_t k = 0; k < dim; k++) printf("%s%.9g", k ? "," : "", vecs[i * dim + k]);
            puts("]");
        }
        for (size_t i = 0; i < n; i++) free(texts[i]);
    }
    free(vecs);
    cb_model_free(m);
    return rc;
}

static int run_rank(const args *a)
{
    if (!a->query) {
        fprintf(stderr, "crossbyte: rank needs --query\n%s", usage_rank);
        return 2;
    }
    cb_model *m = load(a);
    if (!m) return 1;
    char **docs = NULL;
    size_t n = 0, cap = 0, len;
    char *line;
    int rc = 0;
    while (!rc && (line = cli_read_line(stdin, &len))) {
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **p = realloc(docs, cap * sizeof *p);
            if (!p) {
                free(line);
                fprintf(stderr, "crossbyte: out of memory reading passages\n");
                rc = 1;
                break;
            }
            docs = p;
        }
        docs[n++] = line;
    }
    cb_ranked *out = malloc((n ? n : 1) * sizeof *out);
    const cb_predict_options po = predict_options(a, CB_ACTIVATION_DEFAULT);
    cb_error err;
    if (!rc && !out) {
        fprintf(stderr, "crossbyte: out of memory\n");
        rc = 1;
    }
    if (!rc && cb_rank(m, a->query, CB_NUL_TERMINATED, (const char *const *)docs, NULL, n, &po, out, &err) != CB_OK) {
        fprintf(stderr, "crossbyte: rank: %s\n", err.message);
        rc = 1;
    }
    size_t k = a->top_k && (size_t)a->top_k < n ? (size_t)a->top_k : n;
    for (size_t i = 0; !rc && i < k; i++) {
        printf("{\"corpus_id\":%zu,\"score\":%.9g", out[i].corpus_id, out[i].score);
        const cb_window *w = &out[i].window;
        if (a->long_document == CB_LONG_CHUNK)
            printf(",\"window\":{\"begin\":%zu,\"end\":%zu,\"index\":%d,\"count\":%d}", w->begin, w->end, w->index,
                   w->count);
        puts("}");
    }
    for (size_t i = 0; i < n; i++) free(docs[i]);
    free(docs);
    free(out);
    cb_model_free(m);
    return rc;
}

static int run_convert(const args *a)
{
    if (!a->out) {
        fprintf(stderr, "crossbyte: convert needs -o OUT\n%s", usage_convert);
        return 2;
    }
    uint64_t sizes[2];
    cb_error err;
    if (cb_convert(a->model, a->out, a->dtype, sizes, &err) != CB_OK) {
        fprintf(stderr, "crossbyte: convert: %s\n", err.message);
        return 1;
    }
    printf("%s: model.safetensors %.2f MB -> %s %.2f MB (%s, %.1f%%)\n", a->model, sizes[0] / 1e6, a->out,
           sizes[1] / 1e6, a->dtype == CB_DTYPE_INT8 ? "int8" : "f32", 100.0 * (double)sizes[1] / (double)sizes[0]);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name, *usage;
        int (*run)(const args *);
    } commands[] = {
        { "predict", usage_predict, run_predict },
        { "rank", usage_rank, run_rank },
        { "tokenize", usage_tokenize, run_tokenize },
        { "embed", usage_embed, run_embed },
        { "convert", usage_convert, run_convert },
    };
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage_main, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        puts("crossbyte " CROSSBYTE_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "eval")) return eval_main(argc, argv);
    if (!strcmp(argv[1], "search")) return search_main(argc, argv);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) != 0) continue;
        args a;
        int r = parse_args(argc, argv, commands[i].usage, &a);
        if (r) return r < 0 ? 0 : r;
        return commands[i].run(&a);
    }
    fprintf(stderr, "crossbyte: unknown command '%s'\n%s", argv[1], usage_main);
    return 2;
}
