/* command.h: `crossbyte eval`, the evaluation command of the CLI. */
#ifndef CB_EVAL_COMMAND_H
#define CB_EVAL_COMMAND_H

extern const char eval_usage[];

/* argv[0] is the program, argv[1] "eval". Returns the CLI's exit status:
 * 0 success, 1 a model or input error, 2 a usage error. */
int eval_main(int argc, char **argv);

#endif
