/* fuzz_tokenizer.c: libFuzzer target for the tokenizer.
 *
 * Input layout: byte 0 chooses max_length (0..255, so the error path for
 * max_length < 3 is hit too), bytes 1-2 where text a ends; the rest is text a
 * then text b, raw (invalid UTF-8 included: it must be refused cleanly).
 * The spec is read once from a model folder: $CB_FUZZ_MODEL (tools/fuzz.sh
 * runs bert-tiny's WordPiece and roberta-tiny's byte-level BPE), else
 * $CB_FIXTURES/bert-tiny, else CB_FIXTURES_DIR/bert-tiny.
 * Checks beyond the sanitizers: a result fits max_length, starts and ends
 * with the special tokens the empty pair gets ([CLS] ... [SEP], <s> ... </s>),
 * and every id is inside the vocabulary. Then text b alone with word spans,
 * as long documents tokenise it (tokenizer.h cb_tokenizer_text): the same
 * ids as the pair kept of b, every span inside the text and in order, and the
 * windows of windows.h over them cover every token. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hf_tokenizer.h"
#include "tokenizer.h"
#include "windows.h"

#ifndef CB_FIXTURES_DIR
#define CB_FIXTURES_DIR "tests/fixtures"
#endif

/* The fuzzer's one tokenizer, read-only after LLVMFuzzerInitialize. */
static cb_hf_tokenizer g_hf;
static cb_tokenizer *g_tok;
static int32_t g_first, g_last;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[4096];
    const char *model = getenv("CB_FUZZ_MODEL");
    const char *fixtures = getenv("CB_FIXTURES");
    if (model && *model) {
        snprintf(dir, sizeof dir, "%s", model);
    } else {
        snprintf(dir, sizeof dir, "%s/bert-tiny", fixtures && *fixtures ? fixtures : CB_FIXTURES_DIR);
    }
    cb_error err;
    if (cb_hf_tokenizer_read(dir, NULL, &g_hf, &err) != CB_OK ||
        cb_tokenizer_create(&g_hf.spec, NULL, &g_tok, &err) != CB_OK) {
        fprintf(stderr, "fuzz_tokenizer: %s\n", err.message);
        abort();
    }
    int32_t ids[64], types[64];
    int n = 0;
    if (cb_tokenizer_encode_pair(g_tok, "", 0, "", 0, 64, ids, types, &n, &err) != CB_OK || n < 2) {
        fprintf(stderr, "fuzz_tokenizer: the empty pair: %s\n", err.message);
        abort();
    }
    g_first = ids[0];
    g_last = ids[n - 1];
    return 0;
}

/* b's tokens with spans: the pair's b part is their prefix; spans lie in b,
 * begin where the previous token's word began or later; windows cover all. */
static void check_spans(const char *b, size_t b_len, const int32_t *pair_ids, const int32_t *types, int n)
{
    cb_text_tokens t;
    cb_error err;
    if (cb_tokenizer_text(g_tok, b, b_len, "b", SIZE_MAX, SIZE_MAX, 1, &t, &err) != CB_OK) abort();
    if (t.stored != t.count || (t.count > 0 && !t.spans)) abort();
    size_t kb = 0;   /* b's tokens in the pair: type 1 for BERT; RoBERTa has no types, so only check BERT */
    for (int i = 0; i < n; i++) kb += types[i] == 1;
    if (kb > 1) {
        /* the pair keeps b's first kb - 1 tokens and the final special */
        const int32_t *pb = pair_ids + (n - (int)kb);
        if (kb - 1 > t.count || memcmp(pb, t.ids, (kb - 1) * sizeof *pb) != 0) abort();
    }
    for (size_t i = 0; i < t.count; i++) {
        if (t.spans[i].begin > t.spans[i].end || t.spans[i].end > b_len) abort();
        if (i > 0 && t.spans[i].begin < t.spans[i - 1].begin) abort();
    }
    for (size_t width = 1; t.count > 0 && width <= 9; width += 4) {
        size_t start = 0, windows = 0;
        for (;;) {
            const size_t end = cb_window_end(t.spans, t.count, start, width);
            if (end <= start || end - start > width) abort();
            if (++windows > t.count) abort();
            if (end == t.count) break;
            const size_t next = cb_window_next(t.spans, start, end, width / 2);
            if (next <= start || next > end) abort();
            start = next;
        }
    }
    cb_text_tokens_release(g_tok, &t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) return 0;
    int max_length = data[0];
    size_t rest = size - 3;
    size_t split = rest ? ((size_t)data[1] << 8 | data[2]) % (rest + 1) : 0;
    const char *a = (const char *)data + 3;
    const char *b = a + split;

    int32_t ids[256], types[256];
    int n = -1;
    cb_error err;
    cb_status rc = cb_tokenizer_encode_pair(g_tok, a, split, b, rest - split, max_length, ids, types, &n, &err);
    if (rc == CB_ERR_INVALID_UTF8 || rc == CB_ERR_MAX_LENGTH) return 0;
    if (rc != CB_OK) {
        fprintf(stderr, "unexpected status %d: %s\n", (int)rc, err.message);
        abort();
    }
    if (n < 3 || n > max_length || ids[0] != g_first || ids[n - 1] != g_last) abort();
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || (uint32_t)ids[i] >= g_hf.spec.n_vocab || (types[i] != 0 && types[i] != 1)) abort();
    }
    check_spans(b, rest - split, ids, types, n);
    return 0;
}
