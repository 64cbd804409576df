/* support.c: see support.h. */
#include "support.h"

#include "json_reader.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *const cbt_bert_fixtures[] = {
    "bert-tiny", "bert-minilm-h384", "bert-nli-3label", "bert-h312-heads26", "bert-base-uncased-vocab",
    "bert-cased-pos128",
};
const size_t cbt_n_bert_fixtures = sizeof cbt_bert_fixtures / sizeof cbt_bert_fixtures[0];

const char *cbt_fixtures(void)
{
    const char *env = getenv("CB_FIXTURES");
    return env && *env ? env : CB_FIXTURES_DIR;
}

static char *format(const char *fmt, const char *a, const char *b, const char *c)
{
    size_t n = strlen(fmt) + strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 64;
    char *p = malloc(n);
    cr_assert(p != NULL);
    snprintf(p, n, fmt, a, b, c ? c : "");
    return p;
}

char *cbt_fixture_path(const char *name, const char *file)
{
    return file ? format("%s/%s/%s", cbt_fixtures(), name, file) : format("%s/%s%s", cbt_fixtures(), name, "");
}

char *cbt_read(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    cr_assert(fp != NULL, "cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cr_assert(buf != NULL);
    cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    buf[n] = '\0';
    if (size) *size = (size_t)n;
    return buf;
}

void cbt_write(const char *path, const void *data, size_t size)
{
    FILE *fp = fopen(path, "wb");
    cr_assert(fp != NULL, "cannot create %s", path);
    cr_assert_eq(fwrite(data, 1, size, fp), size);
    cr_assert_eq(fclose(fp), 0);
}

cJSON *cbt_reference(const char *name)
{
    char *path = cbt_fixture_path(name, "reference.json");
    size_t n;
    char *text = cbt_read(path, &n);
    cJSON *j = cJSON_ParseWithLength(text, n);
    cr_assert(j != NULL, "%s is not JSON", path);
    free(text);
    free(path);
    return j;
}

char *cbt_temp_path(const char *stem)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/test-tmp", CB_BUILD_DIR);
    mkdir(dir, 0755);
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    return format("%s/%s-%s", dir, stem, pid);
}

char *cbt_converted(const char *name, cb_dtype dtype)
{
    /* One conversion per fixture, dtype and test binary, shared by the
     * binary's forked tests: the key is the binary's own modification time
     * (it links the converter), not the pid each fork has. A fork converts
     * into a file of its own and renames it into place, so two forks racing
     * for the same model both end with a whole file. tools/test.sh empties
     * test-tmp/ before a run. */
    struct stat exe;
    cr_assert_eq(stat("/proc/self/exe", &exe), 0, "cannot stat the test binary");
    char stem[256];
    snprintf(stem, sizeof stem, "%s-converting.cbm", name);
    char *tmp = cbt_temp_path(stem);   /* also makes test-tmp/ */
    size_t cap = strlen(CB_BUILD_DIR) + strlen(name) + 64;
    char *out = malloc(cap);
    cr_assert(out);
    snprintf(out, cap, "%s/test-tmp/%s-%s-%lld.cbm", CB_BUILD_DIR, name, dtype == CB_DTYPE_INT8 ? "int8" : "f32",
             (long long)exe.st_mtime);
    struct stat st;
    if (stat(out, &st) == 0) {
        free(tmp);
        return out;
    }
    char *dir = cbt_fixture_path(name, NULL);
    cb_error err;
    cb_status s = cb_convert(dir, tmp, dtype, NULL, &err);
    cr_assert_eq(s, CB_OK, "convert %s: %s", name, err.message);
    cr_assert_eq(rename(tmp, out), 0, "cannot rename %s to %s", tmp, out);
    free(tmp);
    free(dir);
    return out;
}

cb_model *cbt_load(const char *path, int n_threads)
{
    cb_load_options o = { .n_threads = n_threads };
    cb_model *m = NULL;
    cb_error err;
    cb_status s = cb_model_load(path, &o, &m, &err);
    cr_assert_eq(s, CB_OK, "load %s: %s", path, err.message);
    return m;
}

cbt_pairs cbt_case_pairs(const char *fixture, int index)
{
    char *path = cbt_fixture_path(fixture, "reference.json");
    jv *doc = malloc(sizeof *doc);
    cr_assert(doc);
    load_json(path, doc);
    free(path);
    const jv *cases = jget(doc, "cases");
    cr_assert(cases && cases->type == J_ARR && (size_t)index < cases->n, "%s: no case %d", fixture, index);
    const jv *pairs = jget(&cases->items[index], "pairs");
    cr_assert(pairs && pairs->type == J_ARR);
    cbt_pairs out = { calloc(pairs->n ? pairs->n : 1, sizeof(cb_pair)), pairs->n, doc };
    cr_assert(out.pairs);
    for (size_t i = 0; i < pairs->n; i++) {
        const jv *pr = &pairs->items[i];
        cr_assert(pr->type == J_ARR && pr->n == 2 && pr->items[0].type == J_STR && pr->items[1].type == J_STR);
        out.pairs[i] = (cb_pair){ pr->items[0].str, pr->items[0].str_len, pr->items[1].str, pr->items[1].str_len };
    }
    return out;
}

void cbt_pairs_free(cbt_pairs *p)
{
    free(p->pairs);
    jfree(p->owner);
    free(p->owner);
    memset(p, 0, sizeof *p);
}

double cbt_num(const cJSON *arr, int i)
{
    const cJSON *v = cJSON_GetArrayItem(arr, i);
    cr_assert(cJSON_IsNumber(v), "reference value %d is not a number", i);
    return v->valuedouble;
}

double cbt_num2(const cJSON *arr, int i, int j)
{
    return cbt_num(cJSON_GetArrayItem(arr, i), j);
}

void cbt_check_case(cb_model *m, const char *name, const char *how, const cJSON *c, int index, unsigned checks,
                    double tol)
{
    const int max_length = cJSON_GetObjectItemCaseSensitive(c, "max_length")->valueint;
    cbt_pairs cp = cbt_case_pairs(name, index);
    const size_t n = cp.n;
    const cJSON *ref_ids = cJSON_GetObjectItemCaseSensitive(c, "input_ids");
    const cJSON *ref_types = cJSON_GetObjectItemCaseSensitive(c, "token_type_ids");
    const cJSON *batch_logits = cJSON_GetObjectItemCaseSensitive(c, "batch_logits");
    const cJSON *ce = cJSON_GetObjectItemCaseSensitive(c, "ce_predict");
    cr_assert(n > 0 && cJSON_GetArraySize(ref_ids) == (int)n && cJSON_GetArraySize(batch_logits) == (int)n);
    cr_assert(checks & (CBT_CHECK_LOGITS | CBT_CHECK_SCORES), "nothing to compare");
    const int L = cb_model_num_labels(m);
    int32_t *ids = malloc((size_t)max_length * sizeof *ids), *types = malloc((size_t)max_length * sizeof *types);
    float *logits = malloc(n * (size_t)L * sizeof *logits), *scores = malloc(n * (size_t)L * sizeof *scores);
    cr_assert(ids && types && logits && scores);
    cb_error err;

    for (size_t i = 0; i < n; i++) {
        size_t got;
        cr_assert_eq(cb_tokenize(m, &cp.pairs[i], max_length, ids, types, (size_t)max_length, &got, &err), CB_OK,
                     "%s (%s): %s", name, how, err.message);
        const cJSON *want = cJSON_GetArrayItem(ref_ids, (int)i);
        cr_assert_eq(got, (size_t)cJSON_GetArraySize(want), "%s (%s) max_length %d pair %zu: %zu tokens, want %d",
                     name, how, max_length, i, got, cJSON_GetArraySize(want));
        const cJSON *want_types = cJSON_GetArrayItem(ref_types, (int)i);
        for (size_t t = 0; t < got; t++) {
            cr_assert_eq(ids[t], (int32_t)cbt_num(want, (int)t), "%s (%s) pair %zu token %zu", name, how, i, t);
            const int32_t want_type = cJSON_IsArray(want_types) ? (int32_t)cbt_num(want_types, (int)t) : 0;
            cr_assert_eq(types[t], want_type, "%s (%s) pair %zu type %zu", name, how, i, t);
        }
    }
    if (checks & CBT_CHECK_LOGITS) {
        cb_predict_options raw = { .max_length = max_length, .activation = CB_ACTIVATION_NONE };
        cr_assert_eq(cb_predict(m, cp.pairs, n, &raw, logits, &err), CB_OK, "%s: %s", name, err.message);
    }
    if (checks & CBT_CHECK_SCORES) {
        cb_predict_options def = { .max_length = max_length };
        cr_assert_eq(cb_predict(m, cp.pairs, n, &def, scores, &err), CB_OK, "%s: %s", name, err.message);
    }
    double worst_logit = 0, worst_score = 0;
    for (size_t i = 0; i < n; i++) {
        for (int l = 0; l < L; l++) {
            const size_t at = i * (size_t)L + (size_t)l;
            if (checks & CBT_CHECK_LOGITS) {
                const double want = cbt_num2(batch_logits, (int)i, l), d = fabs(logits[at] - want);
                worst_logit = fmax(worst_logit, d);
                cr_expect(d <= tol, "%s (%s) max_length %d pair %zu label %d: logit %.7f, HF %.7f", name, how,
                          max_length, i, l, logits[at], want);
            }
            if (checks & CBT_CHECK_SCORES) {
                const double want = L == 1 ? cbt_num(ce, (int)i) : cbt_num2(ce, (int)i, l), d = fabs(scores[at] - want);
                worst_score = fmax(worst_score, d);
                cr_expect(d <= tol, "%s (%s) max_length %d pair %zu label %d: predict %.7f, CrossEncoder.predict %.7f",
                          name, how, max_length, i, l, scores[at], want);
            }
        }
    }
    fprintf(stderr, "%s (%s) max_length %d: %zu pairs", name, how, max_length, n);
    if (checks & CBT_CHECK_LOGITS) fprintf(stderr, ", worst |logit - HF| %.2e", worst_logit);
    if (checks & CBT_CHECK_SCORES) fprintf(stderr, ", worst |predict - CE| %.2e", worst_score);
    fprintf(stderr, "\n");
    cbt_pairs_free(&cp);
    free(ids);
    free(types);
    free(logits);
    free(scores);
}

cbt_cli_result cbt_run_cli(const char *args, const char *input, size_t input_len)
{
    char *in = cbt_temp_path("cli-in"), *out = cbt_temp_path("cli-out"), *err = cbt_temp_path("cli-err");
    cbt_write(in, input ? input : "", input ? input_len : 0);
    size_t n = strlen(args) + strlen(in) + strlen(out) + strlen(err) + strlen(CB_CLI_PATH) + 64;
    char *cmd = malloc(n);
    snprintf(cmd, n, "%s %s <%s >%s 2>%s", CB_CLI_PATH, args, in, out, err);
    int st = system(cmd);
    cr_assert(st != -1 && WIFEXITED(st), "could not run: %s", cmd);
    cbt_cli_result r = { WEXITSTATUS(st), cbt_read(out, NULL), cbt_read(err, NULL) };
    remove(in);
    remove(out);
    remove(err);
    free(in);
    free(out);
    free(err);
    free(cmd);
    return r;
}

void cbt_cli_result_free(cbt_cli_result *r)
{
    free(r->out);
    free(r->err);
}
