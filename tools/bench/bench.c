/* crossbyte-bench: times crossbyte on one workload of the benchmark and prints
 * one JSON object in the format of tools/bench/peers.py's child processes, so
 * that peers.py runs it in turn with ONNX Runtime and PyTorch (same inputs,
 * same batches, one fresh process per measurement). Public header only.
 *
 *   crossbyte-bench MODEL.cbm WORKLOAD.json --workload rerank100|pair128
 *                   [--threads N] [--min-time SECONDS]
 *
 * e2e: texts in, scores out (tokenise, encode, activation).
 * model: the same minus a tokenisation-only pass over the same pairs (the
 * public API takes texts, so the model-only time is measured as a difference). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "crossbyte.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static char *read_all(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) buf[n] = '\0';
    fclose(fp);
    return buf;
}

typedef struct pass_fn {
    const cb_model *m;
    const cb_pair *pairs;
    size_t n;
    int batch;
    float *scores;
    int tokenize_only;
    cb_long_document long_document;
} pass_fn;

/* One pass over the pairs; returns its time in ms, or a negative on error. */
static double run_pass(const pass_fn *p)
{
    cb_error err;
    const double t0 = now_ms();
    if (p->tokenize_only) {
        int32_t ids[512], types[512];
        size_t n;
        for (size_t i = 0; i < p->n; i++) {
            if (cb_tokenize(p->m, &p->pairs[i], 512, ids, types, 512, &n, &err) != CB_OK) goto fail;
        }
    } else {
        cb_predict_options o = { .max_length = 512, .batch_size = p->batch, .long_document = p->long_document };
        if (cb_predict(p->m, p->pairs, p->n, &o, p->scores, &err) != CB_OK) goto fail;
    }
    return now_ms() - t0;
fail:
    fprintf(stderr, "crossbyte-bench: %s\n", err.message);
    return -1;
}

/* Median pass time over passes repeated until min_ms has elapsed (and at
 * least min_passes). */
static double median_pass(const pass_fn *p, double min_ms, int min_passes)
{
    double samples[4096];
    int n = 0;
    const double start = now_ms();
    while (n < 4096 && (n < min_passes || now_ms() - start < min_ms)) {
        double t = run_pass(p);
        if (t < 0) return -1;
        samples[n++] = t;
    }
    qsort(samples, (size_t)n, sizeof samples[0], cmp_double);
    return n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    const char *model_path = NULL, *workload_path = NULL, *workload = "rerank100";
    int threads = 1, long_tokens = 0;
    cb_long_document long_mode = CB_LONG_CHUNK;
    double min_ms = 2000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--workload") && i + 1 < argc) workload = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) min_ms = atof(argv[++i]) * 1e3;
        else if (!strcmp(argv[i], "--long-tokens") && i + 1 < argc) long_tokens = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--truncate")) long_mode = CB_LONG_TRUNCATE;
        else if (!model_path) model_path = argv[i];
        else if (!workload_path) workload_path = argv[i];
        else {
            fprintf(stderr, "usage: crossbyte-bench MODEL.cbm WORKLOAD.json --workload rerank100|pair128|long "
                            "[--threads N] [--min-time S] [--long-tokens N] [--truncate]\n"
                            "  long: one pair, the query and the workload's passages joined until the passage has\n"
                            "        at least N word pieces (--long-tokens, default 1000), scored with\n"
                            "        long_document chunk (or truncate) at max_length 512\n");
            return 2;
        }
    }
    const int rerank = !strcmp(workload, "rerank100"), longdoc = !strcmp(workload, "long");
    if (!model_path || !workload_path || (!rerank && !longdoc && strcmp(workload, "pair128"))) {
        fprintf(stderr, "crossbyte-bench: MODEL.cbm, WORKLOAD.json and --workload rerank100|pair128|long are required\n");
        return 2;
    }
    char *text = read_all(workload_path);
    cJSON *w = text ? cJSON_Parse(text) : NULL;
    const cJSON *query = cJSON_GetObjectItemCaseSensitive(w, "query");
    const cJSON *passages = cJSON_GetObjectItemCaseSensitive(w, "passages");
    const cJSON *order = cJSON_GetObjectItemCaseSensitive(w, "rerank_order");
    const cJSON *latency = cJSON_GetObjectItemCaseSensitive(w, "latency_pair");
    const cJSON *batch = cJSON_GetObjectItemCaseSensitive(w, "batch_size");
    if (!cJSON_IsString(query) || !cJSON_IsArray(passages) || !cJSON_IsArray(order) || !cJSON_IsArray(latency) ||
        !cJSON_IsNumber(batch)) {
        fprintf(stderr, "crossbyte-bench: %s is not a benchmark workload\n", workload_path);
        return 1;
    }
    /* The workload's batching contract: pairs in rerank_order, batches of
     * batch_size; scores are reported in passage order, as the peers do. */
    cb_pair lat = { cJSON_GetArrayItem(latency, 0)->valuestring, CB_NUL_TERMINATED,
                    cJSON_GetArrayItem(latency, 1)->valuestring, CB_NUL_TERMINATED };
    const size_t n = rerank ? (size_t)cJSON_GetArraySize(order) : 1;
    cb_pair *pairs = calloc(n, sizeof *pairs);
    float *scores = calloc(n, sizeof *scores);
    if (!pairs || !scores) return 1;
    for (size_t i = 0; i < n; i++) {
        if (!rerank) {
            pairs[i] = lat;
            continue;
        }
        const cJSON *p = cJSON_GetArrayItem(passages, cJSON_GetArrayItem(order, (int)i)->valueint);
        pairs[i] = (cb_pair){ query->valuestring, CB_NUL_TERMINATED, p->valuestring, CB_NUL_TERMINATED };
    }

    /* Load + first prediction from nothing, as a user's first call. */
    cb_load_options lo = { .n_threads = threads };
    cb_model *m;
    cb_error err;
    const double t0 = now_ms();
    if (cb_model_load(model_path, &lo, &m, &err) != CB_OK) {
        fprintf(stderr, "crossbyte-bench: %s\n", err.message);
        return 1;
    }
    char *long_text = NULL;
    size_t long_pieces = 0;
    if (longdoc) {
        /* The passages joined with spaces: the joined text's word pieces are
         * the sum of the parts' (each part fits in 512 tokens alone). */
        const size_t want = long_tokens > 0 ? (size_t)long_tokens : 1000;
        size_t len = 0, cap = 1;
        for (int k = 0; long_pieces < want; k = (k + 1) % cJSON_GetArraySize(passages)) {
            const char *p = cJSON_GetArrayItem(passages, k)->valuestring;
            const cb_pair alone = { p, CB_NUL_TERMINATED, "", 0 };
            int32_t ids[512];
            size_t got;
            if (cb_tokenize(m, &alone, 512, ids, NULL, 512, &got, &err) != CB_OK || got >= 512) continue;
            const size_t pl = strlen(p);
            char *grown = realloc(long_text, cap + pl + 1);
            if (!grown) return 1;
            long_text = grown;
            cap += pl + 1;
            if (len) long_text[len++] = ' ';
            memcpy(long_text + len, p, pl);
            len += pl;
            long_text[len] = '\0';
            long_pieces += got - 2;
        }
        pairs[0] = (cb_pair){ query->valuestring, CB_NUL_TERMINATED, long_text, len };
        lat = pairs[0];
    }
    float first;
    if (cb_predict(m, &lat, 1, NULL, &first, &err) != CB_OK) {
        fprintf(stderr, "crossbyte-bench: %s\n", err.message);
        return 1;
    }
    const double load_first = now_ms() - t0;

    pass_fn run = { m, pairs, n, batch->valueint, scores, 0, longdoc ? long_mode : CB_LONG_TRUNCATE }, tok = run;
    tok.tokenize_only = 1;
    if (run_pass(&run) < 0) return 1; /* warm-up: buffers grow to the largest batch */
    const int min_passes = rerank || longdoc ? 1 : 10;
    const double t_e2e = median_pass(&run, min_ms, min_passes), t_tok = median_pass(&tok, min_ms / 4, min_passes);
    if (t_e2e < 0 || t_tok < 0) return 1;
    size_t tokens = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t ids[512];
        size_t k;
        if (cb_tokenize(m, &pairs[i], 512, ids, NULL, 512, &k, &err) != CB_OK) return 1;
        tokens += k;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    struct stat st;
    const double file_bytes = stat(model_path, &st) == 0 ? (double)st.st_size : 0;

    printf("{\"n_pairs\":%zu,\"e2e_pass_ms\":%.4f,\"model_pass_ms\":%.4f,\"tokenize_pass_ms\":%.4f,"
           "\"load_first_ms\":%.3f,\"peak_rss_mb\":%.2f,\"file_bytes\":%.0f,\"import_ms\":0,"
           "\"rss_import_mb\":0,\"long_pieces\":%zu,\"padded_tokens\":%zu,\"versions\":{\"crossbyte\":\"%s\",\"xnnpack_int8_kernels\":\"%s\"},\"scores\":[",
           n, t_e2e, t_e2e - t_tok, t_tok, load_first, (double)ru.ru_maxrss / 1024.0, file_bytes, long_pieces, tokens,
           CROSSBYTE_VERSION, cb_int8_gemm_kernels());
    /* scores back in passage order */
    for (size_t i = 0; i < n; i++) {
        size_t at = i;
        for (size_t j = 0; rerank && j < n; j++) {
            if ((size_t)cJSON_GetArrayItem(order, (int)j)->valueint == i) at = j;
        }
        printf("%s%.7g", i ? "," : "", scores[at]);
    }
    puts("]}");
    cb_model_free(m);
    free(pairs);
    free(scores);
    cJSON_Delete(w);
    free(text);
    free(long_text);
    return 0;
}
