/* support.c: see support.h. */
#include "support.h"

#include "json_reader.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    char stem[256];
    snprintf(stem, sizeof stem, "%s-%s.cbm", name, dtype == CB_DTYPE_INT8 ? "int8" : "f32");
    char *out = cbt_temp_path(stem);
    struct stat st;
    if (stat(out, &st) == 0) return out;
    char *dir = cbt_fixture_path(name, NULL);
    cb_error err;
    cb_status s = cb_convert(dir, out, dtype, NULL, &err);
    cr_assert_eq(s, CB_OK, "convert %s: %s", name, err.message);
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
