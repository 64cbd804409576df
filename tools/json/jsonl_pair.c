/* jsonl_pair.c: see jsonl_pair.h. One line through the JSON reader
 * (tools/json), then its shape checked: an array of two strings, or a
 * string. */
#include "jsonl_pair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_value.h"

/* Moves a J_STR's bytes out of v, which jfree then leaves alone. */
static void take_string(jv *v, char **text, size_t *len)
{
    *text = v->str;
    *len = v->str_len;
    v->str = NULL;
}

int jsonl_pair_parse(const char *line, size_t len, jsonl_pair *out, char *why, size_t why_cap)
{
    memset(out, 0, sizeof *out);
    jv v;
    if (!jv_parse(line, len, &v, why, why_cap)) return 0;
    if (v.type != J_ARR || v.n != 2 || v.items[0].type != J_STR || v.items[1].type != J_STR) {
        snprintf(why, why_cap, "expected an array of two strings, [\"text a\", \"text b\"]");
        jfree(&v);
        return 0;
    }
    for (int k = 0; k < 2; k++) take_string(&v.items[k], &out->text[k], &out->len[k]);
    jfree(&v);
    return 1;
}

int jsonl_text_parse(const char *line, size_t len, char **text, size_t *text_len, char *why, size_t why_cap)
{
    *text = NULL;
    *text_len = 0;
    jv v;
    if (!jv_parse(line, len, &v, why, why_cap)) return 0;
    if (v.type != J_STR) {
        snprintf(why, why_cap, "expected a JSON string");
        jfree(&v);
        return 0;
    }
    take_string(&v, text, text_len);
    jfree(&v);
    return 1;
}

void jsonl_pair_free(jsonl_pair *p)
{
    free(p->text[0]);
    free(p->text[1]);
    memset(p, 0, sizeof *p);
}
