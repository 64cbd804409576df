/* count_alloc.h: a cb_allocator for the tests that counts what the library
 * allocates and can make one chosen allocation fail (test_oom, test_stress).
 * Thread-safe: a model shared by several threads calls it concurrently. */
#ifndef CB_TEST_COUNT_ALLOC_H
#define CB_TEST_COUNT_ALLOC_H

#include <pthread.h>
#include <stddef.h>

#include "crossbyte.h"

typedef struct cbt_counter {
    pthread_mutex_t lock;
    long calls;        /* allocations (malloc and realloc) since cbt_counter_arm */
    long fail_at;      /* the allocation number that fails; 0: none */
    int injected;      /* that failure happened */
    long live;         /* blocks not freed yet */
    size_t bytes;      /* their bytes */
    size_t peak;       /* the most bytes live at once since cbt_counter_reset_peak */
    cb_allocator allocator;   /* functions over this counter */
} cbt_counter;

void cbt_counter_init(cbt_counter *c);
void cbt_counter_destroy(cbt_counter *c);

/* Counting starts again from 0 and allocation number fail_at (1-based) will
 * fail; 0 disarms. */
void cbt_counter_arm(cbt_counter *c, long fail_at);

/* The peak starts again from the bytes live now. */
void cbt_counter_reset_peak(cbt_counter *c);

#endif
