/* jsonl_pair.c: see jsonl_pair.h. A strict reader of exactly one JSON array
 * of two strings; anything else is refused with the position. */
#include "jsonl_pair.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cursor {
    const char *s;
    size_t i, len;
} cursor;

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

/* UTF-8 of a code point; lone surrogates are written as their 3-byte form,
 * which the tokenizer then refuses as invalid UTF-8, naming the position. */
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

static int read_string(cursor *c, char **out, size_t *out_len)
{
    if (c->i >= c->len || c->s[c->i] != '"') return 0;
    c->i++;
    /* Decoded text is never longer than its escaped form. */
    char *buf = malloc(c->len - c->i + 1);
    if (!buf) return 0;
    size_t n = 0;
    while (c->i < c->len && c->s[c->i] != '"') {
        char ch = c->s[c->i++];
        if (ch != '\\') {
            buf[n++] = ch;
            continue;
        }
        if (c->i >= c->len) break;
        ch = c->s[c->i++];
        uint32_t cp, lo;
        switch (ch) {
        case '"': case '\\': case '/': buf[n++] = ch; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u':
            if (!hex4(c, &cp)) goto bad;
            if (cp >= 0xD800 && cp < 0xDC00 && c->i + 1 < c->len && c->s[c->i] == '\\' && c->s[c->i + 1] == 'u') {
                const size_t save = c->i;
                c->i += 2;
                if (hex4(c, &lo) && lo >= 0xDC00 && lo < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                else c->i = save;
            }
            n += put_utf8(cp, buf + n);
            break;
        default:
            goto bad;
        }
    }
    if (c->i >= c->len) goto bad;
    c->i++; /* closing quote */
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return 1;
bad:
    free(buf);
    return 0;
}

int jsonl_pair_parse(const char *line, size_t len, jsonl_pair *out, char *why, size_t why_cap)
{
    memset(out, 0, sizeof *out);
    cursor c = { line, 0, len };
    skip_ws(&c);
    if (c.i >= len || line[c.i] != '[') {
        snprintf(why, why_cap, "expected '[' at byte %zu", c.i);
        return 0;
    }
    c.i++;
    for (int k = 0; k < 2; k++) {
        skip_ws(&c);
        if (!read_string(&c, &out->text[k], &out->len[k])) {
            snprintf(why, why_cap, "expected a JSON string (text %c) at byte %zu", k ? 'b' : 'a', c.i);
            jsonl_pair_free(out);
            return 0;
        }
        skip_ws(&c);
        const char want = k == 0 ? ',' : ']';
        if (c.i >= len || line[c.i] != want) {
            snprintf(why, why_cap, "expected '%c' at byte %zu", want, c.i);
            jsonl_pair_free(out);
            return 0;
        }
        c.i++;
    }
    skip_ws(&c);
    if (c.i != len) {
        snprintf(why, why_cap, "unexpected text after the array at byte %zu", c.i);
        jsonl_pair_free(out);
        return 0;
    }
    return 1;
}

int jsonl_text_parse(const char *line, size_t len, char **text, size_t *text_len, char *why, size_t why_cap)
{
    *text = NULL;
    *text_len = 0;
    cursor c = { line, 0, len };
    skip_ws(&c);
    if (!read_string(&c, text, text_len)) {
        snprintf(why, why_cap, "expected a JSON string at byte %zu", c.i);
        return 0;
    }
    skip_ws(&c);
    if (c.i != len) {
        snprintf(why, why_cap, "unexpected text after the string at byte %zu", c.i);
        free(*text);
        *text = NULL;
        return 0;
    }
    return 1;
}

void jsonl_pair_free(jsonl_pair *p)
{
    free(p->text[0]);
    free(p->text[1]);
    memset(p, 0, sizeof *p);
}
