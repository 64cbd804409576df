/* test_cli.c: the `crossbyte` command as a user runs it: its output contract
 * (one JSON line per pair, in order), its exit codes and its messages. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "support.h"

/* The pairs of a reference case as JSON Lines. */
static char *pairs_jsonl(const cJSON *c, size_t *len)
{
    const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(c, "pairs");
    size_t cap = 1 << 20, used = 0;
    char *buf = malloc(cap);
    const cJSON *p;
    cJSON_ArrayForEach(p, pairs) {
        char *line = cJSON_PrintUnformatted(p);
        size_t l = strlen(line);
        while (used + l + 2 > cap) buf = realloc(buf, cap *= 2);
        memcpy(buf + used, line, l);
        used += l;
        buf[used++] = '\n';
        free(line);
    }
    buf[used] = '\0';
    *len = used;
    return buf;
}

static char *model_arg(const char *fixture)
{
    char *path = cbt_converted(fixture, CB_DTYPE_F32);
    return path;
}

Test(cli, predict_matches_crossencoder)
{
    const char *names[] = { "bert-tiny", "bert-nli-3label" };
    for (int f = 0; f < 2; f++) {
        cJSON *ref = cbt_reference(names[f]);
        const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ref, "cases"), 1);
        const int max_length = cJSON_GetObjectItemCaseSensitive(c, "max_length")->valueint;
        const cJSON *ce = cJSON_GetObjectItemCaseSensitive(c, "ce_predict");
        size_t len;
        char *input = pairs_jsonl(c, &len), *model = model_arg(names[f]);
        char args[4096];
        snprintf(args, sizeof args, "predict %s --max-length %d --batch-size 7", model, max_length);
        cbt_cli_result r = cbt_run_cli(args, input, len);
        cr_assert_eq(r.status, 0, "stderr: %s", r.err);
        char *save = NULL, *line = strtok_r(r.out, "\n", &save);
        for (int i = 0; i < cJSON_GetArraySize(ce); i++, line = strtok_r(NULL, "\n", &save)) {
            cr_assert(line != NULL, "%s: output line %d missing", names[f], i);
            cJSON *got = cJSON_Parse(line);
            const cJSON *want = cJSON_GetArrayItem(ce, i);
            if (cJSON_IsNumber(want)) {
                cr_assert(cJSON_IsNumber(got), "line %d: %s", i, line);
                cr_expect(fabs(got->valuedouble - want->valuedouble) <= 1e-4, "line %d: %s vs %f", i, line,
                          want->valuedouble);
            } else {
                cr_assert(cJSON_IsArray(got) && cJSON_GetArraySize(got) == cJSON_GetArraySize(want), "line %d", i);
                for (int l = 0; l < cJSON_GetArraySize(want); l++)
                    cr_expect(fabs(cbt_num(got, l) - cbt_num(want, l)) <= 1e-4, "line %d label %d", i, l);
            }
            cJSON_Delete(got);
        }
        cr_expect_null(line, "no extra output lines");
        cbt_cli_result_free(&r);
        free(input);
        free(model);
        cJSON_Delete(ref);
    }
}

Test(cli, labels_option_names_each_score)
{
    char *model = model_arg("bert-nli-3label");
    char args[4096];
    snprintf(args, sizeof args, "predict %s --labels --softmax", model);
    const char *in = "[\"a man eats\", \"a man is eating\"]\n";
    cbt_cli_result r = cbt_run_cli(args, in, strlen(in));
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    cJSON *o = cJSON_Parse(r.out);
    cr_assert(cJSON_IsObject(o), "output: %s", r.out);
    /* Any softmax sums to 1: check each value against the softmax, in
     * double, of the raw logits the API gives for the same pair. */
    const char *names[] = { "contradiction", "entailment", "neutral" };
    cb_model *m = cbt_load(model, 1);
    const cb_pair pair = { "a man eats", CB_NUL_TERMINATED, "a man is eating", CB_NUL_TERMINATED };
    const cb_predict_options raw = { .activation = CB_ACTIVATION_NONE };
    float logits[3];
    cb_error err;
    cr_assert_eq(cb_predict(m, &pair, 1, &raw, logits, &err), CB_OK, "%s", err.message);
    cb_model_free(m);
    double mx = logits[0], sum = 0, want[3];
    for (int i = 1; i < 3; i++) mx = logits[i] > mx ? logits[i] : mx;
    for (int i = 0; i < 3; i++) sum += (want[i] = exp((double)logits[i] - mx));
    for (int i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, names[i]);
        cr_assert(cJSON_IsNumber(v), "label %s in %s", names[i], r.out);
        cr_expect(fabs(v->valuedouble - want[i] / sum) <= 1e-6, "%s: %.9g, softmax of the logits %.9g", names[i],
                  v->valuedouble, want[i] / sum);
    }
    cJSON_Delete(o);
    cbt_cli_result_free(&r);
    free(model);
}

Test(cli, tokenize_matches_reference)
{
    cJSON *ref = cbt_reference("bert-tiny");
    const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ref, "cases"), 0);
    size_t len;
    char *input = pairs_jsonl(c, &len), *folder = cbt_fixture_path("bert-tiny", NULL);
    char args[4096];
    snprintf(args, sizeof args, "tokenize %s --max-length 512", folder);
    cbt_cli_result r = cbt_run_cli(args, input, len);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c, "input_ids");
    char *save = NULL, *line = strtok_r(r.out, "\n", &save);
    for (int i = 0; i < cJSON_GetArraySize(ids); i++, line = strtok_r(NULL, "\n", &save)) {
        cr_assert(line);
        cJSON *got = cJSON_Parse(line);
        const cJSON *gi = cJSON_GetObjectItemCaseSensitive(got, "input_ids");
        const cJSON *want = cJSON_GetArrayItem(ids, i);
        cr_assert_eq(cJSON_GetArraySize(gi), cJSON_GetArraySize(want), "pair %d", i);
        for (int t = 0; t < cJSON_GetArraySize(want); t++) cr_expect_eq(cbt_num(gi, t), cbt_num(want, t));
        cr_expect(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(got, "token_type_ids")));
        cJSON_Delete(got);
    }
    cbt_cli_result_free(&r);
    free(input);
    free(folder);
    cJSON_Delete(ref);
}

Test(cli, rank_orders_by_crossencoder_scores)
{
    cJSON *ref = cbt_reference("bert-tiny");
    const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ref, "cases"), 0);
    const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(c, "pairs");
    /* Rank the passages of the pairs whose query is the first pair's query. */
    const char *query = cJSON_GetArrayItem(cJSON_GetArrayItem(pairs, 0), 0)->valuestring;
    char input[8192] = "";
    double want[16];
    int n = 0;
    for (int i = 0; i < cJSON_GetArraySize(pairs) && n < 16; i++) {
        const cJSON *p = cJSON_GetArrayItem(pairs, i);
        if (strcmp(cJSON_GetArrayItem(p, 0)->valuestring, query) != 0) continue;
        strcat(input, cJSON_GetArrayItem(p, 1)->valuestring);
        strcat(input, "\n");
        want[n++] = cbt_num(cJSON_GetObjectItemCaseSensitive(c, "ce_predict"), i);
    }
    cr_assert(n >= 2);
    char *model = model_arg("bert-tiny");
    char args[4096];
    snprintf(args, sizeof args, "rank %s --query '%s' --top-k %d", model, query, n);
    cbt_cli_result r = cbt_run_cli(args, input, strlen(input));
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    char *save = NULL, *line = strtok_r(r.out, "\n", &save);
    double prev = INFINITY;
    for (int k = 0; k < n; k++, line = strtok_r(NULL, "\n", &save)) {
        cr_assert(line);
        cJSON *o = cJSON_Parse(line);
        int id = cJSON_GetObjectItemCaseSensitive(o, "corpus_id")->valueint;
        double score = cJSON_GetObjectItemCaseSensitive(o, "score")->valuedouble;
        cr_assert(id >= 0 && id < n);
        cr_expect(fabs(score - want[id]) <= 1e-4);
        cr_expect(score <= prev, "best first");
        prev = score;
        cJSON_Delete(o);
    }
    cbt_cli_result_free(&r);
    free(model);
    cJSON_Delete(ref);
}

Test(cli, errors_exit_non_zero_with_a_message)
{
    char *model = model_arg("bert-tiny");
    char args[4096];
    /* with_model: the format's %s is the model path. */
    struct {
        int with_model;
        const char *args_fmt, *input, *expect;
        int status;
    } cases[] = {
        { 1, "predict %s", "[\"ok\", \"fine\"]\n[\"only one\"]\n", "line 2", 1 },
        { 1, "predict %s", "{not json\n", "line 1", 1 },
        { 1, "predict %s", "[\"bad \xff utf8\", \"x\"]\n", "UTF-8", 1 },
        { 1, "predict %s --max-length 100000", "[\"a\", \"b\"]\n", "max_length", 1 },
        { 1, "predict %s --max-length 0", "[\"a\", \"b\"]\n", "--max-length", 2 },
        { 1, "predict %s --threads x", "", "--threads", 2 },
        { 1, "predict %s --bogus", "", "unknown option", 2 },
        { 1, "rank %s", "a\n", "--query", 2 },
        { 0, "predict /nonexistent.cbm", "", "/nonexistent.cbm", 1 },
        { 0, "frobnicate", "", "unknown command", 2 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].with_model) snprintf(args, sizeof args, cases[i].args_fmt, model);
        else snprintf(args, sizeof args, "%s", cases[i].args_fmt);
        cbt_cli_result r = cbt_run_cli(args, cases[i].input, strlen(cases[i].input));
        cr_expect_eq(r.status, cases[i].status, "case %zu (%s): status %d, stderr: %s", i, args, r.status, r.err);
        cr_expect(strstr(r.err, cases[i].expect) != NULL, "case %zu (%s): stderr lacks '%s': %s", i, args,
                  cases[i].expect, r.err);
        cbt_cli_result_free(&r);
    }
    free(model);
}

Test(cli, every_command_has_help)
{
    const char *cmds[] = { "--help", "predict --help", "rank --help", "tokenize --help", "convert --help" };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        cbt_cli_result r = cbt_run_cli(cmds[i], "", 0);
        cr_expect_eq(r.status, 0, "%s", cmds[i]);
        cr_expect(strstr(r.out, "usage") != NULL, "%s prints usage", cmds[i]);
        cbt_cli_result_free(&r);
    }
}

Test(cli, convert_reports_sizes)
{
    char *folder = cbt_fixture_path("bert-tiny", NULL), *out = cbt_temp_path("cli-convert.cbm");
    char args[4096];
    snprintf(args, sizeof args, "convert %s -o %s --dtype f32", folder, out);
    cbt_cli_result r = cbt_run_cli(args, "", 0);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    cr_expect(strstr(r.out, "MB") != NULL, "output: %s", r.out);
    remove(out);
    cbt_cli_result_free(&r);
    free(folder);
    free(out);
}
