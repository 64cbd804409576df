/* json_reader.h: a minimal JSON reader for the test suites.
 * cJSON ends strings at an escaped \u0000, and one reference text holds one,
 * so the reference files' texts are read with this small parser, which keeps
 * string lengths. It accepts only what Python's json.dump writes. */
#ifndef CB_TEST_JSON_READER_H
#define CB_TEST_JSON_READER_H

#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jv {
    jtype type;
    double num;
    char *str;           /* J_STR: bytes (UTF-8), str_len of them */
    size_t str_len;
    struct jv *items;    /* J_ARR / J_OBJ values */
    char **keys;         /* J_OBJ keys */
    size_t n;
} jv;

/* Parses the file at path into *out or fails the test. */
void load_json(const char *path, jv *out);
void jfree(jv *v);
/* Member `key` of an object, or NULL. */
const jv *jget(const jv *obj, const char *key);

#endif
