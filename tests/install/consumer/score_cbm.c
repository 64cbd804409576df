/* A consumer of the installed static runtime, built with find_package
 * (tests/install/consumer/CMakeLists.txt): loads a .cbm with the runtime
 * alone, scores the pairs given on the command line, and checks that the
 * runtime refuses a Hugging Face folder (that needs the converter). */
#include <stdio.h>

#include <crossbyte.h>

int main(int argc, char **argv)
{
    if (argc < 5 || argc % 2 == 0) {
        fprintf(stderr, "usage: %s MODEL.cbm HF_DIR QUERY PASSAGE [QUERY PASSAGE ...]\n", argv[0]);
        return 2;
    }
    printf("version %s header %s\n", cb_version(), CROSSBYTE_VERSION);
    cb_error err;
    cb_model *m = NULL;
    if (cb_model_load_file(argv[2], NULL, &m, &err) != CB_ERR_UNSUPPORTED_MODEL) {
        fprintf(stderr, "the runtime alone did not refuse the folder %s\n", argv[2]);
        cb_model_free(m);
        return 1;
    }
    printf("folder refused: %s\n", err.message);
    cb_load_options lo = cb_load_default_options();
    if (cb_model_load_file(argv[1], &lo, &m, &err) != CB_OK) {
        fprintf(stderr, "load: %s\n", err.message);
        return 1;
    }
    for (int i = 3; i + 1 < argc; i += 2) {
        cb_pair p = { argv[i], CB_NUL_TERMINATED, argv[i + 1], CB_NUL_TERMINATED };
        float s;
        if (cb_predict(m, &p, 1, NULL, &s, &err) != CB_OK) {
            fprintf(stderr, "predict: %s\n", err.message);
            cb_model_free(m);
            return 1;
        }
        printf("%.9g\n", s);
    }
    cb_model_free(m);
    return 0;
}
