/* windows.c: the windows of a long passage (windows.h). */
#include "windows.h"

static int same_word(const cb_token_span *sp, size_t i, size_t j)
{
    return sp[i].begin == sp[j].begin;
}

size_t cb_window_end(const cb_token_span *sp, size_t n, size_t start, size_t width)
{
    if (n - start <= width) return n;
    size_t e = start + width;
    while (e > start && same_word(sp, e, e - 1)) e--;
    return e > start ? e : start + width;   /* one word wider than the window: split it, there is no other way */
}

size_t cb_window_next(const cb_token_span *sp, size_t start, size_t end, size_t overlap)
{
    size_t s = end - start > overlap ? end - overlap : start + 1;
    while (s < end && same_word(sp, s, s - 1)) s++;
    return s;
}
