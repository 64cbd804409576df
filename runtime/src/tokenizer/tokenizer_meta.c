/* tokenizer_meta.c: see tokenizer_meta.h. */
#include "tokenizer_meta.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

static const char *kind_name(cb_tokenizer_kind k)
{
    return k == CB_TOKENIZER_BPE ? "bpe" : "wordpiece";
}

cJSON *cb_tokenizer_spec_to_json(const cb_tokenizer_spec *spec)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    int ok = cJSON_AddStringToObject(o, "kind", kind_name(spec->kind)) &&
             cJSON_AddNumberToObject(o, "clean_text", spec->clean_text) &&
             cJSON_AddNumberToObject(o, "handle_chinese_chars", spec->handle_chinese_chars) &&
             cJSON_AddNumberToObject(o, "strip_accents", spec->strip_accents) &&
             cJSON_AddNumberToObject(o, "lowercase", spec->lowercase) &&
             cJSON_AddNumberToObject(o, "max_input_chars_per_word", spec->max_input_chars_per_word) &&
             cJSON_AddStringToObject(o, "continuing_subword_prefix",
                                     spec->continuing_subword_prefix ? spec->continuing_subword_prefix : "") &&
             cJSON_AddNumberToObject(o, "unk_id", spec->unk_id) &&
             cJSON_AddNumberToObject(o, "n_vocab", spec->n_vocab);
    cJSON *added = ok ? cJSON_AddArrayToObject(o, "added_ids") : NULL;
    for (uint32_t i = 0; added && i < spec->n_added; i++) {
        cJSON *v = cJSON_CreateNumber(spec->added_ids[i]);
        if (!v || !cJSON_AddItemToArray(added, v)) added = NULL;
    }
    cJSON *tmpl = added ? cJSON_AddArrayToObject(o, "pair_template") : NULL;
    for (int i = 0; tmpl && i < spec->n_template; i++) {
        const cb_template_item *it = &spec->pair_template[i];
        const int vals[3] = { (int)it->kind, (int)it->id, (int)it->type_id };
        cJSON *v = cJSON_CreateIntArray(vals, 3);
        if (!v || !cJSON_AddItemToArray(tmpl, v)) tmpl = NULL;
    }
    /* BPE only, so WordPiece metadata stays as it was. */
    if (tmpl && spec->kind == CB_TOKENIZER_BPE &&
        (!cJSON_AddNumberToObject(o, "n_merges", spec->n_merges) ||
         !cJSON_AddNumberToObject(o, "add_prefix_space", spec->add_prefix_space) ||
         !cJSON_AddNumberToObject(o, "fuse_unk", spec->fuse_unk)))
        tmpl = NULL;
    /* Strip flags of the added tokens, when any is set. */
    int any_strip = 0;
    for (uint32_t i = 0; spec->added_strip && i < spec->n_added; i++) any_strip |= spec->added_strip[i] != 0;
    cJSON *strip = tmpl && any_strip ? cJSON_AddArrayToObject(o, "added_strip") : NULL;
    if (any_strip && !strip) tmpl = NULL;
    for (uint32_t i = 0; strip && i < spec->n_added; i++) {
        cJSON *v = cJSON_CreateNumber(spec->added_strip[i]);
        if (!v || !cJSON_AddItemToArray(strip, v)) {
            strip = NULL;
            tmpl = NULL;
        }
    }
    if (!tmpl) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int get_int(const cJSON *o, const char *key, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v)) return 0;
    *out = v->valueint;
    return 1;
}

cb_status cb_tokenizer_spec_from_json(const cJSON *o, const char *vocab, size_t vocab_bytes,
                                      const cb_allocator *alloc, cb_tokenizer_spec *spec, int32_t **added_ids_owned,
                                      cb_error *err)
{
    memset(spec, 0, sizeof *spec);
    *added_ids_owned = NULL;
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
    const cJSON *prefix = cJSON_GetObjectItemCaseSensitive(o, "continuing_subword_prefix");
    const cJSON *added = cJSON_GetObjectItemCaseSensitive(o, "added_ids");
    const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(o, "pair_template");
    int n_vocab = 0, unk = 0;
    if (!cJSON_IsString(kind) || !cJSON_IsString(prefix) || !cJSON_IsArray(added) || !cJSON_IsArray(tmpl) ||
        !get_int(o, "clean_text", &spec->clean_text) ||
        !get_int(o, "handle_chinese_chars", &spec->handle_chinese_chars) ||
        !get_int(o, "strip_accents", &spec->strip_accents) || !get_int(o, "lowercase", &spec->lowercase) ||
        !get_int(o, "max_input_chars_per_word", &spec->max_input_chars_per_word) ||
        !get_int(o, "unk_id", &unk) || !get_int(o, "n_vocab", &n_vocab))
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: tokenizer metadata is incomplete");
    if (strcmp(kind->valuestring, "wordpiece") == 0) spec->kind = CB_TOKENIZER_WORDPIECE;
    else if (strcmp(kind->valuestring, "bpe") == 0) spec->kind = CB_TOKENIZER_BPE;
    else return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "model file: tokenizer kind '%s'", kind->valuestring);
    if (spec->kind == CB_TOKENIZER_BPE &&
        (!get_int(o, "add_prefix_space", &spec->add_prefix_space) || !get_int(o, "fuse_unk", &spec->fuse_unk)))
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: BPE tokenizer metadata is incomplete");
    spec->continuing_subword_prefix = prefix->valuestring;
    spec->unk_id = unk;
    if (n_vocab <= 0 || unk < -1 || unk >= n_vocab)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: tokenizer vocabulary size %d / unknown id %d", n_vocab, unk);
    /* The vocabulary must hold exactly n_vocab NUL-terminated strings. */
    uint32_t count = 0;
    for (size_t i = 0; i < vocab_bytes; i++) count += vocab[i] == '\0';
    if (count != (uint32_t)n_vocab || vocab_bytes == 0 || vocab[vocab_bytes - 1] != '\0')
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: vocabulary holds %u entries, metadata says %d",
                       count, n_vocab);
    spec->vocab = vocab;
    spec->vocab_bytes = vocab_bytes;
    spec->n_vocab = (uint32_t)n_vocab;

    int n_added = cJSON_GetArraySize(added);
    const cJSON *strip = cJSON_GetObjectItemCaseSensitive(o, "added_strip");
    if (strip && (!cJSON_IsArray(strip) || cJSON_GetArraySize(strip) != n_added))
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: added_strip does not match added_ids");
    if (n_added > 0) {
        /* The strip flags live after the ids, in the same owned block. */
        int32_t *ids = cb_malloc(alloc, (size_t)n_added * (sizeof *ids + 1));
        if (!ids) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory reading tokenizer metadata");
        uint8_t *flags = (uint8_t *)(ids + n_added);
        for (int i = 0; i < n_added; i++) {
            const cJSON *v = cJSON_GetArrayItem(added, i), *f = strip ? cJSON_GetArrayItem(strip, i) : NULL;
            if (!cJSON_IsNumber(v) || v->valueint < 0 || v->valueint >= n_vocab ||
                (strip && (!cJSON_IsNumber(f) || f->valueint < 0 || f->valueint > 3))) {
                cb_free(alloc, ids);
                return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: added token id or flags out of range");
            }
            ids[i] = v->valueint;
            flags[i] = (uint8_t)(strip ? f->valueint : 0);
        }
        *added_ids_owned = ids;
        spec->added_ids = ids;
        spec->added_strip = strip ? flags : NULL;
        spec->n_added = (uint32_t)n_added;
    }
    int n_tmpl = cJSON_GetArraySize(tmpl);
    if (n_tmpl < 2 || n_tmpl > CB_TEMPLATE_MAX) {
        cb_free(alloc, *added_ids_owned);
        *added_ids_owned = NULL;
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: pair template has %d items", n_tmpl);
    }
    for (int i = 0; i < n_tmpl; i++) {
        const cJSON *it = cJSON_GetArrayItem(tmpl, i);
        const cJSON *k = cJSON_GetArrayItem(it, 0), *id = cJSON_GetArrayItem(it, 1), *ty = cJSON_GetArrayItem(it, 2);
        if (!cJSON_IsArray(it) || !cJSON_IsNumber(k) || !cJSON_IsNumber(id) || !cJSON_IsNumber(ty) ||
            k->valueint < 0 || k->valueint > 2 || id->valueint < -1 || id->valueint >= n_vocab ||
            ty->valueint < 0 || (k->valueint == CB_TEMPLATE_SPECIAL && id->valueint < 0)) {
            cb_free(alloc, *added_ids_owned);
            *added_ids_owned = NULL;
            return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: pair template item %d is malformed", i);
        }
        spec->pair_template[i].kind = (cb_template_item_kind)k->valueint;
        spec->pair_template[i].id = id->valueint;
        spec->pair_template[i].type_id = ty->valueint;
    }
    spec->n_template = n_tmpl;
    return CB_OK;
}

cb_status cb_tokenizer_spec_merges_from_json(const cJSON *o, const char *merges, size_t merges_bytes,
                                             cb_tokenizer_spec *spec, cb_error *err)
{
    if (spec->kind != CB_TOKENIZER_BPE) {
        if (merges) return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: merges for a WordPiece tokenizer");
        return CB_OK;
    }
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "n_merges");
    if (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > (double)(UINT32_MAX >> 2))
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: BPE tokenizer without a merge count");
    uint32_t n_merges = (uint32_t)n->valuedouble;
    /* Exactly two NUL-terminated strings per merge. */
    size_t count = 0;
    for (size_t i = 0; i < merges_bytes; i++) count += merges[i] == '\0';
    if (count != 2 * (size_t)n_merges || (merges_bytes > 0 && merges[merges_bytes - 1] != '\0'))
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: merges hold %zu strings, metadata says %u merges",
                       count, n_merges);
    spec->merges = merges_bytes > 0 ? merges : NULL;
    spec->merges_bytes = merges_bytes;
    spec->n_merges = n_merges;
    return CB_OK;
}
