/* cli_args.h: option values of the `crossbyte` command and its subcommands. */
#ifndef CB_CLI_ARGS_H
#define CB_CLI_ARGS_H

/* v as a whole number in [lo, hi] into *out: 1, or 0 after saying on stderr
 * what flag needs (v may be NULL: the flag came last). */
int cli_parse_int(const char *flag, const char *v, int lo, int hi, int *out);

#endif
