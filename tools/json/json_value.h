/* json_value.h: the one JSON reader of the tools and the tests (the library
 * itself reads config.json with cJSON). It exists because cJSON ends strings
 * at an escaped \u0000, and texts to score may hold one: strings here keep
 * their byte length. Strict RFC 8259: anything else is refused with the byte
 * position. Numbers keep the text they were written as (ids such as 1037798
 * stay exact) beside their value. */
#ifndef CB_JSON_VALUE_H
#define CB_JSON_VALUE_H

#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jv {
    jtype type;
    double num;          /* J_NUM: the value; J_BOOL: 1 or 0 */
    char *str;           /* J_STR: the decoded bytes (UTF-8, NULs kept), NUL-terminated;
                            J_NUM: the number as written */
    size_t str_len;      /* bytes of str, the terminating NUL not counted */
    struct jv *items;    /* J_ARR / J_OBJ: n values */
    char **keys;         /* J_OBJ: n keys, NUL-terminated */
    size_t n;
} jv;

/* Parses exactly one JSON value (whitespace around it allowed) from s[0..len).
 * 1 on success, with *out to release with jfree; 0 otherwise, with a reason
 * and byte offset in why (capacity why_cap) and nothing to free. A \uD800-
 * \uDFFF escape that is not half of a pair is kept as its 3-byte form, which
 * is not valid UTF-8: whoever uses the text then refuses it, with its offset.
 * Nesting deeper than 256 levels is refused. */
int jv_parse(const char *s, size_t len, jv *out, char *why, size_t why_cap);

void jfree(jv *v);

/* Member `key` of an object, or NULL (also when obj is not an object). */
const jv *jget(const jv *obj, const char *key);

#endif
