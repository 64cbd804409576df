/* json_out.h: writing JSON strings for the CLI's output. */
#ifndef CB_JSON_OUT_H
#define CB_JSON_OUT_H

#include <stdio.h>

/* s (NUL-terminated UTF-8) as a JSON string literal: quotes, backslashes and
 * control characters escaped; other bytes as they are. */
void json_out_string(FILE *fp, const char *s);

#endif
