/* gpt2_split.c: see gpt2_split.h. */
#include "gpt2_split.h"

#include <stdint.h>

#include "unicode.h"

/* The window as the pattern sees it: offsets count the virtual space (when
 * there is one) as one byte before text[start]. */
typedef struct window {
    const unsigned char *text;
    size_t start;
    size_t n;          /* lead + (limit - start) */
    int lead;
    int final;
    int more;          /* looked at or past limit while the piece goes on */
} window;

#define END (-1)

/* The character at window offset i and its byte length; END past the
 * window, which also records that the answer may need more text. */
static int32_t at(window *w, size_t i, size_t *len)
{
    *len = 0;
    if (i >= w->n) {
        if (!w->final) w->more = 1;
        return END;
    }
    if (w->lead && i == 0) {
        *len = 1;
        return ' ';
    }
    const unsigned char *p = w->text + w->start + (i - (size_t)w->lead);
    if (*p < 0x80) {
        *len = 1;
        return *p;
    }
    uint32_t cp = 0;
    size_t k = cb_utf8_decode(p, w->n - i, &cp);
    if (k == 0) {
        /* Only a window cut inside a character gets here (the caller cuts on
         * boundaries): treat it as the window's end. */
        if (!w->final) w->more = 1;
        return END;
    }
    *len = k;
    return (int32_t)cp;
}

static unsigned cls(int32_t c)
{
    return cb_unicode_gpt2_class((uint32_t)c);
}

/* Window offset of the first character at or after i not of class k. */
static size_t run_end(window *w, size_t i, unsigned k)
{
    for (;;) {
        size_t len;
        int32_t c = at(w, i, &len);
        if (c == END || cls(c) != k) return i;
        i += len;
    }
}

/* 's 't 'm 'd (2 bytes) or 're 've 'll (3) at offset 0, else 0. */
static size_t contraction(window *w)
{
    size_t l0, l1, l2;
    if (at(w, 0, &l0) != '\'') return 0;
    int32_t c1 = at(w, l0, &l1);
    if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return 2;
    if (c1 != 'r' && c1 != 'v' && c1 != 'l') return 0;
    int32_t c2 = at(w, l0 + l1, &l2);
    return c2 == (c1 == 'l' ? 'l' : 'e') ? 3 : 0;
}

/* The pattern's match at offset 0, as a window offset. */
static size_t match(window *w)
{
    size_t m = contraction(w);
    if (m) return m;

    /* ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': the optional space is
     * U+0020 only, taken when a character of one of those classes follows. */
    size_t l0, l1;
    int32_t c0 = at(w, 0, &l0);
    size_t from = 0;
    unsigned k = cls(c0);
    if (c0 == ' ') {
        int32_t c1 = at(w, l0, &l1);
        if (c1 != END && cls(c1) != CB_GPT2_SPACE) {
            from = l0;
            k = cls(c1);
        }
    }
    if (k != CB_GPT2_SPACE) return run_end(w, from, k);

    /* A run of whitespace. At the end of the piece '\s+(?!\S)' takes all of
     * it. Before other text it backtracks one character, so the last space
     * can start the next word ('\s+(?!\S)'), unless the run is one
     * character long: then '\s+' takes it. */
    size_t last = 0, i = 0;
    for (;;) {
        size_t len;
        int32_t c = at(w, i, &len);
        if (c == END) return i;
        if (cls(c) != CB_GPT2_SPACE) return last > 0 ? last : i;
        last = i;
        i += len;
    }
}

int cb_gpt2_match(const char *text, size_t start, size_t limit, int final, int lead_space,
                  size_t *end)
{
    window w = {
        .text = (const unsigned char *)text, .start = start,
        .n = (size_t)(lead_space != 0) + (limit - start), .lead = lead_space != 0,
        .final = final != 0, .more = 0,
    };
    size_t m = match(&w);
    if (w.more) return 0;
    *end = start + (m - (size_t)w.lead);
    return 1;
}
