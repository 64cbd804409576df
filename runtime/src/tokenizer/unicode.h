/* unicode.h: the Unicode facts the tokenizer needs, and strict UTF-8.
 *
 * Every answer comes from unicode_tables.c, generated from the same Rust
 * crates Hugging Face tokenizers uses (tools/unicode), so that "is this
 * punctuation" or "what is the NFD of this" agrees with the reference even
 * where those crates lag behind the current Unicode version. */
#ifndef CB_UNICODE_H
#define CB_UNICODE_H

#include <stddef.h>
#include <stdint.h>

/* Flag bits returned by cb_unicode_flags (same values as tools/unicode). */
#define CB_U_WHITESPACE 1u      /* BertNormalizer is_whitespace: \t \n \r or White_Space */
#define CB_U_STD_WHITESPACE 2u  /* Rust char::is_whitespace (BertPreTokenizer split) */
#define CB_U_CONTROL 4u         /* BertNormalizer is_control: Cc|Cf|Co except \t \n \r */
#define CB_U_PUNCT 8u           /* BertPreTokenizer: ASCII punctuation or P* */
#define CB_U_MN 16u             /* Mn, dropped by strip_accents */
#define CB_U_CJK 32u            /* BertNormalizer is_chinese_char */

/* Classes of ByteLevel's GPT-2 pattern (gpt2_split.h): \p{L}, \p{N} and \s as
 * Oniguruma 6.9.10 (Unicode 16.0), which the tokenizers 0.23 wheels run, has
 * them; disjoint. Same values as tools/unicode. */
#define CB_GPT2_OTHER 0u
#define CB_GPT2_LETTER 1u
#define CB_GPT2_NUMBER 2u
#define CB_GPT2_SPACE 3u

/* Longest NFD of one code point (Hangul: 3). */
#define CB_UNICODE_MAX_DECOMP 4
/* Longest lowercase expansion of one code point (Rust's to_lowercase). */
#define CB_UNICODE_MAX_LOWER 3

unsigned cb_unicode_flags(uint32_t cp);

/* CB_GPT2_* class of cp. */
unsigned cb_unicode_gpt2_class(uint32_t cp);

/* Canonical combining class (0 for starters). */
unsigned cb_unicode_ccc(uint32_t cp);

/* Full canonical decomposition of cp into out; returns the count (1 when cp
 * does not decompose, out[0] = cp). */
size_t cb_unicode_nfd(uint32_t cp, uint32_t out[CB_UNICODE_MAX_DECOMP]);

/* Rust's char::to_lowercase of cp into out; returns the count (>= 1). */
size_t cb_unicode_lower(uint32_t cp, uint32_t out[CB_UNICODE_MAX_LOWER]);

/* Decodes one strictly valid UTF-8 sequence at s[0..len): no overlong forms,
 * no surrogates, nothing above U+10FFFF, no truncated sequence. Returns its
 * byte length (1-4) and sets *cp, or 0 if the bytes are not valid. */
size_t cb_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* 1 if s[0..len) is valid UTF-8; otherwise 0 and *bad_offset = byte offset
 * of the first invalid sequence. */
int cb_utf8_validate(const char *s, size_t len, size_t *bad_offset);

/* Writes cp as UTF-8 into out (4 bytes of room); returns the byte count. cp
 * must be a Unicode scalar value. */
size_t cb_utf8_encode(uint32_t cp, char out[4]);

#endif
