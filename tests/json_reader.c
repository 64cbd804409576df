/* json_reader.c: see json_reader.h. */
#include "json_reader.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "read_file.h"
#include "unicode.h"

typedef struct jp {
    const char *s;
    size_t i, len;
} jp;

static void jws(jp *p)
{
    while (p->i < p->len && strchr(" \t\r\n", p->s[p->i])) p->i++;
}

static unsigned hex4(jp *p)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p->s[p->i++];
        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
    }
    return v;
}

static int jparse(jp *p, jv *out);

static int jstring(jp *p, char **out, size_t *out_len)
{
    p->i++;   /* opening quote */
    char *buf = malloc(p->len - p->i + 1);
    cr_assert(buf, "out of memory");
    size_t n = 0;
    while (p->i < p->len && p->s[p->i] != '"') {
        char c = p->s[p->i++];
        if (c != '\\') {
            buf[n++] = c;
            continue;
        }
        c = p->s[p->i++];
        switch (c) {
        case 'n': buf[n++] = '\n'; break;
        case 't': buf[n++] = '\t'; break;
        case 'r': buf[n++] = '\r'; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'u': {
            uint32_t cp = hex4(p);
            if (cp >= 0xD800 && cp < 0xDC00 && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
                p->i += 2;
                uint32_t lo = hex4(p);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            n += cb_utf8_encode(cp, buf + n);
            break;
        }
        default: buf[n++] = c; break;
        }
    }
    p->i++;   /* closing quote */
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return 1;
}

static int jparse(jp *p, jv *out)
{
    memset(out, 0, sizeof *out);
    jws(p);
    if (p->i >= p->len) return 0;
    char c = p->s[p->i];
    if (c == '"') {
        out->type = J_STR;
        return jstring(p, &out->str, &out->str_len);
    }
    if (c == '[' || c == '{') {
        int obj = c == '{';
        out->type = obj ? J_OBJ : J_ARR;
        p->i++;
        size_t cap = 0;
        for (;;) {
            jws(p);
            if (p->s[p->i] == (obj ? '}' : ']')) {
                p->i++;
                return 1;
            }
            if (out->n == cap) {
                cap = cap ? cap * 2 : 8;
                out->items = realloc(out->items, cap * sizeof *out->items);
                cr_assert(out->items, "out of memory");
                if (obj) {
                    out->keys = realloc(out->keys, cap * sizeof *out->keys);
                    cr_assert(out->keys, "out of memory");
                }
            }
            if (obj) {
                size_t kl;
                jstring(p, &out->keys[out->n], &kl);
                jws(p);
                p->i++;   /* ':' */
            }
            if (!jparse(p, &out->items[out->n])) return 0;
            out->n++;
            jws(p);
            if (p->s[p->i] == ',') p->i++;
        }
    }
    if (c == 'n') { p->i += 4; out->type = J_NULL; return 1; }
    if (c == 't') { p->i += 4; out->type = J_BOOL; out->num = 1; return 1; }
    if (c == 'f') { p->i += 5; out->type = J_BOOL; return 1; }
    char *end;
    out->type = J_NUM;
    out->num = strtod(p->s + p->i, &end);
    if (end == p->s + p->i) return 0;
    p->i = (size_t)(end - p->s);
    return 1;
}

void jfree(jv *v)
{
    free(v->str);
    for (size_t i = 0; i < v->n; i++) {
        jfree(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
}

const jv *jget(const jv *obj, const char *key)
{
    for (size_t i = 0; obj->type == J_OBJ && i < obj->n; i++) {
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    }
    return NULL;
}

void load_json(const char *path, jv *out)
{
    char *buf;
    size_t size;
    cb_error err;
    cr_assert_eq(cb_read_file(path, NULL, &buf, &size, &err), CB_OK, "%s", err.message);
    jp p = { buf, 0, size };
    cr_assert(jparse(&p, out), "%s: cannot parse", path);
    free(buf);
}

