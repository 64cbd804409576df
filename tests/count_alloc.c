/* count_alloc.c: see count_alloc.h. Each block carries a header with its
 * size, so that live bytes and peaks are exact. */
#include "count_alloc.h"

#include <stdlib.h>

typedef union header {
    size_t size;
    max_align_t align;   /* keeps the caller's block aligned as malloc's */
} header;

static int take(cbt_counter *c)
{
    pthread_mutex_lock(&c->lock);
    const long n = ++c->calls;
    const int fail = c->fail_at > 0 && n == c->fail_at;
    if (fail) c->injected = 1;
    pthread_mutex_unlock(&c->lock);
    return !fail;
}

static void account(cbt_counter *c, long blocks, size_t add, size_t sub)
{
    pthread_mutex_lock(&c->lock);
    c->live += blocks;
    c->bytes = c->bytes + add - sub;
    if (c->bytes > c->peak) c->peak = c->bytes;
    pthread_mutex_unlock(&c->lock);
}

static void *count_malloc(void *user, size_t size)
{
    cbt_counter *c = user;
    if (!take(c)) return NULL;
    header *h = malloc(sizeof *h + size);
    if (!h) return NULL;
    h->size = size;
    account(c, 1, size, 0);
    return h + 1;
}

static void *count_realloc(void *user, void *p, size_t size)
{
    cbt_counter *c = user;
    if (!take(c)) return NULL;
    header *old = (header *)p - 1;
    const size_t old_size = old->size;
    header *h = realloc(old, sizeof *h + size);
    if (!h) return NULL;
    h->size = size;
    account(c, 0, size, old_size);
    return h + 1;
}

static void count_free(void *user, void *p)
{
    cbt_counter *c = user;
    header *h = (header *)p - 1;
    account(c, -1, 0, h->size);
    free(h);
}

void cbt_counter_init(cbt_counter *c)
{
    *c = (cbt_counter){ .allocator = { count_malloc, count_realloc, count_free, c } };
    pthread_mutex_init(&c->lock, NULL);
}

void cbt_counter_destroy(cbt_counter *c)
{
    pthread_mutex_destroy(&c->lock);
}

void cbt_counter_arm(cbt_counter *c, long fail_at)
{
    pthread_mutex_lock(&c->lock);
    c->calls = 0;
    c->fail_at = fail_at;
    c->injected = 0;
    pthread_mutex_unlock(&c->lock);
}

void cbt_counter_reset_peak(cbt_counter *c)
{
    pthread_mutex_lock(&c->lock);
    c->peak = c->bytes;
    pthread_mutex_unlock(&c->lock);
}
