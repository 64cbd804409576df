/* support.h: shared helpers of the Criterion suites (fixture paths, the
 * Hugging Face reference outputs, temporary model files). */
#ifndef CB_TEST_SUPPORT_H
#define CB_TEST_SUPPORT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "crossbyte.h"

/* The fixtures folder: $CB_FIXTURES, else the copy in the repository. */
const char *cbt_fixtures(void);

/* malloc'd "<fixtures>/<name>" or "<fixtures>/<name>/<file>" (file may be NULL). */
char *cbt_fixture_path(const char *name, const char *file);

/* The parsed reference.json of a fixture; aborts the test if unreadable. */
cJSON *cbt_reference(const char *name);

/* malloc'd path of a scratch file under the build folder, unique per process. */
char *cbt_temp_path(const char *stem);

/* Converts fixture `name` to a .cbm file of the given dtype (cached per
 * process) and returns its malloc'd path. */
char *cbt_converted(const char *name, cb_dtype dtype);

/* Loads a model or fails the test with the error message. */
cb_model *cbt_load(const char *path, int n_threads);

/* Reads a whole file (malloc'd, NUL added) or fails the test. */
char *cbt_read(const char *path, size_t *size);

/* Runs `crossbyte ARGS` (the CLI under test) with `input` (NULL: none) on
 * stdin; captures its exit status, stdout and stderr. */
typedef struct cbt_cli_result {
    int status;
    char *out, *err;
} cbt_cli_result;
cbt_cli_result cbt_run_cli(const char *args, const char *input, size_t input_len);
void cbt_cli_result_free(cbt_cli_result *r);
void cbt_write(const char *path, const void *data, size_t size);

/* The pairs of case `index` of a fixture's reference.json, with exact byte
 * lengths (one reference text holds a NUL, which cJSON cannot keep). */
typedef struct cbt_pairs {
    cb_pair *pairs;
    size_t n;
    void *owner;   /* the parsed document the texts point into */
} cbt_pairs;

cbt_pairs cbt_case_pairs(const char *fixture, int index);
void cbt_pairs_free(cbt_pairs *p);

/* What cbt_check_case compares besides token ids and types. */
enum {
    CBT_CHECK_LOGITS = 1,   /* raw logits against batch_logits */
    CBT_CHECK_SCORES = 2,   /* default-activation predict against ce_predict */
};

/* Checks model m against case `index` (the cJSON object c) of fixture
 * `name`'s reference.json: token ids and token types (a null type list means
 * type 0, as RoBERTa's model sees), then what `checks` asks for, each value
 * within tol. `how` names the load path in messages. Prints the worst
 * differences. */
void cbt_check_case(cb_model *m, const char *name, const char *how, const cJSON *c, int index, unsigned checks,
                    double tol);

/* float at [i] or [i][j] of a JSON array of numbers / arrays. */
double cbt_num(const cJSON *arr, int i);
double cbt_num2(const cJSON *arr, int i, int j);

/* The BERT-family WordPiece fixtures every suite checks. */
extern const char *const cbt_bert_fixtures[];
extern const size_t cbt_n_bert_fixtures;

#endif
