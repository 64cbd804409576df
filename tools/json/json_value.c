/* json_value.c: see json_value.h. A recursive-descent reader over a cursor;
 * every failure path frees what it built. */
#include "json_value.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 256

typedef struct cursor {
    const char *s;
    size_t i, len;
    char *why;
    size_t why_cap;
} cursor;

static int fail(cursor *c, const char *what)
{
    snprintf(c->why, c->why_cap, "%s at byte %zu", what, c->i);
    return 0;
}

static void skip_ws(cursor *c)
{
    while (c->i < c->len && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\r' || c->s[c->i] == '\n'))
        c->i++;
}

static int hex4(cursor *c, uint32_t *v)
{
    *v = 0;
    for (int k = 0; k < 4; k++, c->i++) {
        if (c->i >= c->len) return 0;
        const char h = c->s[c->i];
        const int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
        if (d < 0) return 0;
        *v = *v * 16 + (uint32_t)d;
    }
    return 1;
}

static size_t put_utf8(uint32_t cp, char *o)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string at the cursor (on its opening quote). Raw bytes pass through as
 * they are (UTF-8 is checked by whoever tokenizes them); raw control
 * characters are refused, as RFC 8259 says. */
static int read_string(cursor *c, char **out, size_t *out_len)
{
    c->i++;
    /* The decoded text is never longer than its escaped form. */
    char *buf = malloc(c->len - c->i + 1);
    if (!buf) return fail(c, "out of memory for a string");
    size_t n = 0;
    for (;;) {
        if (c->i >= c->len) {
            free(buf);
            return fail(c, "unterminated string");
        }
        char ch = c->s[c->i];
        if (ch == '"') break;
        if ((unsigned char)ch < 0x20) {
            free(buf);
            return fail(c, "control character in a string");
        }
        c->i++;
        if (ch != '\\') {
            buf[n++] = ch;
            continue;
        }
        ch = c->i < c->len ? c->s[c->i++] : '\0';
        uint32_t cp, lo;
        switch (ch) {
        case '"': case '\\': case '/': buf[n++] = ch; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u':
            if (!hex4(c, &cp)) {
                free(buf);
                return fail(c, "bad \\u escape");
            }
            if (cp >= 0xD800 && cp < 0xDC00 && c->i + 1 < c->len && c->s[c->i] == '\\' && c->s[c->i + 1] == 'u') {
                const size_t save = c->i;
                c->i += 2;
                if (hex4(c, &lo) && lo >= 0xDC00 && lo < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                else c->i = save;
            }
            n += put_utf8(cp, buf + n);
            break;
        default:
            c->i -= 2; /* point at the backslash */
            free(buf);
            return fail(c, "bad escape");
        }
    }
    c->i++; /* closing quote */
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return 1;
}

static int is_digit(cursor *c)
{
    return c->i < c->len && c->s[c->i] >= '0' && c->s[c->i] <= '9';
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int read_number(cursor *c, jv *out)
{
    const size_t start = c->i;
    if (c->i < c->len && c->s[c->i] == '-') c->i++;
    if (!is_digit(c)) return fail(c, "expected a value");
    if (c->s[c->i] == '0') c->i++;
    else while (is_digit(c)) c->i++;
    if (c->i < c->len && c->s[c->i] == '.') {
        c->i++;
        if (!is_digit(c)) return fail(c, "expected a digit");
        while (is_digit(c)) c->i++;
    }
    if (c->i < c->len && (c->s[c->i] == 'e' || c->s[c->i] == 'E')) {
        c->i++;
        if (c->i < c->len && (c->s[c->i] == '+' || c->s[c->i] == '-')) c->i++;
        if (!is_digit(c)) return fail(c, "expected a digit");
        while (is_digit(c)) c->i++;
    }
    const size_t n = c->i - start;
    out->str = malloc(n + 1);
    if (!out->str) return fail(c, "out of memory for a number");
    memcpy(out->str, c->s + start, n);
    out->str[n] = '\0';
    out->str_len = n;
    out->type = J_NUM;
    out->num = strtod(out->str, NULL);
    return 1;
}

static int literal(cursor *c, const char *word, jtype type, double num, jv *out)
{
    const size_t n = strlen(word);
    if (c->len - c->i < n || memcmp(c->s + c->i, word, n) != 0) return fail(c, "expected a value");
    c->i += n;
    out->type = type;
    out->num = num;
    return 1;
}

static int parse_value(cursor *c, jv *out, int depth);

/* An array or an object at the cursor (on its bracket). */
static int read_container(cursor *c, jv *out, int depth)
{
    const int obj = c->s[c->i] == '{';
    const char close = obj ? '}' : ']';
    out->type = obj ? J_OBJ : J_ARR;
    if (depth >= MAX_DEPTH) return fail(c, "nesting too deep");
    c->i++;
    skip_ws(c);
    if (c->i < c->len && c->s[c->i] == close) {
        c->i++;
        return 1;
    }
    size_t cap = 0;
    for (;;) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 8;
            jv *items = realloc(out->items, cap * sizeof *items);
            if (!items) return fail(c, "out of memory");
            out->items = items;
            if (obj) {
                char **keys = realloc(out->keys, cap * sizeof *keys);
                if (!keys) return fail(c, "out of memory");
                out->keys = keys;
            }
        }
        skip_ws(c);
        if (obj) {
            size_t key_len;
            if (c->i >= c->len || c->s[c->i] != '"') return fail(c, "expected a key");
            if (!read_string(c, &out->keys[out->n], &key_len)) return 0;
            skip_ws(c);
            if (c->i >= c->len || c->s[c->i] != ':') {
                free(out->keys[out->n]);
                return fail(c, "expected ':'");
            }
            c->i++;
        }
        if (!parse_value(c, &out->items[out->n], depth + 1)) {
            if (obj) free(out->keys[out->n]);
            return 0;
        }
        out->n++;
        skip_ws(c);
        if (c->i < c->len && c->s[c->i] == ',') {
            c->i++;
            continue;
        }
        if (c->i < c->len && c->s[c->i] == close) {
            c->i++;
            return 1;
        }
        return fail(c, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int parse_value(cursor *c, jv *out, int depth)
{
    memset(out, 0, sizeof *out);
    skip_ws(c);
    if (c->i >= c->len) return fail(c, "expected a value");
    switch (c->s[c->i]) {
    case '"':
        out->type = J_STR;
        return read_string(c, &out->str, &out->str_len);
    case '[': case '{': {
        const int ok = read_container(c, out, depth);
        if (!ok) jfree(out);
        return ok;
    }
    case 'n': return literal(c, "null", J_NULL, 0, out);
    case 't': return literal(c, "true", J_BOOL, 1, out);
    case 'f': return literal(c, "false", J_BOOL, 0, out);
    default: return read_number(c, out);
    }
}

int jv_parse(const char *s, size_t len, jv *out, char *why, size_t why_cap)
{
    cursor c = { s, 0, len, why, why_cap };
    if (why_cap) why[0] = '\0';
    if (!parse_value(&c, out, 0)) return 0;
    skip_ws(&c);
    if (c.i != len) {
        jfree(out);
        return fail(&c, "unexpected text after the value");
    }
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
    memset(v, 0, sizeof *v);
}

const jv *jget(const jv *obj, const char *key)
{
    for (size_t i = 0; obj && obj->type == J_OBJ && i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}
