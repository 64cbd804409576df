/* test_long_document.c: long passages cut into windows (CB_LONG_CHUNK).
 *
 *   windows:   the planner (tokenizer/windows.c) on random word layouts:
 *              windows cover every token, none is wider than asked, none
 *              ends inside a word unless that word alone is wider, the next
 *              one starts at a word and shares at most the overlap;
 *   rescoring: for each fixture passage, the window chunking reports as the
 *              best (or first) scores bit for bit what the pair (query,
 *              that window's bytes) scores on its own: the bytes, the tokens
 *              and the aggregation all agree, for WordPiece and BPE;
 *   fits:      a pair that fits scores exactly as with truncation;
 *   mean:      with two windows, mean = (first + other) / 2;
 *   real:      on the real trained reranker, a relevant passage planted after
 *              over 600 word pieces of unrelated text is missed by truncation
 *              (its score is the control document's, bit for bit) and found
 *              by chunking (the best window lies in the planted passage and
 *              outscores the control by a margin), float32 and int8;
 *   errors:    bad stride, mode or aggregate; a model with three labels. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "windows.h"

/* ---- the planner ------------------------------------------------------------------ */

static unsigned rng_next(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

Test(long_document, windows_cover_every_token_and_respect_words)
{
    unsigned seed = 7;
    cb_token_span sp[400];
    size_t cases = 0, windows = 0, split_words = 0;
    for (int trial = 0; trial < 300; trial++) {
        /* words of 1 to 4 pieces, now and then one of up to 30 */
        size_t n = 0;
        uint32_t byte = 0;
        const size_t want = 1 + rng_next(&seed) % 380;
        while (n < want) {
            size_t pieces = rng_next(&seed) % 40 == 0 ? 1 + rng_next(&seed) % 30 : 1 + rng_next(&seed) % 4;
            const uint32_t len = 1 + rng_next(&seed) % 9;
            for (size_t k = 0; k < pieces && n < want; k++) sp[n++] = (cb_token_span){ byte, byte + len };
            byte += len + 1;
        }
        for (size_t width = 1; width <= 40; width += 1 + width / 4) {
            for (size_t overlap = 0; overlap <= width / 2; overlap += 1 + width / 5) {
                cases++;
                size_t start = 0, count = 0;
                int prev_split = 0;
                for (;;) {
                    cr_assert_lt(start, n);
                    cr_assert(start == 0 || sp[start].begin != sp[start - 1].begin || prev_split,
                              "window at %zu starts inside a word the previous window did not split", start);
                    const size_t end = cb_window_end(sp, n, start, width);
                    cr_assert(end > start && end - start <= width, "n %zu width %zu: window [%zu, %zu)", n, width,
                              start, end);
                    const int inside = end < n && sp[end].begin == sp[end - 1].begin;
                    if (inside) {
                        /* only a word wider than the window is split: all of it is one word */
                        cr_assert_eq(sp[start].begin, sp[end - 1].begin, "n %zu width %zu: [%zu, %zu) splits a word "
                                     "it could have ended before", n, width, start, end);
                        split_words++;
                    }
                    prev_split = inside;
                    if (end < n && !inside) {
                        /* maximal: the next word would not have fitted */
                        size_t e2 = end + 1;
                        while (e2 < n && sp[e2].begin == sp[e2 - 1].begin) e2++;
                        cr_assert_gt(e2 - start, width, "n %zu width %zu: [%zu, %zu) stops early", n, width, start,
                                     end);
                    }
                    count++;
                    windows++;
                    if (end == n) break;
                    const size_t next = cb_window_next(sp, start, end, overlap);
                    cr_assert(next > start && next <= end, "next window %zu after [%zu, %zu)", next, start, end);
                    cr_assert(end - next <= overlap || next == start + 1 || sp[next].begin != sp[next - 1].begin,
                              "overlap %zu: next %zu after [%zu, %zu)", overlap, next, start, end);
                    cr_assert(next == end || sp[next].begin != sp[next - 1].begin, "next window %zu starts inside "
                              "a word", next);
                    start = next;
                }
                cr_assert_leq(count, n);
            }
        }
    }
    printf("windows: %zu layouts x widths x overlaps, %zu windows, %zu of them split a word wider than the window\n",
           cases, windows, split_words);
    cr_assert_gt(split_words, 0, "the layouts never made a word wider than a window");
}

/* ---- fixtures: the reported window rescores to the same bits ---------------------- */

static float score_one(cb_model *m, const char *a, size_t a_len, const char *b, size_t b_len, int max_length)
{
    const cb_pair p = { a, a_len, b, b_len };
    const cb_predict_options o = { .max_length = max_length };
    float s;
    cb_error err;
    cr_assert_eq(cb_predict(m, &p, 1, &o, &s, &err), CB_OK, "%s", err.message);
    return s;
}

static void check_rescoring(const char *fixture, int bpe, int max_length)
{
    char *path = cbt_converted(fixture, CB_DTYPE_INT8);
    cb_model *m = cbt_load(path, 1);
    cbt_pairs cp = cbt_case_pairs(fixture, 0);
    const size_t n = cp.n;
    float *trunc = malloc(n * sizeof *trunc), *best = malloc(n * sizeof *best), *first = malloc(n * sizeof *first);
    cb_window *wb = malloc(n * sizeof *wb), *wf = malloc(n * sizeof *wf), *wt = malloc(n * sizeof *wt);
    cr_assert(trunc && best && first && wb && wf && wt);
    cb_error err;
    cb_predict_options o = { .max_length = max_length, .batch_size = 7 };
    cr_assert_eq(cb_predict_windows(m, cp.pairs, n, &o, trunc, wt, &err), CB_OK, "%s", err.message);
    o.long_document = CB_LONG_CHUNK;
    cr_assert_eq(cb_predict_windows(m, cp.pairs, n, &o, best, wb, &err), CB_OK, "%s", err.message);
    o.aggregate = CB_AGGREGATE_FIRST;
    cr_assert_eq(cb_predict_windows(m, cp.pairs, n, &o, first, wf, &err), CB_OK, "%s", err.message);
    size_t long_ones = 0, most = 0, rescored = 0;
    for (size_t i = 0; i < n; i++) {
        const cb_pair *p = &cp.pairs[i];
        cr_assert_eq(wt[i].count, 1);
        cr_assert_eq(wt[i].index, 0);
        cr_assert_leq(wt[i].end, p->b_len);
        if (wb[i].count == 1) {
            /* it fitted: exactly truncation's score */
            cr_expect(memcmp(&best[i], &trunc[i], sizeof(float)) == 0 && memcmp(&first[i], &trunc[i], sizeof(float)) == 0,
                      "%s pair %zu fits, yet chunk %.9g / %.9g != truncate %.9g", fixture, i, (double)best[i],
                      (double)first[i], (double)trunc[i]);
            cr_expect_eq(wb[i].begin, wt[i].begin);
            cr_expect_eq(wb[i].end, wt[i].end);
            continue;
        }
        long_ones++;
        most = (size_t)wb[i].count > most ? (size_t)wb[i].count : most;
        cr_assert_eq(wf[i].index, 0);
        cr_assert_eq(wf[i].count, wb[i].count);
        cr_assert(wb[i].index >= 0 && wb[i].index < wb[i].count);
        cr_assert(best[i] >= first[i], "%s pair %zu: max %.9g below first %.9g", fixture, i, (double)best[i],
                  (double)first[i]);
        size_t na = 0;
        {
            const cb_pair q = { p->a, p->a_len, "", 0 };
            int32_t *ids = malloc((size_t)max_length * sizeof *ids);
            cr_assert(ids);
            cr_assert_eq(cb_tokenize(m, &q, max_length, ids, NULL, (size_t)max_length, &na, &err), CB_OK, "%s",
                         err.message);
            free(ids);
        }
        const int query_whole = na < (size_t)max_length / 2 - 2;
        rescored += query_whole;
        const cb_window *ws[2] = { &wb[i], &wf[i] };
        const float want[2] = { best[i], first[i] };
        for (int k = 0; k < 2; k++) {
            const cb_window *w = ws[k];
            cr_assert(w->begin < w->end && w->end <= p->b_len, "%s pair %zu: window [%zu, %zu) of %zu bytes",
                      fixture, i, w->begin, w->end, p->b_len);
            /* a window holds whole words: never two ASCII letters or digits across its edges */
            const unsigned char before = w->begin ? (unsigned char)p->b[w->begin - 1] : ' ';
            const unsigned char at = (unsigned char)p->b[w->begin];
            const unsigned char last = (unsigned char)p->b[w->end - 1];
            const unsigned char after = w->end < p->b_len ? (unsigned char)p->b[w->end] : ' ';
            cr_expect(!(before < 0x80 && isalnum(before) && at < 0x80 && isalnum(at)),
                      "%s pair %zu: window starts inside a word at byte %zu", fixture, i, w->begin);
            cr_expect(!(last < 0x80 && isalnum(last) && after < 0x80 && isalnum(after)),
                      "%s pair %zu: window ends inside a word at byte %zu", fixture, i, w->end);
            /* The pair alone is the window's pair only when the query is
             * kept whole (a long query is cut to half the budget beside a
             * long passage, and would be cut differently beside the window). */
            if (!query_whole) continue;
            /* BPE keeps the space before a word in the word's first token */
            const size_t from = bpe && w->begin > 0 && p->b[w->begin - 1] == ' ' ? w->begin - 1 : w->begin;
            const float again = score_one(m, p->a, p->a_len, p->b + from, w->end - from, max_length);
            cr_expect(memcmp(&again, &want[k], sizeof(float)) == 0,
                      "%s pair %zu: the %s window [%zu, %zu) of %d scores %.9g alone, %.9g in chunking", fixture, i,
                      k ? "first" : "best", w->begin, w->end, w->count, (double)again, (double)want[k]);
        }
    }
    printf("%s at max_length %d: %zu of %zu passages chunked (up to %zu windows); the reported windows of the %zu "
           "with a query kept whole rescored bit for bit\n", fixture, max_length, long_ones, n, most, rescored);
    cr_assert_gt(long_ones, 0, "%s: no passage was long enough to chunk", fixture);
    cr_assert_gt(rescored, 0, "%s: every chunked pair had its query cut", fixture);
    free(trunc); free(best); free(first); free(wb); free(wf); free(wt);
    cbt_pairs_free(&cp);
    cb_model_free(m);
    free(path);
}

Test(long_document, reported_window_rescores_wordpiece)
{
    check_rescoring("bert-tiny", 0, 48);
    check_rescoring("bert-base-uncased-vocab", 0, 64);
}

Test(long_document, reported_window_rescores_bpe)
{
    check_rescoring("roberta-tiny", 1, 48);
}

Test(long_document, mean_of_two_windows)
{
    char *path = cbt_converted("bert-tiny", CB_DTYPE_INT8);
    cb_model *m = cbt_load(path, 1);
    cbt_pairs cp = cbt_case_pairs("bert-tiny", 0);
    /* find a max_length at which some passage has exactly two windows */
    size_t found = 0;
    for (int ml = 32; ml <= 512 && !found; ml += 16) {
        for (size_t i = 0; i < cp.n && !found; i++) {
            cb_predict_options o = { .max_length = ml, .long_document = CB_LONG_CHUNK };
            float mx, fi, mean;
            cb_window w;
            cb_error err;
            cr_assert_eq(cb_predict_windows(m, &cp.pairs[i], 1, &o, &mx, &w, &err), CB_OK, "%s", err.message);
            if (w.count != 2) continue;
            o.aggregate = CB_AGGREGATE_FIRST;
            cr_assert_eq(cb_predict(m, &cp.pairs[i], 1, &o, &fi, &err), CB_OK, "%s", err.message);
            o.aggregate = CB_AGGREGATE_MEAN;
            cr_assert_eq(cb_predict(m, &cp.pairs[i], 1, &o, &mean, &err), CB_OK, "%s", err.message);
            if (w.index == 0) {
                cr_assert(memcmp(&fi, &mx, sizeof fi) == 0, "the best window is the first, yet first %.9g != max "
                          "%.9g", (double)fi, (double)mx);
                continue;   /* the second window's score is unknown: try the next pair */
            }
            const float second = mx;   /* two windows, the second the best */
            const float want = (float)(((double)fi + (double)second) / 2);
            cr_expect(memcmp(&mean, &want, sizeof want) == 0, "mean %.9g, (first %.9g + second %.9g) / 2 = %.9g",
                      (double)mean, (double)fi, (double)second, (double)want);
            printf("mean: pair %zu at max_length %d: first %.6f, second %.6f, mean %.6f\n", i, ml, (double)fi,
                   (double)second, (double)mean);
            found = 1;
        }
    }
    cr_assert(found, "no fixture passage has two windows with the second the best");
    cbt_pairs_free(&cp);
    cb_model_free(m);
    free(path);
}

/* ---- the real reranker -------------------------------------------------------------- */

static char *json_str(const cJSON *doc, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
    cr_assert(cJSON_IsString(v), "long-document.json has no %s", key);
    return v->valuestring;
}

static void check_planted(const char *model_path, const char *what)
{
    size_t size;
    char *text = cbt_read(CB_REAL_DIR "/long-document.json", &size);
    cJSON *doc = cJSON_Parse(text);
    cr_assert(doc);
    const char *query = json_str(doc, "query");
    const char *docs[3] = { json_str(doc, "planted"), json_str(doc, "control"), json_str(doc, "relevant") };
    const size_t p_begin = (size_t)cJSON_GetObjectItem(doc, "planted_begin")->valuedouble;
    const size_t p_end = (size_t)cJSON_GetObjectItem(doc, "planted_end")->valuedouble;
    cb_model *m = cbt_load(model_path, 1);
    cb_error err;
    /* 256: the length this reranker was fine-tuned at (tests/real/README.md) */
    const int max_length = 256;
    size_t before = 0;
    {
        /* word pieces of unrelated text before the planted passage, counted
         * in parts (the whole is more than the model's 512 positions) */
        int32_t ids[512];
        for (size_t at = 0; at + 1 < p_begin;) {
            size_t end = at + 1000 < p_begin - 1 ? at + 1000 : p_begin - 1;
            while (end < p_begin - 1 && docs[0][end] != ' ') end++;   /* pieces of whole words */
            const cb_pair part = { docs[0] + at, end - at, "", 0 };
            size_t k;
            cr_assert_eq(cb_tokenize(m, &part, 512, ids, NULL, 512, &k, &err), CB_OK, "%s", err.message);
            cr_assert_lt(k, 512, "bytes %zu-%zu of the filler do not fit in 512 tokens", at, end);
            before += k - 3;
            at = end + 1;
        }
        cr_assert_gt(before, 600, "only %zu word pieces before the planted passage", before);
    }
    cb_ranked t[3], c[3];
    cb_predict_options o = { .max_length = max_length };
    cr_assert_eq(cb_rank(m, query, CB_NUL_TERMINATED, docs, NULL, 3, &o, t, &err), CB_OK, "%s", err.message);
    o.long_document = CB_LONG_CHUNK;
    cr_assert_eq(cb_rank(m, query, CB_NUL_TERMINATED, docs, NULL, 3, &o, c, &err), CB_OK, "%s", err.message);
    float ts[3], cs[3];
    cb_window cw[3];
    for (int i = 0; i < 3; i++) {
        ts[t[i].corpus_id] = t[i].score;
        cs[c[i].corpus_id] = c[i].score;
        cw[c[i].corpus_id] = c[i].window;
    }
    printf("%s, max_length %d, %zu word pieces of filler: truncate planted %.4f control %.4f relevant alone %.4f; chunk planted %.4f (window %d "
           "of %d, bytes %zu-%zu; planted passage %zu-%zu) control %.4f\n", what, max_length, before, (double)ts[0],
           (double)ts[1], (double)ts[2], (double)cs[0], cw[0].index, cw[0].count, cw[0].begin, cw[0].end, p_begin,
           p_end, (double)cs[1]);
    /* truncation never reads the planted passage: the two documents score alike */
    cr_expect(memcmp(&ts[0], &ts[1], sizeof(float)) == 0, "%s: truncation scored planted %.9g, control %.9g", what,
              (double)ts[0], (double)ts[1]);
    cr_expect(t[0].corpus_id == 2, "%s: truncation should rank the relevant passage alone first", what);
    /* chunking finds it: a window inside the planted passage, clearly above the control */
    cr_expect(cs[0] > cs[1] + 0.5f, "%s: chunk scored planted %.4f, control %.4f", what, (double)cs[0],
              (double)cs[1]);
    cr_expect(cw[0].end > p_begin && cw[0].begin < p_end, "%s: the best window %zu-%zu misses the planted passage "
              "%zu-%zu", what, cw[0].begin, cw[0].end, p_begin, p_end);
    cr_expect(cw[0].count > 4, "%s: %d windows", what, cw[0].count);
    cr_expect(c[0].corpus_id == 2 || c[0].corpus_id == 0, "%s: chunk ranked the control first", what);
    cr_expect(c[2].corpus_id == 1, "%s: chunk should rank the control last", what);
    cb_model_free(m);
    cJSON_Delete(doc);
    free(text);
}

#ifndef CB_TEST_TIMEOUT_SCALE
#define CB_TEST_TIMEOUT_SCALE 1
#endif

/* Under qemu (CB_TEST_TIMEOUT_SCALE > 1, the aarch64 suites) float32 runs
 * some 200x slower, several minutes for this test: there only int8 is
 * checked, the path whose bits must agree across CPUs; float32 is checked by
 * the native and sanitizer builds. */
Test(long_document, planted_passage_real_reranker, .timeout = 120 * CB_TEST_TIMEOUT_SCALE)
{
    const char *dir = CB_REAL_DIR "/rerank-minilm-l6-dl20";
    if (CB_TEST_TIMEOUT_SCALE == 1) check_planted(dir, "rerank-minilm-l6-dl20 float32");
    else printf("rerank-minilm-l6-dl20 float32: not run under emulation (checked natively)\n");
    char *q = cbt_temp_path("long-real-int8");
    cb_error err;
    cr_assert_eq(cb_convert(dir, q, CB_DTYPE_INT8, NULL, &err), CB_OK, "%s", err.message);
    check_planted(q, "rerank-minilm-l6-dl20 int8");
    remove(q);
    free(q);
}

/* ---- errors ---------------------------------------------------------------------------- */

Test(long_document, errors)
{
    char *path = cbt_converted("bert-tiny", CB_DTYPE_INT8);
    cb_model *m = cbt_load(path, 1);
    const cb_pair p = { "q", CB_NUL_TERMINATED, "a passage", CB_NUL_TERMINATED };
    float s;
    cb_error err;
    /* max_length 64: 61 for the texts, so windows share at most 29 pieces */
    cb_predict_options o = { .max_length = 64, .long_document = CB_LONG_CHUNK, .stride = 30 };
    cr_assert_eq(cb_predict(m, &p, 1, &o, &s, &err), CB_ERR_INVALID_ARGUMENT);
    cr_expect_str_eq(err.message, "stride 30: windows of max_length 64 may share at most 29 word pieces");
    o.stride = 29;
    cr_assert_eq(cb_predict(m, &p, 1, &o, &s, &err), CB_OK, "%s", err.message);
    o.stride = -2;
    cr_assert_eq(cb_predict(m, &p, 1, &o, &s, &err), CB_ERR_INVALID_ARGUMENT);
    o.stride = CB_STRIDE_NONE;
    cr_assert_eq(cb_predict(m, &p, 1, &o, &s, &err), CB_OK, "%s", err.message);
    o.aggregate = (cb_aggregate)3;
    cr_assert_eq(cb_predict(m, &p, 1, &o, &s, &err), CB_ERR_INVALID_ARGUMENT);
    cr_expect_str_eq(err.message, "unknown aggregate 3 (0 = max, 1 = first, 2 = mean)");
    o.aggregate = CB_AGGREGATE_MAX;
    o.long_document = (cb_long_document)2;
    cr_assert_eq(cb_predict(m, &p, 1, &o, &s, &err), CB_ERR_INVALID_ARGUMENT);
    cr_expect_str_eq(err.message, "unknown long_document mode 2 (0 = truncate, 1 = chunk)");
    cb_model_free(m);
    free(path);

    path = cbt_converted("bert-nli-3label", CB_DTYPE_INT8);
    m = cbt_load(path, 1);
    float three[3];
    o = (cb_predict_options){ .long_document = CB_LONG_CHUNK };
    cr_assert_eq(cb_predict(m, &p, 1, &o, three, &err), CB_ERR_NOT_SINGLE_LABEL);
    cr_expect(strstr(err.message, "long_document chunk needs a model with one label; this one has 3") == err.message,
              "%s", err.message);
    /* truncation (the default) still works on it */
    o.long_document = CB_LONG_TRUNCATE;
    cr_assert_eq(cb_predict(m, &p, 1, &o, three, &err), CB_OK, "%s", err.message);
    cb_model_free(m);
    free(path);
}
