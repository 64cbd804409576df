/* A consumer of the installed shared library, built with pkg-config
 * (tests/install/check.sh): converts a Hugging Face folder to an int8 .cbm
 * with the converter, then scores the pairs given on the command line from
 * that file. Prints the version, then one score per line (%.9g, as the CLI). */
#include <stdio.h>
#include <string.h>

#include <crossbyte.h>

int main(int argc, char **argv)
{
    if (argc < 5 || argc % 2 == 0) {
        fprintf(stderr, "usage: %s HF_DIR OUT.cbm QUERY PASSAGE [QUERY PASSAGE ...]\n", argv[0]);
        return 2;
    }
    printf("version %s header %s\n", cb_version(), CROSSBYTE_VERSION);
    cb_error err;
    cb_convert_options co = cb_convert_default_options();
    co.dtype = CB_DTYPE_INT8;
    if (cb_convert_with(argv[1], argv[2], &co, NULL, &err) != CB_OK) {
        fprintf(stderr, "convert: %s\n", err.message);
        return 1;
    }
    cb_model *m = NULL;
    if (cb_model_load(argv[2], NULL, &m, &err) != CB_OK) {
        fprintf(stderr, "load: %s\n", err.message);
        return 1;
    }
    for (int i = 3; i + 1 < argc; i += 2) {
        cb_pair p = { argv[i], CB_NUL_TERMINATED, argv[i + 1], CB_NUL_TERMINATED };
        float s;
        cb_predict_options po = cb_predict_default_options(m);
        if (cb_predict(m, &p, 1, &po, &s, &err) != CB_OK) {
            fprintf(stderr, "predict: %s\n", err.message);
            cb_model_free(m);
            return 1;
        }
        printf("%.9g\n", s);
    }
    cb_model_free(m);
    return 0;
}
