/* jsonl_pair.h: one JSON Lines input line, ["text a", "text b"] or "text", decoded with
 * exact byte lengths (a text may hold \u0000, which a C string cannot). */
#ifndef CB_JSONL_PAIR_H
#define CB_JSONL_PAIR_H

#include <stddef.h>

typedef struct jsonl_pair {
    char *text[2];      /* malloc'd, NUL-terminated for convenience */
    size_t len[2];      /* byte lengths, NULs inside counted */
} jsonl_pair;

/* 1 on success; 0 with a reason in why (capacity why_cap) otherwise. */
int jsonl_pair_parse(const char *line, size_t len, jsonl_pair *out, char *why, size_t why_cap);
void jsonl_pair_free(jsonl_pair *p);

/* One JSON Lines text, "a string": *text is malloc'd (the caller frees it),
 * *text_len its byte length. 1 on success; 0 with a reason in why. */
int jsonl_text_parse(const char *line, size_t len, char **text, size_t *text_len, char *why, size_t why_cap);

#endif
