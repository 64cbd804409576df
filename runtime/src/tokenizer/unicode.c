/* unicode.c: lookups over the generated tables, and strict UTF-8. */
#include "unicode.h"

#include "unicode_tables.h"

/* Binary search over sorted, disjoint runs; 0 when cp is in none. */
static unsigned run_value(const cb_urange *runs, size_t count, uint32_t cp)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < runs[mid].first) {
            hi = mid;
        } else if (cp > runs[mid].last) {
            lo = mid + 1;
        } else {
            return runs[mid].value;
        }
    }
    return 0;
}

unsigned cb_unicode_flags(uint32_t cp)
{
    /* ASCII is most text: answer it without the search. */
    if (cp < 128) return cb_uflags_ascii[cp];
    return run_value(cb_uflag_runs, cb_uflag_runs_count, cp);
}

unsigned cb_unicode_gpt2_class(uint32_t cp)
{
    if (cp < 128) return cb_ugpt2_ascii[cp];
    return run_value(cb_ugpt2_runs, cb_ugpt2_runs_count, cp);
}

unsigned cb_unicode_ccc(uint32_t cp)
{
    if (cp < 0x300) return 0;
    return run_value(cb_uccc_runs, cb_uccc_runs_count, cp);
}

/* Hangul syllables decompose by arithmetic (Unicode 3.12), as the
 * normalization crate does, instead of 11172 table rows. */
enum {
    HANGUL_S_BASE = 0xAC00, HANGUL_L_BASE = 0x1100, HANGUL_V_BASE = 0x1161,
    HANGUL_T_BASE = 0x11A7, HANGUL_V_COUNT = 21, HANGUL_T_COUNT = 28,
    HANGUL_N_COUNT = HANGUL_V_COUNT * HANGUL_T_COUNT, HANGUL_S_COUNT = 19 * HANGUL_N_COUNT
};

size_t cb_unicode_nfd(uint32_t cp, uint32_t out[CB_UNICODE_MAX_DECOMP])
{
    if (cp < 0xC0) {   /* nothing below U+00C0 decomposes */
        out[0] = cp;
        return 1;
    }
    if (cp >= HANGUL_S_BASE && cp < HANGUL_S_BASE + HANGUL_S_COUNT) {
        uint32_t s = cp - HANGUL_S_BASE;
        out[0] = HANGUL_L_BASE + s / HANGUL_N_COUNT;
        out[1] = HANGUL_V_BASE + (s % HANGUL_N_COUNT) / HANGUL_T_COUNT;
        if (s % HANGUL_T_COUNT == 0) return 2;
        out[2] = HANGUL_T_BASE + s % HANGUL_T_COUNT;
        return 3;
    }
    size_t lo = 0, hi = cb_udecomps_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < cb_udecomps[mid].cp) {
            hi = mid;
        } else if (cp > cb_udecomps[mid].cp) {
            lo = mid + 1;
        } else {
            const cb_udecomp *d = &cb_udecomps[mid];
            for (size_t i = 0; i < d->len; i++) out[i] = cb_udecomp_pool[d->offset + i];
            return d->len;
        }
    }
    out[0] = cp;
    return 1;
}

size_t cb_unicode_lower(uint32_t cp, uint32_t out[CB_UNICODE_MAX_LOWER])
{
    if (cp < 128) {
        out[0] = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
        return 1;
    }
    size_t lo = 0, hi = cb_ulower1_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < cb_ulower1[mid].cp) {
            hi = mid;
        } else if (cp > cb_ulower1[mid].cp) {
            lo = mid + 1;
        } else {
            out[0] = cb_ulower1[mid].to;
            return 1;
        }
    }
    /* A handful of entries (U+0130 today): a linear scan is enough. */
    for (size_t i = 0; i < cb_ulowerm_count; i++) {
        if (cb_ulowerm[i].cp == cp) {
            for (size_t k = 0; k < cb_ulowerm[i].n; k++) out[k] = cb_ulowerm[i].to[k];
            return cb_ulowerm[i].n;
        }
    }
    out[0] = cp;
    return 1;
}

static int is_cont(unsigned char b) { return (b & 0xC0) == 0x80; }

size_t cb_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    if (len == 0) return 0;
    unsigned char b0 = s[0];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    /* The second byte's allowed range is what rules out overlong forms
     * (E0, F0), surrogates (ED) and code points past U+10FFFF (F4). */
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    uint32_t c;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        n = 2; c = b0 & 0x1Fu;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        n = 3; c = b0 & 0x0Fu;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        n = 4; c = b0 & 0x07u;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
    } else {
        return 0;   /* continuation byte, C0/C1 overlong lead, or F5..FF */
    }
    if (len < n) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    c = (c << 6) | (s[1] & 0x3Fu);
    for (size_t i = 2; i < n; i++) {
        if (!is_cont(s[i])) return 0;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    *cp = c;
    return n;
}

int cb_utf8_validate(const char *s, size_t len, size_t *bad_offset)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = cb_utf8_decode(u + i, len - i, &cp);
        if (n == 0) {
            *bad_offset = i;
            return 0;
        }
        i += n;
    }
    return 1;
}

size_t cb_utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}
