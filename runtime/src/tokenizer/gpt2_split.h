/* gpt2_split.h: ByteLevel's pre-tokenisation pattern, matched by hand.
 *
 * tokenizers 0.23 (src/pre_tokenizers/byte_level.rs) splits every piece of
 * text between added tokens with GPT-2's pattern
 *
 *     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *
 * run by Oniguruma: the leftmost match, its alternatives tried in order,
 * greedy runs that backtrack. Every character falls in some alternative, so
 * the matches tile the piece and each one starts where the last ended. The
 * classes come from cb_unicode_gpt2_class (Oniguruma's own tables).
 *
 * The matcher sees a window of the piece and reports when the window was too
 * short to decide, so the caller can look for added tokens (which end the
 * piece) only as far ahead as the text is actually needed. */
#ifndef CB_GPT2_SPLIT_H
#define CB_GPT2_SPLIT_H

#include <stddef.h>

/* The match that starts at text[start], seen through the window
 * text[start, limit) (start < limit, or lead_space). lead_space puts a
 * virtual ' ' before text[start] (ByteLevel's add_prefix_space). `final`
 * says limit is where the piece really ends; otherwise nothing at or past
 * limit may be assumed.
 *
 * Returns 1 and sets *end (a byte offset into text, == start when the match
 * is the virtual space alone) when the window decides the match; returns 0
 * when the match depends on text at or past limit (never when final). The
 * window must hold valid UTF-8 and end on a character boundary. */
int cb_gpt2_match(const char *text, size_t start, size_t limit, int final, int lead_space,
                  size_t *end);

#endif
