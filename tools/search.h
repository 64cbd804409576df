/* search.h: `crossbyte search`, retrieval with a bi-encoder over a corpus,
 * optionally reranked by a cross-encoder. */
#ifndef CB_SEARCH_H
#define CB_SEARCH_H

extern const char search_usage[];

/* argv[0] is the program, argv[1] "search". Returns the CLI's exit status:
 * 0 success, 1 a model or input error, 2 a usage error. */
int search_main(int argc, char **argv);

#endif
