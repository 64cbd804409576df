/* hf_bpe.c: see hf_bpe.h. Mirrors tokenizers 0.23.2 src/models/bpe/model.rs
 * (read_file, convert_merges_to_hashmap, BpeBuilder::build) and
 * src/models/bpe/serialization.rs (the two forms of model.merges). */
#include "hf_bpe.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "read_file.h"

/* Appends one merge, (a[0..na), b[0..nb)), to the blob. */
static cb_status push_merge(cb_hf_merges *m, const char *a, size_t na, const char *b, size_t nb, cb_error *err)
{
    if (m->n == (UINT32_MAX >> 2)) return cb_fail(err, CB_ERR_HF_FORMAT, "more than %u merges", m->n);
    size_t need = na + nb + 2;
    if (m->cap - m->bytes < need) {
        size_t cap = m->cap ? m->cap : 4096;
        while (cap - m->bytes < need) {
            if (cap > SIZE_MAX / 2) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for the merges");
            cap *= 2;
        }
        char *p = cb_realloc(m->alloc, m->blob, cap);
        if (!p) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for the merges");
        m->blob = p;
        m->cap = cap;
    }
    memcpy(m->blob + m->bytes, a, na);
    m->blob[m->bytes + na] = '\0';
    memcpy(m->blob + m->bytes + na + 1, b, nb);
    m->blob[m->bytes + na + 1 + nb] = '\0';
    m->bytes += need;
    m->n++;
    return CB_OK;
}

/* One "left right" line of convert_merges_to_hashmap: "#version" lines are
 * skipped; otherwise splitting on ' ' must give exactly two parts (either may
 * be empty; the vocabulary check refuses those). */
static cb_status merge_line(cb_hf_merges *m, const char *line, size_t len, size_t line_no, const char *file,
                            cb_error *err)
{
    if (len >= 8 && memcmp(line, "#version", 8) == 0) return CB_OK;
    const char *sp = memchr(line, ' ', len);
    if (!sp || memchr(sp + 1, ' ', len - (size_t)(sp + 1 - line))) {
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: merge line %zu is not two tokens separated by one space",
                       file, line_no);
    }
    size_t na = (size_t)(sp - line);
    return push_merge(m, line, na, sp + 1, len - na - 1, err);
}

cb_status cb_hf_merges_from_json(const cJSON *merges, const char *file, const cb_allocator *alloc, cb_hf_merges *out,
                                 cb_error *err)
{
    out->alloc = alloc;
    if (!cJSON_IsArray(merges)) return cb_fail(err, CB_ERR_HF_FORMAT, "%s: model.merges is not an array", file);
    /* serde tries the [left, right] form first, then the string form: an
     * array mixing them is neither. */
    const cJSON *first = cJSON_GetArrayItem(merges, 0);
    int pairs = cJSON_IsArray(first);
    size_t index = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, merges) {
        index++;
        cb_status rc;
        if (pairs) {
            const cJSON *a = cJSON_GetArrayItem(it, 0), *b = cJSON_GetArrayItem(it, 1);
            if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) != 2 || !cJSON_IsString(a) || !cJSON_IsString(b)) {
                return cb_fail(err, CB_ERR_HF_FORMAT, "%s: model.merges item %zu is not a pair of strings", file,
                               index);
            }
            rc = push_merge(out, a->valuestring, strlen(a->valuestring), b->valuestring, strlen(b->valuestring),
                            err);
        } else {
            if (!cJSON_IsString(it)) {
                return cb_fail(err, CB_ERR_HF_FORMAT, "%s: model.merges item %zu is not a string", file, index);
            }
            rc = merge_line(out, it->valuestring, strlen(it->valuestring), index, file, err);
        }
        if (rc != CB_OK) return rc;
    }
    return CB_OK;
}

cb_status cb_hf_merges_from_txt(const char *path, const cb_allocator *alloc, cb_hf_merges *out, cb_error *err)
{
    out->alloc = alloc;
    char *text;
    size_t size;
    cb_status rc = cb_read_file(path, alloc, &text, &size, err);
    if (rc != CB_OK) return rc;
    if (memchr(text, '\0', size)) {
        cb_free(alloc, text);
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: contains a NUL byte", path);
    }
    /* BufRead::lines: split on \n, drop a \r before it; a final \n does not
     * start another line. */
    size_t start = 0, line_no = 0;
    while (rc == CB_OK && start < size) {
        const char *nl = memchr(text + start, '\n', size - start);
        size_t end = nl ? (size_t)(nl - text) : size;
        size_t len = end - start;
        if (nl && len > 0 && text[end - 1] == '\r') len--;
        rc = merge_line(out, text + start, len, ++line_no, path, err);
        start = end + 1;
    }
    cb_free(alloc, text);
    return rc;
}

cb_status cb_hf_merges_check(const cb_hf_merges *m, const cb_vocab_map *vocab, const char *file,
                             cb_error *err)
{
    size_t pos = 0;
    for (uint32_t r = 0; r < m->n; r++) {
        const char *a = m->blob + pos;
        size_t na = strlen(a);
        const char *b = a + na + 1;
        size_t nb = strlen(b);
        pos += na + nb + 2;
        uint64_t h = cb_hash_bytes(cb_hash_bytes(CB_HASH_INIT, a, na), b, nb);
        const char *missing = cb_vocab_map_lookup(vocab, a, na) < 0   ? "its left part"
                              : cb_vocab_map_lookup(vocab, b, nb) < 0 ? "its right part"
                              : cb_vocab_map_find(vocab, h, a, na, b, nb) < 0 ? "the merged token"
                                                                              : NULL;
        if (missing) {
            return cb_fail(err, CB_ERR_HF_FORMAT, "%s: merge %u (\"%.40s\" \"%.40s\"): %s is not in the vocabulary",
                           file, r + 1, a, b, missing);
        }
    }
    return CB_OK;
}

void cb_hf_merges_release(cb_hf_merges *m)
{
    if (!m) return;
    cb_free(m->alloc, m->blob);
    const cb_allocator *alloc = m->alloc;
    memset(m, 0, sizeof *m);
    m->alloc = alloc;
}
