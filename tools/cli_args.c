/* cli_args.c: see cli_args.h. */
#include "cli_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int cli_parse_int(const char *flag, const char *v, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || end == v || *end || errno || n < lo || n > hi) {
        fprintf(stderr, "crossbyte: %s needs a whole number from %d to %d, got '%s'\n", flag, lo, hi, v ? v : "");
        return 0;
    }
    *out = (int)n;
    return 1;
}

char *cli_read_line(FILE *fp, size_t *len)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, fp);
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    *len = (size_t)n;
    return line;
}
