/* test_weights_cache.c: the cache that holds XNNPACK's packed matrices
 * (runtime/src/nn/weights_cache.c). With the C library's allocator on Linux
 * the matrices are carved from one huge-page mapping sized by the model's
 * hint; a hint that is too small (or none) must send the rest to the
 * allocator, and wherever a matrix lives the layer must compute exactly what
 * an operator with its own, uncached, packing computes. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xnnpack.h>

#include "count_alloc.h"
#include "ops.h"
#include "weights_cache.h"

#define TIMEOUT 120

/* Three int8 layers of 1024 x 1024 (a packed matrix of about 1 MiB each:
 * two do not fit in the smallest arena, 2 MiB) and one float32 layer. */
#define N_LAYERS 4
static const int layer_in[N_LAYERS] = { 1024, 1024, 1024, 300 };
static const int layer_out[N_LAYERS] = { 1024, 1024, 1024, 200 };
#define ROWS 5

typedef struct layers {
    cb_linear_weights w[N_LAYERS];
    void *data[N_LAYERS];
    float *scale[N_LAYERS], *bias[N_LAYERS];
} layers;

static uint64_t rng = 0x5eed;
static uint32_t next_u32(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 33);
}
static float uniform(float a) { return a * ((float)next_u32() / 2147483648.0f - 1.0f); }

static void make_layers(layers *l)
{
    for (int i = 0; i < N_LAYERS; i++) {
        const size_t in = (size_t)layer_in[i], out = (size_t)layer_out[i];
        const int int8 = i < 3;
        l->data[i] = malloc(in * out * (int8 ? 1 : sizeof(float)));
        l->scale[i] = malloc(out * sizeof(float));
        l->bias[i] = malloc(out * sizeof(float));
        cr_assert(l->data[i] && l->scale[i] && l->bias[i]);
        for (size_t k = 0; k < in * out; k++) {
            if (int8) ((int8_t *)l->data[i])[k] = (int8_t)((int)(next_u32() % 255) - 127);
            else ((float *)l->data[i])[k] = uniform(0.1f);
        }
        for (size_t o = 0; o < out; o++) l->scale[i][o] = 1e-3f + 1e-2f * (float)(next_u32() % 100) / 100.0f;
        for (size_t o = 0; o < out; o++) l->bias[i][o] = uniform(1.0f);
        l->w[i] = (cb_linear_weights){ .in = (int)in, .out = (int)out, .int8 = int8, .w = l->data[i],
                                       .scale = int8 ? l->scale[i] : NULL, .b = l->bias[i] };
    }
}

static void free_layers(layers *l)
{
    for (int i = 0; i < N_LAYERS; i++) free(l->data[i]), free(l->scale[i]), free(l->bias[i]);
}

/* Layer i's operator on fixed inputs. Returns the malloc'ed output. */
static float *run_layer(int i, cb_linear_op *op)
{
    const size_t in = (size_t)layer_in[i], out = (size_t)layer_out[i];
    float *x = malloc((ROWS * in + XNN_EXTRA_BYTES / sizeof(float) + 1) * sizeof *x);
    float *y = malloc(ROWS * out * sizeof *y);
    cr_assert(x && y);
    uint64_t saved = rng;
    rng = 0xabcdef + (uint64_t)i;
    for (size_t k = 0; k < ROWS * in; k++) x[k] = uniform(3.0f);
    rng = saved;
    cb_quantizer q;
    cb_quantizer_init(&q, (int)in, NULL);
    cb_error err;
    cr_assert_eq(cb_linear_run(op, &q, x, y, ROWS, NULL, &err), CB_OK, "layer %d: %s", i, err.message);
    cb_add_bias_rows(y, cb_linear_unapplied_bias(op), ROWS, out, NULL);
    cb_quantizer_destroy(&q);
    free(x);
    return y;
}

static void create_ops(const layers *l, cb_linear_op *ops, xnn_weights_cache_t cache)
{
    cb_error err;
    for (int i = 0; i < N_LAYERS; i++)
        cr_assert_eq(cb_linear_create(&ops[i], &l->w[i], 0, cache, &err), CB_OK, "layer %d: %s", i, err.message);
}

/* Every layer through a cache made with (alloc, hint), as a model does it:
 * its operators created, the cache sealed (XNNPACK runs nothing before),
 * then a second set of operators from the sealed cache, as every workspace
 * after the first. Outputs: bit for bit those of operators with their own
 * packing. Returns where the matrices went. */
static void check_cache(const cb_allocator *alloc, size_t hint, size_t *arena_bytes, size_t *allocated)
{
    cr_assert_eq(xnn_initialize(NULL), xnn_status_success);
    layers l;
    make_layers(&l);
    xnn_weights_cache_t cache;
    cb_error err;
    cr_assert_eq(cb_weights_cache_create(alloc, hint, &cache, &err), CB_OK, "%s", err.message);
    cb_linear_op first[N_LAYERS], again[N_LAYERS], plain[N_LAYERS];
    create_ops(&l, first, cache);
    cb_weights_cache_seal(cache);
    create_ops(&l, again, cache);
    create_ops(&l, plain, NULL);
    cb_weights_cache_placement(cache, arena_bytes, allocated);
    for (int i = 0; i < N_LAYERS; i++) {
        float *a = run_layer(i, &first[i]), *b = run_layer(i, &again[i]), *c = run_layer(i, &plain[i]);
        const size_t n = (size_t)ROWS * (size_t)layer_out[i];
        cr_assert(!memcmp(a, c, n * sizeof(float)), "layer %d: the cached matrix computes differently", i);
        cr_assert(!memcmp(b, c, n * sizeof(float)), "layer %d: the sealed cache computes differently", i);
        free(a), free(b), free(c);
        cb_linear_destroy(&first[i]), cb_linear_destroy(&again[i]), cb_linear_destroy(&plain[i]);
    }
    cb_weights_cache_free(cache);
    free_layers(&l);
}

#if defined(__linux__) && !defined(__EMSCRIPTEN__)
#define HAVE_ARENA 1
#else
#define HAVE_ARENA 0
#endif

Test(weights_cache, a_small_hint_sends_the_rest_to_the_allocator, .timeout = TIMEOUT)
{
    size_t arena, allocated;
    check_cache(NULL, 1, &arena, &allocated);
    if (HAVE_ARENA) {
        cr_assert(arena > 0, "nothing was placed in the arena");
        cr_assert(allocated >= 2 && allocated < N_LAYERS, "%zu of %d matrices allocated; want some, not all",
                  allocated, N_LAYERS);
    } else {
        cr_assert(arena == 0 && allocated == N_LAYERS);
    }
}

Test(weights_cache, a_sufficient_hint_holds_every_matrix, .timeout = TIMEOUT)
{
    size_t arena, allocated;
    check_cache(NULL, (size_t)16 << 20, &arena, &allocated);
    cr_assert_eq(allocated, HAVE_ARENA ? 0 : N_LAYERS, "%zu matrices outside the arena", allocated);
    if (HAVE_ARENA) cr_assert(arena >= (size_t)3 << 20, "only %zu bytes in the arena", arena);
}

Test(weights_cache, no_hint_no_arena, .timeout = TIMEOUT)
{
    size_t arena, allocated;
    check_cache(NULL, 0, &arena, &allocated);
    cr_assert(arena == 0 && allocated == N_LAYERS, "arena %zu bytes, %zu allocated", arena, allocated);
}

/* A caller's allocator sees every byte: no mapping beside it. */
Test(weights_cache, a_callers_allocator_gets_every_matrix, .timeout = TIMEOUT)
{
    cbt_counter counter;
    cbt_counter_init(&counter);
    size_t arena, allocated;
    check_cache(&counter.allocator, (size_t)16 << 20, &arena, &allocated);
    cr_assert(arena == 0 && allocated == N_LAYERS, "arena %zu bytes, %zu allocated", arena, allocated);
    cr_assert_eq(counter.live, 0, "%ld blocks of the caller's allocator not freed", counter.live);
    cbt_counter_destroy(&counter);
}
