/* test_attention.c: cb_attention, called directly, against a plain
 * double-precision reference, on every head size 1..96.
 *
 * Each call packs several pairs (offsets with a gap row here and there, as
 * the kernel allows), 2..4 heads, Q, K and V side by side in one [rows, 3H]
 * buffer as the fused QKV projection leaves them. Per head size the calls
 * cover: no biases; biases with DeBERTa's content->position and
 * position->content terms together; each of them alone. Every element a pair
 * owns must match the reference; every other float of the output (gap rows,
 * guards before and after) and the guard after each thread's scratch must
 * keep its canary bits. A tile that writes past its head (issue 15: the
 * WebAssembly shape's context tile with head_dim % 16 in 1..7) changes a
 * canary or a neighbour's value.
 *
 * The same file is built twice (CMakeLists.txt): test_attention against the
 * library, with the tile shape of the build, and test_attention_wasm_tile
 * with runtime/src/nn/attention.c compiled in at the WebAssembly shape.
 *
 * Tolerance: |got - ref| <= 1e-5 * (1 + |ref|). The inputs lie in [-1, 1]
 * (biases in [-0.5, 0.5]), so the scaled scores are O(1) and the context is
 * an average of values below 1.5. float32 rounds each of the <= 96 products
 * and sums of a score and the <= 70 terms of a context element by u = 6e-8
 * relative; the errors are independent, so they grow like sqrt(terms) * u
 * (~1e-6), and the kernel's e^x is within 2 ulp. Each sweep prints the worst
 * difference it saw: 2.3e-7 on x86-64, 40 times below the tolerance; a real
 * fault (a lost key, a missing bias, a wrong scale, a zeroed column) moves
 * values by 1e-2 or more. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthreadpool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attention.h"

#ifndef CB_TEST_TIMEOUT_SCALE
#define CB_TEST_TIMEOUT_SCALE 1
#endif
#define TIMEOUT (120 * CB_TEST_TIMEOUT_SCALE)

#define MAX_HEAD 96
#define MAX_LEN 70
#define TOL 1e-5
#define GUARD 64                 /* canary floats before and after buffers */
#define CANARY 0x7fc0beefu       /* a quiet NaN: never a value the kernel computes */

/* Lengths every head size runs with. */
static const int required_lengths[] = { 1, 2, 7, 8, 9, 15, 16, 17, 33, 70 };
#define N_REQUIRED (sizeof required_lengths / sizeof *required_lengths)

/* ---- fixed-seed generator (splitmix64) ---------------------------------- */

static uint64_t rng_state;

static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [-amp, amp]. */
static float uniform(float amp)
{
    return (float)(((double)(next_u64() >> 11) / 9007199254740992.0 * 2.0 - 1.0) * amp);
}

static void fill(float *x, size_t n, float amp)
{
    for (size_t i = 0; i < n; i++) x[i] = uniform(amp);
}

/* ---- canaries ------------------------------------------------------------ */

static void set_canary(float *x, size_t n)
{
    const uint32_t c = CANARY;
    for (size_t i = 0; i < n; i++) memcpy(x + i, &c, sizeof c);
}

static int is_canary(const float *x)
{
    uint32_t b;
    memcpy(&b, x, sizeof b);
    return b == CANARY;
}

/* Index of the first float of x[0..n) that lost its canary, or n. */
static size_t first_changed(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_canary(x + i)) return i;
    return n;
}

/* ---- faults ------------------------------------------------------------- */

/* The first fault of the current head size: the sweeps check every head size
 * and then list the failing ones, rather than stop at the first. */
static char fault_text[512];
static int faulted;

__attribute__((format(printf, 1, 2))) static void fault(const char *fmt, ...)
{
    if (faulted++) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fault_text, sizeof fault_text, fmt, ap);
    va_end(ap);
}

/* ---- one call ------------------------------------------------------------ */

enum { REL_NONE, REL_BOTH, REL_C2P, REL_P2C };

typedef struct attn_case {
    int head_dim, heads;
    int lengths[32];
    size_t n_pairs;
    int with_bias, rel, max_rel;
} attn_case;

/* Buffers of one call; ctx_buf and scratch_buf hold the guards. */
typedef struct attn_call {
    attn_case k;
    size_t rows, offsets[32], max_len;
    float *qkv, *bias, *relk, *relq;
    float *ctx_buf, *ctx;            /* ctx = ctx_buf + GUARD, [rows, H] */
    float *scratch;
    size_t scratch_floats;
    cb_attention_args args;
} attn_call;

/* Builds the inputs of case k; pair p starts p % 3 == 2 rows after the last
 * one ended (a gap row), else right after it. */
static void call_init(attn_call *c, const attn_case *k, size_t n_threads)
{
    memset(c, 0, sizeof *c);
    c->k = *k;
    const size_t H = (size_t)(k->head_dim * k->heads);
    for (size_t p = 0; p < k->n_pairs; p++) {
        c->rows += p % 3 == 2;
        c->offsets[p] = c->rows;
        c->rows += (size_t)k->lengths[p];
        if ((size_t)k->lengths[p] > c->max_len) c->max_len = (size_t)k->lengths[p];
    }
    c->qkv = malloc(c->rows * 3 * H * sizeof(float));
    c->bias = malloc(3 * H * sizeof(float));
    const size_t table = 2 * (size_t)(k->max_rel > 0 ? k->max_rel : 1) * H;
    c->relk = malloc(table * sizeof(float));
    c->relq = malloc(table * sizeof(float));
    c->ctx_buf = malloc((c->rows * H + 2 * GUARD) * sizeof(float));
    c->scratch_floats = cb_attention_scratch_floats(c->max_len, (size_t)k->head_dim);
    c->scratch = malloc(n_threads * (c->scratch_floats + GUARD) * sizeof(float));
    cr_assert(c->qkv && c->bias && c->relk && c->relq && c->ctx_buf && c->scratch);
    c->ctx = c->ctx_buf + GUARD;
    fill(c->qkv, c->rows * 3 * H, 1.0f);
    fill(c->bias, 3 * H, 0.5f);
    const int terms = (k->rel == REL_BOTH) + (k->rel != REL_NONE);
    const float scale = 1.0f / sqrtf((float)k->head_dim * (float)(1 + terms));
    fill(c->relk, table, 1.0f);
    fill(c->relq, table, scale);   /* relq comes scaled (attention.h) */
    c->args = (cb_attention_args){
        .qkv = c->qkv, .ctx = c->ctx, .offsets = c->offsets, .lengths = c->k.lengths, .n_pairs = k->n_pairs,
        .hidden = (int)H, .heads = k->heads, .scratch = c->scratch, .scratch_stride = c->scratch_floats + GUARD,
        .scale = scale,
        .relk = k->rel == REL_BOTH || k->rel == REL_C2P ? c->relk : NULL,
        .relq = k->rel == REL_BOTH || k->rel == REL_P2C ? c->relq : NULL,
        .max_rel = k->max_rel,
        .bias = k->with_bias ? c->bias : NULL,
    };
}

static void call_free(attn_call *c)
{
    free(c->qkv);
    free(c->bias);
    free(c->relk);
    free(c->relq);
    free(c->ctx_buf);
    free(c->scratch);
}

/* Runs the kernel with canaries everywhere in the output and after each
 * thread's scratch. */
static void call_run(attn_call *c, pthreadpool_t pool, size_t n_threads)
{
    const size_t H = (size_t)c->args.hidden;
    set_canary(c->ctx_buf, c->rows * H + 2 * GUARD);
    for (size_t t = 0; t < n_threads; t++)
        set_canary(c->scratch + t * c->args.scratch_stride + c->scratch_floats, GUARD);
    cb_attention(&c->args, pool);
    for (size_t t = 0; t < n_threads; t++) {
        const size_t at = first_changed(c->scratch + t * c->args.scratch_stride + c->scratch_floats, GUARD);
        if (at < GUARD) fault("thread %zu wrote at float %zu after its scratch", t, at);
    }
}

/* ---- the reference -------------------------------------------------------- */

/* Row of the relative tables for query i and key j: R + (i - j), clamped to
 * the table's 2R rows. */
static size_t rel_row(int max_rel, size_t i, size_t j)
{
    long r = (long)max_rel + (long)i - (long)j;
    if (r < 0) r = 0;
    if (r > 2L * max_rel - 1) r = 2L * max_rel - 1;
    return (size_t)r;
}

/* softmax(scale Q K^T + scale Q relk^T + K relq^T) V of one (pair, head) in
 * double, with the biases added to Q, K and V: out [n, d]. */
static void reference_head(const attn_call *c, size_t pair, size_t head, double *out)
{
    static double qkv[3][MAX_LEN * MAX_HEAD], w[MAX_LEN];
    const size_t d = (size_t)c->k.head_dim, H = (size_t)c->args.hidden, n = (size_t)c->k.lengths[pair];
    const size_t col = head * d;
    const double scale = (double)c->args.scale;
    for (size_t part = 0; part < 3; part++)
        for (size_t j = 0; j < n; j++)
            for (size_t e = 0; e < d; e++)
                qkv[part][j * d + e] = (double)c->qkv[(c->offsets[pair] + j) * 3 * H + part * H + col + e] +
                                       (c->args.bias ? (double)c->args.bias[part * H + col + e] : 0.0);
    const double *q = qkv[0], *k = qkv[1], *v = qkv[2];
    for (size_t i = 0; i < n; i++) {
        double mx = -INFINITY, sum = 0;
        for (size_t j = 0; j < n; j++) {
            const size_t t = rel_row(c->args.max_rel, i, j) * H + col;
            double qk = 0, qr = 0, kr = 0;
            for (size_t e = 0; e < d; e++) {
                qk += q[i * d + e] * k[j * d + e];
                if (c->args.relk) qr += q[i * d + e] * (double)c->args.relk[t + e];
                if (c->args.relq) kr += k[j * d + e] * (double)c->args.relq[t + e];
            }
            w[j] = scale * (qk + qr) + kr;
            mx = w[j] > mx ? w[j] : mx;
        }
        for (size_t j = 0; j < n; j++) sum += (w[j] = exp(w[j] - mx));
        for (size_t e = 0; e < d; e++) {
            double acc = 0;
            for (size_t j = 0; j < n; j++) acc += w[j] * v[j * d + e];
            out[i * d + e] = acc / sum;
        }
    }
}

/* Checks every float of the output: the reference where a pair owns it, the
 * canary elsewhere (faults recorded). Returns the largest scaled difference. */
static double check_output(const attn_call *c)
{
    static double ref[MAX_LEN * MAX_HEAD];
    const size_t d = (size_t)c->k.head_dim, H = (size_t)c->args.hidden;
    const size_t before = first_changed(c->ctx_buf, GUARD);
    if (before < GUARD) fault("heads %d: a write at float %zu before the output", c->k.heads, GUARD - before);
    const size_t after = first_changed(c->ctx + c->rows * H, GUARD);
    if (after < GUARD) fault("heads %d: a write at float %zu after the output's end", c->k.heads, after);
    char *owned = calloc(c->rows, 1);
    double worst = 0;
    cr_assert(owned);
    for (size_t p = 0; p < c->k.n_pairs; p++) {
        const size_t n = (size_t)c->k.lengths[p];
        memset(owned + c->offsets[p], 1, n);
        for (size_t h = 0; h < (size_t)c->k.heads; h++) {
            reference_head(c, p, h, ref);
            for (size_t i = 0; i < n; i++) {
                const float *got = c->ctx + (c->offsets[p] + i) * H + h * d;
                for (size_t e = 0; e < d; e++) {
                    const double diff = fabs((double)got[e] - ref[i * d + e]) / (1.0 + fabs(ref[i * d + e]));
                    if (!(diff <= TOL))
                        fault("heads %d, rel %d, bias %d, pair %zu (length %zu), head %zu, query %zu, dim %zu: "
                              "%.9g, reference %.9g%s",
                              c->k.heads, c->k.rel, c->k.with_bias, p, n, h, i, e, (double)got[e], ref[i * d + e],
                              is_canary(got + e) ? " (never written)" : "");
                    worst = diff > worst ? diff : worst;
                }
            }
        }
    }
    for (size_t r = 0; r < c->rows; r++)
        if (!owned[r]) {
            const size_t at = first_changed(c->ctx + r * H, H);
            if (at < H) fault("gap row %zu written at column %zu", r, at);
        }
    free(owned);
    return worst;
}

/* ---- the sweep ------------------------------------------------------------- */

/* The lengths of head size d: the required ones, then those n with
 * (n + d) % 7 == 0, so every 7 consecutive head sizes run all of 1..70. */
static size_t sweep_lengths(int d, int *out)
{
    size_t m = 0;
    for (size_t i = 0; i < N_REQUIRED; i++) out[m++] = required_lengths[i];
    /* at most N_REQUIRED + 10 of them: attn_case holds 32 */
    for (int n = 1; n <= MAX_LEN; n++) {
        int seen = 0;
        for (size_t i = 0; i < N_REQUIRED; i++) seen |= required_lengths[i] == n;
        if (!seen && (n + d) % 7 == 0) out[m++] = n;
    }
    return m;
}

static double run_case(const attn_case *k)
{
    attn_call c;
    call_init(&c, k, 1);
    call_run(&c, NULL, 1);
    const double worst = check_output(&c);
    call_free(&c);
    return worst;
}

/* Head sizes lo..hi, four calls each: no biases and no relative terms with
 * all the lengths; then biases with both, c2p only and p2c only, the last
 * two with the required lengths. max_rel varies so the table clamps some
 * pairs and not others. */
static void sweep(int lo, int hi)
{
    double worst = 0;
    char failing[512] = "";
    int n_failing = 0;
    for (int d = lo; d <= hi; d++) {
        rng_state = 0x5eed0000u + (uint64_t)d;
        faulted = 0;
        attn_case k = { .head_dim = d, .heads = 2 + d % 3, .max_rel = 1 + (d * 5) % 40 };
        k.n_pairs = sweep_lengths(d, k.lengths);
        double e = run_case(&k);
        worst = e > worst ? e : worst;
        k.with_bias = 1;
        k.rel = REL_BOTH;
        e = run_case(&k);
        worst = e > worst ? e : worst;
        k.n_pairs = N_REQUIRED;
        memcpy(k.lengths, required_lengths, sizeof required_lengths);
        for (int rel = REL_C2P; rel <= REL_P2C; rel++) {
            k.rel = rel;
            e = run_case(&k);
            worst = e > worst ? e : worst;
        }
        if (faulted) {
            cr_log_error("head_dim %d: %s", d, fault_text);
            const size_t at = strlen(failing);
            snprintf(failing + at, sizeof failing - at, " %d", d);
            n_failing++;
        }
    }
    printf("attention: head sizes %d..%d, worst |got - ref| / (1 + |ref|) = %.3g\n", lo, hi, worst);
    cr_assert(n_failing == 0, "%d of head sizes %d..%d fail:%s", n_failing, lo, hi, failing);
}

Test(attention, head_sizes_1_to_24, .timeout = TIMEOUT) { sweep(1, 24); }
Test(attention, head_sizes_25_to_48, .timeout = TIMEOUT) { sweep(25, 48); }
Test(attention, head_sizes_49_to_72, .timeout = TIMEOUT) { sweep(49, 72); }
Test(attention, head_sizes_73_to_96, .timeout = TIMEOUT) { sweep(73, 96); }

/* Two threads compute the same bits as one: no sum depends on the thread
 * layout. */
Test(attention, threads_agree_bitwise, .timeout = TIMEOUT)
{
    const int dims[] = { 20, 36, 64, 83 };
    for (size_t i = 0; i < sizeof dims / sizeof *dims; i++) {
        rng_state = 0x7777u + (uint64_t)i;
        attn_case k = { .head_dim = dims[i], .heads = 4, .with_bias = 1, .rel = REL_BOTH, .max_rel = 12 };
        k.n_pairs = N_REQUIRED;
        memcpy(k.lengths, required_lengths, sizeof required_lengths);
        attn_call c;
        call_init(&c, &k, 2);
        const size_t n = c.rows * (size_t)c.args.hidden;
        float *one = malloc(n * sizeof(float));
        cr_assert(one);
        faulted = 0;
        call_run(&c, NULL, 1);
        check_output(&c);
        memcpy(one, c.ctx, n * sizeof(float));
        pthreadpool_t pool = pthreadpool_create(2);
        cr_assert(pool);
        call_run(&c, pool, 2);
        pthreadpool_destroy(pool);
        check_output(&c);
        cr_assert(!faulted, "head_dim %d: %s", dims[i], fault_text);
        cr_assert(memcmp(one, c.ctx, n * sizeof(float)) == 0, "head_dim %d: 2 threads differ from 1", dims[i]);
        free(one);
        call_free(&c);
    }
}

/* first_row_only (a cross-encoder's last layer): pair p's first query row,
 * written to row p, has the bits the full pass gives row offsets[p]; no other
 * float of the output changes. Every head size, with and without biases and
 * DeBERTa's terms. */
Test(attention, first_row_only_keeps_the_bits, .timeout = TIMEOUT)
{
    for (int d = 1; d <= 96; d++) {
        rng_state = 0x1f1f0000u + (uint64_t)d;
        attn_case k = { .head_dim = d, .heads = 2 + d % 3, .with_bias = d % 2, .rel = d % 4, .max_rel = 1 + d % 17 };
        k.n_pairs = N_REQUIRED;
        memcpy(k.lengths, required_lengths, sizeof required_lengths);
        attn_call c;
        call_init(&c, &k, 1);
        const size_t H = (size_t)c.args.hidden;
        float *full = malloc(c.rows * H * sizeof(float));
        cr_assert(full);
        faulted = 0;
        call_run(&c, NULL, 1);
        check_output(&c);
        cr_assert(!faulted, "head_dim %d: %s", d, fault_text);
        memcpy(full, c.ctx, c.rows * H * sizeof(float));
        c.args.first_row_only = 1;
        call_run(&c, NULL, 1);
        for (size_t p = 0; p < k.n_pairs; p++)
            cr_assert(memcmp(c.ctx + p * H, full + c.offsets[p] * H, H * sizeof(float)) == 0,
                      "head_dim %d, pair %zu: the first row differs from the full pass", d, p);
        cr_assert_eq(first_changed(c.ctx + k.n_pairs * H, (c.rows - k.n_pairs) * H + GUARD),
                     (c.rows - k.n_pairs) * H + GUARD, "head_dim %d: a write past row %zu", d, k.n_pairs);
        cr_assert(!faulted, "head_dim %d: %s", d, fault_text);
        free(full);
        call_free(&c);
    }
}
