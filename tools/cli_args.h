/* cli_args.h: option values of the `crossbyte` command and its subcommands. */
#ifndef CB_CLI_ARGS_H
#define CB_CLI_ARGS_H

#include <stddef.h>
#include <stdio.h>

/* v as a whole number in [lo, hi] into *out: 1, or 0 after saying on stderr
 * what flag needs (v may be NULL: the flag came last). */
int cli_parse_int(const char *flag, const char *v, int lo, int hi, int *out);

/* Reads one line of any length from fp without its line ending ("\n" or
 * "\r\n"); NULL at the end of input. *len gets its length; the caller frees it. */
char *cli_read_line(FILE *fp, size_t *len);

#endif
