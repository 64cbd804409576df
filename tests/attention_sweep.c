/* attention_sweep.c: see attention_sweep.h. */
#include "attention_sweep.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_ref.h"

const int as_required_lengths[10] = { 1, 2, 7, 8, 9, 15, 16, 17, 33, 70 };

char as_fault_text[512];
int as_faulted;

void as_clear_fault(void)
{
    as_faulted = 0;
    as_fault_text[0] = 0;
}

__attribute__((format(printf, 1, 2))) static void fault(const char *fmt, ...)
{
    if (as_faulted++) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(as_fault_text, sizeof as_fault_text, fmt, ap);
    va_end(ap);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "attention sweep: out of memory for %zu bytes\n", n);
        abort();
    }
    return p;
}

void as_call_init(attn_call *c, const attn_case *k, size_t n_threads)
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
    c->qkv = xmalloc(c->rows * 3 * H * sizeof(float));
    c->bias = xmalloc(3 * H * sizeof(float));
    const size_t table = 2 * (size_t)(k->max_rel > 0 ? k->max_rel : 1) * H;
    c->relk = xmalloc(table * sizeof(float));
    c->relq = xmalloc(table * sizeof(float));
    c->ctx_buf = xmalloc((c->rows * H + 2 * AS_GUARD) * sizeof(float));
    c->scratch_floats = cb_attention_scratch_floats(c->max_len, (size_t)k->head_dim);
    c->scratch = xmalloc(n_threads * (c->scratch_floats + AS_GUARD) * sizeof(float));
    c->ctx = c->ctx_buf + AS_GUARD;
    kr_fill(c->qkv, c->rows * 3 * H, 1.0f);
    kr_fill(c->bias, 3 * H, 0.5f);
    const int terms = (k->rel == AS_REL_BOTH) + (k->rel != AS_REL_NONE);
    const float scale = 1.0f / sqrtf((float)k->head_dim * (float)(1 + terms));
    kr_fill(c->relk, table, 1.0f);
    kr_fill(c->relq, table, scale);   /* relq comes scaled (attention.h) */
    c->args = (cb_attention_args){
        .qkv = c->qkv, .ctx = c->ctx, .offsets = c->offsets, .lengths = c->k.lengths, .n_pairs = k->n_pairs,
        .hidden = (int)H, .heads = k->heads, .scratch = c->scratch, .scratch_stride = c->scratch_floats + AS_GUARD,
        .scale = scale,
        .relk = k->rel == AS_REL_BOTH || k->rel == AS_REL_C2P ? c->relk : NULL,
        .relq = k->rel == AS_REL_BOTH || k->rel == AS_REL_P2C ? c->relq : NULL,
        .max_rel = k->max_rel,
        .bias = k->with_bias ? c->bias : NULL,
    };
}

void as_call_free(attn_call *c)
{
    free(c->qkv);
    free(c->bias);
    free(c->relk);
    free(c->relq);
    free(c->ctx_buf);
    free(c->scratch);
}

void as_call_run(attn_call *c, pthreadpool_t pool, size_t n_threads)
{
    const size_t H = (size_t)c->args.hidden;
    kr_set_canary(c->ctx_buf, c->rows * H + 2 * AS_GUARD);
    for (size_t t = 0; t < n_threads; t++)
        kr_set_canary(c->scratch + t * c->args.scratch_stride + c->scratch_floats, AS_GUARD);
    cb_attention(&c->args, pool);
    for (size_t t = 0; t < n_threads; t++) {
        const size_t at = kr_first_changed(c->scratch + t * c->args.scratch_stride + c->scratch_floats, AS_GUARD);
        if (at < AS_GUARD) fault("thread %zu wrote at float %zu after its scratch", t, at);
    }
}

/* The reference of one (pair, head): out [n, d]. */
static void reference_head(const attn_call *c, size_t pair, size_t head, double *out)
{
    const size_t d = (size_t)c->k.head_dim, H = (size_t)c->args.hidden, n = (size_t)c->k.lengths[pair];
    const size_t col = head * d, stride = 3 * H;
    const float *q = c->qkv + c->offsets[pair] * stride + col, *b = c->args.bias;
    kr_attention_head(q, q + H, q + 2 * H, stride, b ? b + col : NULL, b ? b + H + col : NULL,
                      b ? b + 2 * H + col : NULL, c->args.relk ? c->args.relk + col : NULL,
                      c->args.relq ? c->args.relq + col : NULL, H, c->args.max_rel, (double)c->args.scale, n, d, out);
}

double as_check_output(const attn_call *c, long *values)
{
    static double ref[AS_MAX_LEN * AS_MAX_HEAD];
    const size_t d = (size_t)c->k.head_dim, H = (size_t)c->args.hidden;
    const size_t before = kr_first_changed(c->ctx_buf, AS_GUARD);
    if (before < AS_GUARD) fault("heads %d: a write at float %zu before the output", c->k.heads, AS_GUARD - before);
    const size_t after = kr_first_changed(c->ctx + c->rows * H, AS_GUARD);
    if (after < AS_GUARD) fault("heads %d: a write at float %zu after the output's end", c->k.heads, after);
    char *owned = calloc(c->rows, 1);
    double worst = 0;
    if (!owned) {
        fprintf(stderr, "attention sweep: out of memory\n");
        abort();
    }
    for (size_t p = 0; p < c->k.n_pairs; p++) {
        const size_t n = (size_t)c->k.lengths[p];
        memset(owned + c->offsets[p], 1, n);
        for (size_t h = 0; h < (size_t)c->k.heads; h++) {
            reference_head(c, p, h, ref);
            for (size_t i = 0; i < n; i++) {
                const float *got = c->ctx + (c->offsets[p] + i) * H + h * d;
                for (size_t e = 0; e < d; e++) {
                    const double diff = fabs((double)got[e] - ref[i * d + e]) / (1.0 + fabs(ref[i * d + e]));
                    if (!(diff <= AS_TOL))
                        fault("heads %d, rel %d, bias %d, pair %zu (length %zu), head %zu, query %zu, dim %zu: "
                              "%.9g, reference %.9g%s",
                              c->k.heads, c->k.rel, c->k.with_bias, p, n, h, i, e, (double)got[e], ref[i * d + e],
                              kr_is_canary(got + e) ? " (never written)" : "");
                    worst = diff > worst ? diff : worst;
                }
            }
            if (values) *values += (long)(n * d);
        }
    }
    for (size_t r = 0; r < c->rows; r++)
        if (!owned[r]) {
            const size_t at = kr_first_changed(c->ctx + r * H, H);
            if (at < H) fault("gap row %zu written at column %zu", r, at);
        }
    free(owned);
    return worst;
}

/* The lengths of head size d: the required ones, then those n with
 * (n + d) % 7 == 0, so every 7 consecutive head sizes run all of 1..70. */
static size_t sweep_lengths(int d, int *out)
{
    size_t m = 0;
    for (size_t i = 0; i < AS_N_REQUIRED; i++) out[m++] = as_required_lengths[i];
    /* at most AS_N_REQUIRED + 10 of them: attn_case holds 32 */
    for (int n = 1; n <= AS_MAX_LEN; n++) {
        int seen = 0;
        for (size_t i = 0; i < AS_N_REQUIRED; i++) seen |= as_required_lengths[i] == n;
        if (!seen && (n + d) % 7 == 0) out[m++] = n;
    }
    return m;
}

static double run_case(const attn_case *k, long *cases, long *values)
{
    attn_call c;
    as_call_init(&c, k, 1);
    as_call_run(&c, NULL, 1);
    const double worst = as_check_output(&c, values);
    as_call_free(&c);
    ++*cases;
    return worst;
}

int as_sweep(int lo, int hi, char *failing, size_t failing_size, long *cases, long *values, double *worst)
{
    int n_failing = 0;
    if (failing_size) failing[0] = 0;
    for (int d = lo; d <= hi; d++) {
        kr_seed(0x5eed0000u + (uint64_t)d);
        as_clear_fault();
        attn_case k = { .head_dim = d, .heads = 2 + d % 3, .max_rel = 1 + (d * 5) % 40 };
        k.n_pairs = sweep_lengths(d, k.lengths);
        double e = run_case(&k, cases, values);
        *worst = e > *worst ? e : *worst;
        k.with_bias = 1;
        k.rel = AS_REL_BOTH;
        e = run_case(&k, cases, values);
        *worst = e > *worst ? e : *worst;
        k.n_pairs = AS_N_REQUIRED;
        memcpy(k.lengths, as_required_lengths, sizeof as_required_lengths);
        for (int rel = AS_REL_C2P; rel <= AS_REL_P2C; rel++) {
            k.rel = rel;
            e = run_case(&k, cases, values);
            *worst = e > *worst ? e : *worst;
        }
        if (as_faulted) {
            fprintf(stderr, "attention: head_dim %d: %s\n", d, as_fault_text);
            const size_t at = strlen(failing);
            if (at + 1 < failing_size) snprintf(failing + at, failing_size - at, " %d", d);
            n_failing++;
        }
    }
    return n_failing;
}
