/* windows.h: where a long passage's windows start and end (long documents,
 * cb_predict_options.long_document = CB_LONG_CHUNK).
 *
 * The passage's tokens come with the byte span of the word each is a piece
 * of (token_sink.h); two tokens are pieces of one word when their spans
 * begin at the same byte. A window is a run [start, end) of tokens: at most
 * `width` of them, ending before a word's first piece, so no word is split,
 * unless a single word is wider than the window (then it must be). The next
 * window starts about `overlap` tokens before the end of this one, at a
 * word's first piece, and always after this one's start, so the windows
 * cover every token and there are at most n of them. */
#ifndef CB_WINDOWS_H
#define CB_WINDOWS_H

#include <stddef.h>

#include "token_sink.h"

/* End of the window of at most width (>= 1) tokens from start (< n). */
size_t cb_window_end(const cb_token_span *spans, size_t n, size_t start, size_t width);

/* Start of the window after [start, end) (end < n). */
size_t cb_window_next(const cb_token_span *spans, size_t start, size_t end, size_t overlap);

#endif
