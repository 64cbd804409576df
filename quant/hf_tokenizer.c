/* hf_tokenizer.c: tokenizer.json / vocab.txt + tokenizer_config.json -> spec.
 *
 * What is read, and why:
 *  - tokenizer.json is what tokenizers' Tokenizer::from_file reads: model
 *    (WordPiece vocab, unk_token, continuing_subword_prefix,
 *    max_input_chars_per_word), normalizer, pre_tokenizer, post_processor,
 *    added_tokens. Added tokens get their id as tokenizers gives it on load:
 *    the model vocabulary's id of the same string, else the next free id.
 *  - transformers' BertTokenizer (the class AutoTokenizer picks for BERT,
 *    DistilBERT, ELECTRA and kin: tokenizer_class of tokenizer_config.json or
 *    config.json, else config.json's model_type) keeps only the vocabulary
 *    of tokenizer.json. It rebuilds the normaliser from tokenizer_config.json
 *    (do_lower_case = true, strip_accents = null, tokenize_chinese_chars =
 *    true when a key is absent, whatever tokenizer.json says), the template
 *    from its cls/sep tokens, and adds the named special tokens (unk, sep,
 *    pad, cls, mask) and added_tokens_decoder as added tokens.
 *  - without tokenizer.json: vocab.txt read like transformers' load_vocab
 *    (universal newlines, one token a line, id = line number) and a
 *    BertTokenizer built from tokenizer_config.json and its defaults.
 *  - byte-level BPE (model "BPE" in tokenizer.json): no normaliser, the
 *    ByteLevel pre-tokenizer, RobertaProcessing or TemplateProcessing. The
 *    transformers classes RobertaTokenizer (RoBERTa, BART and kin) and
 *    DebertaTokenizer likewise keep only the vocabulary and merges (of
 *    tokenizer.json, else of vocab.json + merges.txt) and build the rest:
 *    ByteLevel with tokenizer_config.json's add_prefix_space (false when
 *    absent), a BPE model without unk token, and cls A sep sep B sep, all
 *    token types 0; their named special tokens are added like BERT's.
 */
#include "hf_tokenizer.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "hf_bpe.h"
#include "read_file.h"
#include "unicode.h"
#include "vocab_map.h"

#define PATH_CAP 4096

typedef struct reader {
    const char *dir;
    char tj_path[PATH_CAP];       /* tokenizer.json */
    char cfg_path[PATH_CAP];      /* tokenizer_config.json */
    char vocab_path[PATH_CAP];    /* vocab.txt */
    char vjson_path[PATH_CAP];    /* vocab.json (BPE) */
    char merges_path[PATH_CAP];   /* merges.txt (BPE) */
    cJSON *tj;                    /* parsed tokenizer.json, or NULL */
    cJSON *vjson;                 /* parsed vocab.json, or NULL */
    cJSON *cfg;                   /* parsed tokenizer_config.json, or NULL */
    char *vocab_txt;              /* vocab.txt bytes, split in place */

    const char **tokens;          /* model vocabulary by id (borrowed strings) */
    uint32_t n_model;
    char *model_blob;             /* the model vocabulary packed, for lookups */
    cb_vocab_map map;

    const char **extra;           /* added tokens outside the model vocabulary: id n_model + i */
    uint32_t n_extra, cap_extra;
    int32_t *added;               /* ids matched in raw text */
    uint8_t *strip;               /* their CB_ADDED_* flags */
    uint32_t n_added, cap_added;

    int bert_class;               /* tokenizer_class is one of BertTokenizer's */
    int bpe_class;                /* BPE_ROBERTA or BPE_DEBERTA: that class builds the pipeline */
    char class_name[64];          /* the tokenizer class or model type, for messages */
    int bpe;                      /* the model is byte-level BPE */
    cb_hf_merges merges;
    const cb_allocator *alloc;
} reader;

enum { BPE_ROBERTA = 1, BPE_DEBERTA = 2 };

/* ---- small helpers ---------------------------------------------------------------- */

static const cJSON *get(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* A JSON boolean field; `dflt` when absent or null. -1 when of another type. */
static int get_bool(const cJSON *obj, const char *key, int dflt)
{
    const cJSON *v = get(obj, key);
    if (!v || cJSON_IsNull(v)) return dflt;
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v);
    return -1;
}

static const char *type_of(const cJSON *obj)
{
    const cJSON *t = get(obj, "type");
    return cJSON_IsString(t) ? t->valuestring : NULL;
}

/* A special token setting of tokenizer_config.json: "[CLS]" or
 * {"content": "[CLS]", ...} (older AddedToken form); NULL when absent. */
static const char *token_name(const cJSON *v)
{
    if (cJSON_IsString(v)) return v->valuestring;
    if (cJSON_IsObject(v)) {
        const cJSON *c = get(v, "content");
        if (cJSON_IsString(c)) return c->valuestring;
    }
    return NULL;
}

static int32_t lookup(const reader *r, const char *name)
{
    int32_t id = cb_vocab_map_lookup(&r->map, name, strlen(name));
    if (id >= 0) return id;
    for (uint32_t i = 0; i < r->n_extra; i++) {
        if (strcmp(r->extra[i], name) == 0) return (int32_t)(r->n_model + i);
    }
    return -1;
}

/* The first registration of a token keeps its flags: transformers adds a
 * named special token only when no added token has its content yet. */
static cb_status push_added_id(reader *r, int32_t id, unsigned strip, cb_error *err)
{
    for (uint32_t i = 0; i < r->n_added; i++) {
        if (r->added[i] == id) return CB_OK;
    }
    if (r->n_added == r->cap_added) {
        uint32_t cap = r->cap_added ? r->cap_added * 2 : 16;
        int32_t *p = cb_realloc(r->alloc, r->added, cap * sizeof *p);
        if (p) r->added = p;
        uint8_t *f = cb_realloc(r->alloc, r->strip, cap);
        if (f) r->strip = f;
        if (!p || !f) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for added tokens");
        r->cap_added = cap;
    }
    r->strip[r->n_added] = (uint8_t)strip;
    r->added[r->n_added++] = id;
    return CB_OK;
}

/* Registers an added token as AddedVocabulary::add_tokens does: the id of
 * the same string in the vocabulary, else the next id after everything.
 * lstrip / rstrip are reproduced for BPE tokenizers (RoBERTa's <mask> has
 * lstrip); around WordPiece tokens whitespace makes no token anyway. */
static cb_status add_token(reader *r, const char *content, int normalized, int lstrip, int rstrip,
                           int single_word, const char *file, cb_error *err)
{
    if (!content[0]) return CB_OK;   /* tokenizers ignores empty added tokens */
    if (normalized < 0 || lstrip < 0 || rstrip < 0 || single_word < 0) {
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: added token \"%s\" has a non-boolean option",
                       file, content);
    }
    if (normalized || single_word || (!r->bpe && (lstrip || rstrip))) {
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL,
                       "%s: added token \"%s\" with %s is not supported", file, content,
                       normalized ? "normalized=true" : single_word ? "single_word=true"
                       : lstrip ? "lstrip=true" : "rstrip=true");
    }
    int32_t id = lookup(r, content);
    if (id < 0) {
        if (r->n_extra == r->cap_extra) {
            uint32_t cap = r->cap_extra ? r->cap_extra * 2 : 8;
            const char **p = cb_realloc(r->alloc, r->extra, cap * sizeof *p);
            if (!p) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for added tokens");
            r->extra = p;
            r->cap_extra = cap;
        }
        r->extra[r->n_extra] = content;
        id = (int32_t)(r->n_model + r->n_extra);
        r->n_extra++;
    }
    return push_added_id(r, id, (lstrip ? CB_ADDED_LSTRIP : 0u) | (rstrip ? CB_ADDED_RSTRIP : 0u), err);
}

/* ---- the model vocabulary ------------------------------------------------------------- */

static cb_status index_vocab(reader *r, const char *file, cb_error *err)
{
    size_t bytes = 0;
    for (uint32_t i = 0; i < r->n_model; i++) {
        size_t len = strlen(r->tokens[i]);
        size_t bad;
        if (!cb_utf8_validate(r->tokens[i], len, &bad)) {
            return cb_fail(err, CB_ERR_HF_FORMAT, "%s: token %u is not valid UTF-8", file, i);
        }
        bytes += len + 1;
    }
    r->model_blob = cb_malloc(r->alloc, bytes);
    if (!r->model_blob) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for the vocabulary");
    size_t pos = 0;
    for (uint32_t i = 0; i < r->n_model; i++) {
        size_t len = strlen(r->tokens[i]) + 1;
        memcpy(r->model_blob + pos, r->tokens[i], len);
        pos += len;
    }
    return cb_vocab_map_build(&r->map, r->alloc, r->model_blob, bytes, r->n_model, err);
}

/* tokenizer.json's model.vocab, or vocab.json (file f): {"token": id, ...},
 * ids exactly 0..n-1. */
static cb_status vocab_from_json(reader *r, const cJSON *vocab, const char *f, cb_error *err)
{
    if (!cJSON_IsObject(vocab)) return cb_fail(err, CB_ERR_HF_FORMAT, "%s: model.vocab is not an object", f);
    int n = cJSON_GetArraySize(vocab);
    if (n <= 0) return cb_fail(err, CB_ERR_HF_FORMAT, "%s: model.vocab is empty", f);
    r->tokens = cb_calloc(r->alloc, (size_t)n, sizeof *r->tokens);
    if (!r->tokens) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for the vocabulary");
    r->n_model = (uint32_t)n;
    const cJSON *it;
    cJSON_ArrayForEach(it, vocab) {
        double d = it->valuedouble;
        if (!cJSON_IsNumber(it) || !(d >= 0 && d < n) || d != (double)(int)d) {
            return cb_fail(err, CB_ERR_HF_FORMAT,
                           "%s: model.vocab id of \"%s\" is not in 0..%d", f, it->string, n - 1);
        }
        int id = (int)d;
        if (r->tokens[id]) {
            return cb_fail(err, CB_ERR_HF_FORMAT, "%s: model.vocab id %d is used twice", f, id);
        }
        r->tokens[id] = it->string;
    }
    return index_vocab(r, f, err);
}

/* vocab.txt as transformers' load_vocab reads it: text mode with universal
 * newlines (\n, \r\n and \r end a line), the newline stripped, nothing else. */
static size_t split_lines(char *t, size_t size, const char **lines)
{
    size_t n = 0, start = 0;
    while (start < size) {
        size_t e = start;
        while (e < size && t[e] != '\n' && t[e] != '\r') e++;
        size_t next = e + 1;
        if (e + 1 < size && t[e] == '\r' && t[e + 1] == '\n') next = e + 2;
        if (lines) {
            t[e] = '\0';   /* at e == size this is the NUL cb_read_file appends */
            lines[n] = t + start;
        }
        n++;
        start = next;
    }
    return n;
}

static cb_status vocab_from_txt(reader *r, cb_error *err)
{
    size_t size;
    cb_status rc = cb_read_file(r->vocab_path, r->alloc, &r->vocab_txt, &size, err);
    if (rc != CB_OK) return rc;
    if (memchr(r->vocab_txt, '\0', size)) {
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: contains a NUL byte", r->vocab_path);
    }
    size_t lines = split_lines(r->vocab_txt, size, NULL);
    if (lines == 0) return cb_fail(err, CB_ERR_HF_FORMAT, "%s: empty vocabulary", r->vocab_path);
    if (lines > (UINT32_MAX >> 3)) return cb_fail(err, CB_ERR_HF_FORMAT, "%s: too many lines", r->vocab_path);
    r->tokens = cb_calloc(r->alloc, lines, sizeof *r->tokens);
    if (!r->tokens) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for the vocabulary");
    r->n_model = (uint32_t)split_lines(r->vocab_txt, size, r->tokens);
    return index_vocab(r, r->vocab_path, err);
}

/* ---- tokenizer_config.json -------------------------------------------------------------- */

static const char *const bert_classes[] = {
    "BertTokenizer", "BertTokenizerFast", "DistilBertTokenizer", "DistilBertTokenizerFast",
    "ElectraTokenizer", "ElectraTokenizerFast",
};

/* config.json model types that AutoTokenizer (transformers 5.17) maps to
 * BertTokenizer when no tokenizer_class is given. */
static const char *const bert_model_types[] = {
    "align", "bark", "bert", "blip", "bros", "chinese_clip", "convbert", "distilbert", "electra",
    "ernie", "flava", "git", "grounding-dino", "layoutlm", "megatron-bert", "mm-grounding-dino",
    "nezha", "nomic_bert", "qdqbert", "realm", "retribert", "squeezebert", "tvp", "vilt",
    "visual_bert",
};

/* transformers 5.24's byte-level BPE classes that rebuild the pipeline
 * (BartTokenizer is RobertaTokenizer), and the model types AutoTokenizer maps
 * to them. */
static const char *const roberta_classes[] = {
    "RobertaTokenizer", "RobertaTokenizerFast", "BartTokenizer", "BartTokenizerFast",
};
static const char *const roberta_model_types[] = {
    "bart", "bridgetower", "clap", "data2vec-text", "ibert", "lilt", "longformer", "mega", "mra",
    "roberta", "roberta-prelayernorm",
};
static const char *const deberta_classes[] = { "DebertaTokenizer", "DebertaTokenizerFast" };

static int in_list(const cJSON *v, const char *const *list, size_t n)
{
    for (size_t i = 0; cJSON_IsString(v) && i < n; i++) {
        if (strcmp(v->valuestring, list[i]) == 0) return 1;
    }
    return 0;
}

#define IN(v, list) in_list((v), (list), sizeof(list) / sizeof(list)[0])

/* Records the class a tokenizer_class name (is_class) or model_type stands
 * for. */
static void classify(reader *r, const cJSON *name, int is_class)
{
    if (is_class) {
        r->bert_class = IN(name, bert_classes);
        r->bpe_class = IN(name, roberta_classes) ? BPE_ROBERTA : IN(name, deberta_classes) ? BPE_DEBERTA : 0;
    } else {
        r->bert_class = IN(name, bert_model_types);
        r->bpe_class = IN(name, roberta_model_types)              ? BPE_ROBERTA
                       : cJSON_IsString(name) && !strcmp(name->valuestring, "deberta") ? BPE_DEBERTA
                                                                                        : 0;
    }
    snprintf(r->class_name, sizeof r->class_name, "%s", cJSON_IsString(name) ? name->valuestring : "(none)");
}

/* Which tokenizer class transformers' AutoTokenizer would build: the
 * tokenizer_class of tokenizer_config.json, else that of config.json, else
 * the one config.json's model_type maps to. */
static cb_status detect_bert_class(reader *r, cb_error *err)
{
    const cJSON *cls = r->cfg ? get(r->cfg, "tokenizer_class") : NULL;
    if (cJSON_IsString(cls)) {
        classify(r, cls, 1);
        return CB_OK;
    }
    char path[PATH_CAP];
    cJSON *config = NULL;
    cb_status rc = cb_path_join(path, sizeof path, r->dir, "config.json", err);
    if (rc == CB_OK) rc = cb_read_json(path, r->alloc, 0, &config, err);
    if (rc != CB_OK || !config) return rc;
    cls = get(config, "tokenizer_class");
    if (cJSON_IsString(cls)) {
        classify(r, cls, 1);
    } else {
        classify(r, get(config, "model_type"), 0);
    }
    cJSON_Delete(config);
    return CB_OK;
}

static const char *cfg_token(const reader *r, const char *key, const char *dflt)
{
    const cJSON *v = r->cfg ? get(r->cfg, key) : NULL;
    if (!v) return dflt;
    return token_name(v);   /* null: no such token */
}

static int read_model_max_length(const reader *r)
{
    const cJSON *v = r->cfg ? get(r->cfg, "model_max_length") : NULL;
    if (!cJSON_IsNumber(v)) return 0;
    /* transformers writes 1e30 (VERY_LARGE_INTEGER) for "no limit". */
    if (v->valuedouble < 1 || v->valuedouble > 1e6) return 0;
    return (int)v->valuedouble;
}

/* BertTokenizer's normaliser switches from tokenizer_config.json. */
static cb_status bert_normalizer_from_cfg(reader *r, cb_tokenizer_spec *s, cb_error *err)
{
    const cJSON *cfg = r->cfg;
    int lower = cfg ? get_bool(cfg, "do_lower_case", 1) : 1;
    int chinese = cfg ? get_bool(cfg, "tokenize_chinese_chars", 1) : 1;
    int strip = cfg ? get_bool(cfg, "strip_accents", -2) : -2;
    if (lower < 0 || chinese < 0 || strip == -1) {
        return cb_fail(err, CB_ERR_HF_FORMAT,
                       "%s: do_lower_case, strip_accents or tokenize_chinese_chars is not a boolean",
                       r->cfg_path);
    }
    s->clean_text = 1;
    s->handle_chinese_chars = chinese;
    s->lowercase = lower;
    s->strip_accents = strip == -2 ? lower : strip;   /* null: same as lowercase */
    return CB_OK;
}

/* The named special tokens of a tokenizer class, in transformers' order
 * (SPECIAL_TOKENS_ATTRIBUTES), with the class's defaults. */
static const char *const bert_special_keys[] = { "unk_token", "sep_token", "pad_token", "cls_token", "mask_token" };
static const char *const bert_special_dflt[] = { "[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]" };
static const char *const bpe_special_keys[] = {
    "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token",
};
static const char *const roberta_special_dflt[] = { "<s>", "</s>", "<unk>", "</s>", "<pad>", "<s>", "<mask>" };
static const char *const deberta_special_dflt[] = { "[CLS]", "[SEP]", "[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]" };

/* The named special tokens (keys, with defaults dflt) and
 * added_tokens_decoder of tokenizer_config.json become added tokens, as
 * transformers registers them. */
static cb_status added_from_cfg(reader *r, const char *const *keys, const char *const *dflt, size_t n_keys,
                                cb_error *err)
{
    const cJSON *dec = r->cfg ? get(r->cfg, "added_tokens_decoder") : NULL;
    if (dec && !cJSON_IsObject(dec)) {
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: added_tokens_decoder is not an object", r->cfg_path);
    }
    /* In index order, as transformers sorts them. */
    int n = dec ? cJSON_GetArraySize(dec) : 0;
    for (long want = -1, done = 0; done < n; done++) {
        const cJSON *best = NULL, *it;
        long best_idx = 0;
        cJSON_ArrayForEach(it, dec) {
            long idx = strtol(it->string, NULL, 10);
            if (idx > want && (!best || idx < best_idx)) {
                best = it;
                best_idx = idx;
            }
        }
        if (!best) break;
        want = best_idx;
        const char *content = token_name(best);
        if (!content) {
            return cb_fail(err, CB_ERR_HF_FORMAT, "%s: added_tokens_decoder entry %s has no content",
                           r->cfg_path, best->string);
        }
        int special = get_bool(best, "special", 0);
        cb_status rc = add_token(r, content, get_bool(best, "normalized", !special),
                                 get_bool(best, "lstrip", 0), get_bool(best, "rstrip", 0),
                                 get_bool(best, "single_word", 0), r->cfg_path, err);
        if (rc != CB_OK) return rc;
    }
    for (size_t i = 0; i < n_keys; i++) {
        const cJSON *v = r->cfg ? get(r->cfg, keys[i]) : NULL;
        const char *name = cfg_token(r, keys[i], dflt[i]);
        if (!name) continue;
        int lstrip = cJSON_IsObject(v) ? get_bool(v, "lstrip", 0) : 0;
        int rstrip = cJSON_IsObject(v) ? get_bool(v, "rstrip", 0) : 0;
        int single = cJSON_IsObject(v) ? get_bool(v, "single_word", 0) : 0;
        cb_status rc = add_token(r, name, 0, lstrip, rstrip, single, r->cfg_path, err);
        if (rc != CB_OK) return rc;
    }
    return CB_OK;
}

/* ---- tokenizer.json ----------------------------------------------------------------------- */

static cb_status normalizer_from_json(reader *r, cb_tokenizer_spec *s, cb_error *err)
{
    const cJSON *n = get(r->tj, "normalizer");
    if (!n || cJSON_IsNull(n)) return CB_OK;   /* no normaliser: all switches off */
    const char *type = type_of(n);
    if (!type || strcmp(type, "BertNormalizer") != 0) {
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "%s: normalizer %s is not supported",
                       r->tj_path, type ? type : "(without type)");
    }
    int clean = get_bool(n, "clean_text", 1);
    int chinese = get_bool(n, "handle_chinese_chars", 1);
    int lower = get_bool(n, "lowercase", 1);
    int strip = get_bool(n, "strip_accents", -2);
    if (clean < 0 || chinese < 0 || lower < 0 || strip == -1) {
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: a BertNormalizer field is not a boolean", r->tj_path);
    }
    s->clean_text = clean;
    s->handle_chinese_chars = chinese;
    s->lowercase = lower;
    s->strip_accents = strip == -2 ? lower : strip;
    return CB_OK;
}

static cb_status pre_tokenizer_from_json(reader *r, cb_error *err)
{
    const cJSON *p = get(r->tj, "pre_tokenizer");
    const char *type = p && !cJSON_IsNull(p) ? type_of(p) : "null";
    if (!type || strcmp(type, "BertPreTokenizer") != 0) {
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "%s: pre_tokenizer %s is not supported",
                       r->tj_path, type ? type : "(without type)");
    }
    return CB_OK;
}

static cb_status model_from_json(reader *r, const char **unk, const char **prefix, int *max_chars,
                                 cb_error *err)
{
    const char *f = r->tj_path;
    const cJSON *m = get(r->tj, "model");
    if (!cJSON_IsObject(m)) return cb_fail(err, CB_ERR_HF_FORMAT, "%s: no model object", f);
    const char *type = type_of(m);
    /* Old files have no "type"; WordPiece is recognisable by its fields. */
    if (!type && get(m, "continuing_subword_prefix") && get(m, "max_input_chars_per_word")) {
        type = "WordPiece";
    }
    if (!type || strcmp(type, "WordPiece") != 0) {
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "%s: tokenizer model %s is not supported", f,
                       type ? type : "(without type)");
    }
    const cJSON *u = get(m, "unk_token");
    const cJSON *p = get(m, "continuing_subword_prefix");
    const cJSON *mc = get(m, "max_input_chars_per_word");
    if (u && !cJSON_IsString(u)) return cb_fail(err, CB_ERR_HF_FORMAT, "%s: model.unk_token is not a string", f);
    if (p && !cJSON_IsString(p)) {
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: model.continuing_subword_prefix is not a string", f);
    }
    if (mc && (!cJSON_IsNumber(mc) || mc->valuedouble < 1 || mc->valuedouble > 100000)) {
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: model.max_input_chars_per_word is not in 1..100000", f);
    }
    *unk = u ? u->valuestring : "[UNK]";
    *prefix = p ? p->valuestring : "##";
    *max_chars = mc ? (int)mc->valuedouble : 100;
    return vocab_from_json(r, get(m, "vocab"), f, err);
}

static cb_status added_from_json(reader *r, cb_error *err)
{
    const cJSON *list = get(r->tj, "added_tokens");
    if (!list || cJSON_IsNull(list)) return CB_OK;
    if (!cJSON_IsArray(list)) return cb_fail(err, CB_ERR_HF_FORMAT, "%s: added_tokens is not an array", r->tj_path);
    const cJSON *it;
    cJSON_ArrayForEach(it, list) {
        const cJSON *c = get(it, "content");
        if (!cJSON_IsString(c)) {
            return cb_fail(err, CB_ERR_HF_FORMAT, "%s: an added token has no content", r->tj_path);
        }
        int special = get_bool(it, "special", 0);
        cb_status rc = add_token(r, c->valuestring, get_bool(it, "normalized", !special),
                                 get_bool(it, "lstrip", 0), get_bool(it, "rstrip", 0),
                                 get_bool(it, "single_word", 0), r->tj_path, err);
        if (rc != CB_OK) return rc;
    }
    return CB_OK;
}

static cb_status push_item(cb_tokenizer_spec *s, cb_template_item_kind kind, int32_t id,
                           int type_id, const char *file, cb_error *err)
{
    if (s->n_template == CB_TEMPLATE_MAX) {
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "%s: pair template longer than %d tokens",
                       file, CB_TEMPLATE_MAX);
    }
    cb_template_item *t = &s->pair_template[s->n_template++];
    t->kind = kind;
    t->id = id;
    t->type_id = type_id;
    return CB_OK;
}

static cb_status special_item(reader *r, cb_tokenizer_spec *s, const char *name, int type_id,
                              const char *file, cb_error *err)
{
    int32_t id = lookup(r, name);
    if (id < 0) {
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: special token \"%s\" is not in the vocabulary",
                       file, name);
    }
    return push_item(s, CB_TEMPLATE_SPECIAL, id, type_id, file, err);
}

/* [CLS] A [SEP] B [SEP], types 0 0 0 1 1: BertProcessing and BertTokenizer. */
static cb_status bert_template(reader *r, cb_tokenizer_spec *s, const char *cls, const char *sep,
                               const char *file, cb_error *err)
{
    s->n_template = 0;
    cb_status rc = special_item(r, s, cls, 0, file, err);
    if (rc == CB_OK) rc = push_item(s, CB_TEMPLATE_SEQUENCE_A, 0, 0, file, err);
    if (rc == CB_OK) rc = special_item(r, s, sep, 0, file, err);
    if (rc == CB_OK) rc = push_item(s, CB_TEMPLATE_SEQUENCE_B, 0, 1, file, err);
    if (rc == CB_OK) rc = special_item(r, s, sep, 1, file, err);
    return rc;
}

/* cls A sep sep B sep, all token types 0: RobertaProcessing, and the
 * templates RobertaTokenizer and DebertaTokenizer build. */
static cb_status sep_sep_template(reader *r, cb_tokenizer_spec *s, const char *cls, const char *sep,
                                  const char *file, cb_error *err)
{
    s->n_template = 0;
    cb_status rc = special_item(r, s, cls, 0, file, err);
    if (rc == CB_OK) rc = push_item(s, CB_TEMPLATE_SEQUENCE_A, 0, 0, file, err);
    if (rc == CB_OK) rc = special_item(r, s, sep, 0, file, err);
    if (rc == CB_OK) rc = special_item(r, s, sep, 0, file, err);
    if (rc == CB_OK) rc = push_item(s, CB_TEMPLATE_SEQUENCE_B, 0, 0, file, err);
    if (rc == CB_OK) rc = special_item(r, s, sep, 0, file, err);
    return rc;
}

static cb_status template_from_json(reader *r, cb_tokenizer_spec *s, cb_error *err)
{
    const char *f = r->tj_path;
    const cJSON *pp = get(r->tj, "post_processor");
    const char *type = pp && !cJSON_IsNull(pp) ? type_of(pp) : "null";
    int roberta = type && strcmp(type, "RobertaProcessing") == 0;
    if (roberta || (type && strcmp(type, "BertProcessing") == 0)) {
        const cJSON *cls = get(pp, "cls"), *sep = get(pp, "sep");
        const cJSON *cn = cJSON_GetArrayItem(cls, 0), *sn = cJSON_GetArrayItem(sep, 0);
        if (!cJSON_IsString(cn) || !cJSON_IsString(sn)) {
            return cb_fail(err, CB_ERR_HF_FORMAT, "%s: %s without cls/sep names", f, type);
        }
        if (roberta) return sep_sep_template(r, s, cn->valuestring, sn->valuestring, f, err);
        return bert_template(r, s, cn->valuestring, sn->valuestring, f, err);
    }
    if (!type || strcmp(type, "TemplateProcessing") != 0) {
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "%s: post_processor %s is not supported", f,
                       type ? type : "(without type)");
    }
    const cJSON *pair = get(pp, "pair"), *specials = get(pp, "special_tokens");
    if (!cJSON_IsArray(pair)) return cb_fail(err, CB_ERR_HF_FORMAT, "%s: TemplateProcessing without pair", f);
    s->n_template = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, pair) {
        const cJSON *sp = get(it, "SpecialToken"), *seq = get(it, "Sequence");
        const cJSON *body = sp ? sp : seq;
        const cJSON *id = get(body, "id"), *ty = get(body, "type_id");
        if (!body || !cJSON_IsString(id) || (ty && !cJSON_IsNumber(ty))) {
            return cb_fail(err, CB_ERR_HF_FORMAT, "%s: malformed pair template item", f);
        }
        int type_id = ty ? ty->valueint : 0;
        cb_status rc;
        if (seq) {
            int is_a = strcmp(id->valuestring, "A") == 0;
            if (!is_a && strcmp(id->valuestring, "B") != 0) {
                return cb_fail(err, CB_ERR_HF_FORMAT, "%s: pair template sequence \"%s\"", f, id->valuestring);
            }
            rc = push_item(s, is_a ? CB_TEMPLATE_SEQUENCE_A : CB_TEMPLATE_SEQUENCE_B, 0, type_id, f, err);
            if (rc != CB_OK) return rc;
            continue;
        }
        /* A special token of the template may stand for several tokens; each
         * is looked up by its string, and must agree with the file's id. */
        const cJSON *def = get(specials, id->valuestring);
        const cJSON *toks = get(def, "tokens"), *ids = get(def, "ids");
        if (!cJSON_IsArray(toks) || !cJSON_IsArray(ids) ||
            cJSON_GetArraySize(toks) != cJSON_GetArraySize(ids)) {
            return cb_fail(err, CB_ERR_HF_FORMAT, "%s: special token \"%s\" of the template is not defined",
                           f, id->valuestring);
        }
        for (int k = 0; k < cJSON_GetArraySize(toks); k++) {
            const cJSON *tk = cJSON_GetArrayItem(toks, k), *ik = cJSON_GetArrayItem(ids, k);
            if (!cJSON_IsString(tk) || !cJSON_IsNumber(ik)) {
                return cb_fail(err, CB_ERR_HF_FORMAT, "%s: malformed special token \"%s\"", f, id->valuestring);
            }
            int32_t found = lookup(r, tk->valuestring);
            if (found >= 0 && found != ik->valueint) {
                return cb_fail(err, CB_ERR_HF_FORMAT,
                               "%s: special token \"%s\" has id %d in the template but %d in the vocabulary",
                               f, tk->valuestring, ik->valueint, (int)found);
            }
            rc = special_item(r, s, tk->valuestring, type_id, f, err);
            if (rc != CB_OK) return rc;
        }
    }
    return CB_OK;
}

/* ---- assembling the spec ------------------------------------------------------------------ */

/* unk NULL: no unknown token (BPE). */
static cb_status finish(reader *r, const char *unk, const char *prefix, int max_chars,
                        const char *file, cb_hf_tokenizer *out, cb_error *err)
{
    cb_tokenizer_spec *s = &out->spec;
    int32_t unk_id = unk ? lookup(r, unk) : -1;
    if (unk && unk_id < 0) {
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: unk_token \"%s\" is not in the vocabulary", file, unk);
    }
    size_t model_bytes = r->map.n ? r->map.offset[r->n_model - 1] + r->map.len[r->n_model - 1] + 1 : 0;
    size_t bytes = model_bytes;
    for (uint32_t i = 0; i < r->n_extra; i++) bytes += strlen(r->extra[i]) + 1;
    size_t prefix_len = strlen(prefix);
    /* The prefix lives after the vocabulary in the same owned buffer, so the
     * spec's pointer has an owner without another field. */
    char *blob = cb_malloc(r->alloc, bytes + prefix_len + 1);
    if (!blob) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for the vocabulary");
    memcpy(blob, r->model_blob, model_bytes);
    size_t pos = model_bytes;
    for (uint32_t i = 0; i < r->n_extra; i++) {
        size_t len = strlen(r->extra[i]) + 1;
        memcpy(blob + pos, r->extra[i], len);
        pos += len;
    }
    memcpy(blob + pos, prefix, prefix_len + 1);

    /* The ids, then their strip flags, in one owned block. */
    int32_t *ids = cb_malloc(r->alloc, (size_t)r->n_added * (sizeof *ids + 1) + 1);
    if (!ids) {
        cb_free(r->alloc, blob);
        return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for added tokens");
    }
    uint8_t *strip = (uint8_t *)(ids + r->n_added);
    int any_strip = 0;
    for (uint32_t i = 0; i < r->n_added; i++) {
        ids[i] = r->added[i];
        strip[i] = r->strip[i];
        any_strip |= strip[i] != 0;
    }
    out->vocab_blob = blob;
    out->added_ids = ids;
    s->kind = r->bpe ? CB_TOKENIZER_BPE : CB_TOKENIZER_WORDPIECE;
    if (r->bpe) {
        out->merges_blob = r->merges.blob;
        s->merges = r->merges.blob;
        s->merges_bytes = r->merges.bytes;
        s->n_merges = r->merges.n;
        r->merges.blob = NULL;
    }
    s->max_input_chars_per_word = max_chars;
    s->continuing_subword_prefix = blob + bytes;
    s->unk_id = unk_id;
    s->vocab = blob;
    s->vocab_bytes = bytes;
    s->n_vocab = r->n_model + r->n_extra;
    s->added_ids = out->added_ids;
    s->added_strip = any_strip ? strip : NULL;
    s->n_added = r->n_added;
    out->model_max_length = read_model_max_length(r);
    return CB_OK;
}

/* ---- byte-level BPE -------------------------------------------------------------------------- */

static int model_is_bpe(const reader *r)
{
    const cJSON *m = get(r->tj, "model");
    const char *type = type_of(m);
    /* Old files have no "type"; BPE is the model with merges. */
    return type ? strcmp(type, "BPE") == 0 : get(m, "merges") != NULL;
}

/* A string option of the BPE model that must be empty (or null). */
static cb_status empty_option(const cJSON *m, const char *key, const char *file, cb_error *err)
{
    const cJSON *v = get(m, key);
    if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !v->valuestring[0])) return CB_OK;
    return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "%s: BPE %s is not supported", file, key);
}

/* tokenizer.json's BPE options, as its BPE model would run: unk_token and
 * fuse_unk are reproduced; dropout (random at inference), byte_fallback,
 * ignore_merges and subword affixes are refused by name. */
static cb_status bpe_options_from_json(reader *r, const char **unk, int *fuse_unk, cb_error *err)
{
    const char *f = r->tj_path;
    const cJSON *m = get(r->tj, "model");
    const cJSON *drop = get(m, "dropout"), *u = get(m, "unk_token");
    int fuse = get_bool(m, "fuse_unk", 0), fallback = get_bool(m, "byte_fallback", 0);
    int ignore = get_bool(m, "ignore_merges", 0);
    if (fuse < 0 || fallback < 0 || ignore < 0 || (u && !cJSON_IsNull(u) && !cJSON_IsString(u)) ||
        (drop && !cJSON_IsNull(drop) && !cJSON_IsNumber(drop))) {
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: a BPE model option has the wrong type", f);
    }
    const char *bad = drop && cJSON_IsNumber(drop) && drop->valuedouble != 0.0 ? "dropout"
                      : fallback ? "byte_fallback" : ignore ? "ignore_merges" : NULL;
    if (bad) return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "%s: BPE with %s is not supported", f, bad);
    cb_status rc = empty_option(m, "continuing_subword_prefix", f, err);
    if (rc == CB_OK) rc = empty_option(m, "end_of_word_suffix", f, err);
    *unk = cJSON_IsString(u) ? u->valuestring : NULL;
    *fuse_unk = fuse;
    return rc;
}

/* No normaliser, and ByteLevel with the GPT-2 pattern: what the BPE runtime
 * does. Anything else is refused by name. */
static cb_status byte_level_from_json(reader *r, cb_tokenizer_spec *s, cb_error *err)
{
    const char *f = r->tj_path;
    const cJSON *n = get(r->tj, "normalizer");
    if (n && !cJSON_IsNull(n)) {
        const char *type = type_of(n);
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "%s: normalizer %s with a BPE model is not supported", f,
                       type ? type : "(without type)");
    }
    const cJSON *p = get(r->tj, "pre_tokenizer");
    const char *type = p && !cJSON_IsNull(p) ? type_of(p) : "null";
    if (!type || strcmp(type, "ByteLevel") != 0) {
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "%s: pre_tokenizer %s with a BPE model is not supported", f,
                       type ? type : "(without type)");
    }
    int prefix = get_bool(p, "add_prefix_space", 1), regex = get_bool(p, "use_regex", 1);
    if (prefix < 0 || regex < 0) return cb_fail(err, CB_ERR_HF_FORMAT, "%s: a ByteLevel field is not a boolean", f);
    if (!regex) return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "%s: ByteLevel without use_regex is not supported", f);
    s->add_prefix_space = prefix;
    return CB_OK;
}

/* vocab.json + merges.txt, for the classes transformers builds from them. */
static cb_status bpe_model_from_files(reader *r, cb_error *err)
{
    cb_status rc = cb_read_json(r->vjson_path, r->alloc, 1, &r->vjson, err);
    if (rc == CB_OK) rc = vocab_from_json(r, r->vjson, r->vjson_path, err);
    if (rc != CB_OK) return rc;
    if (!cb_file_exists(r->merges_path)) {
        return cb_fail(err, CB_ERR_MISSING_FILE, "%s: vocab.json without merges.txt", r->dir);
    }
    rc = cb_hf_merges_from_txt(r->merges_path, r->alloc, &r->merges, err);
    return rc != CB_OK ? rc : cb_hf_merges_check(&r->merges, &r->map, r->merges_path, err);
}

/* RobertaTokenizer's and DebertaTokenizer's pipeline, from
 * tokenizer_config.json and the class defaults. */
static cb_status bpe_class_pipeline(reader *r, cb_tokenizer_spec *s, cb_error *err)
{
    const char *const *dflt = r->bpe_class == BPE_ROBERTA ? roberta_special_dflt : deberta_special_dflt;
    cb_status rc = added_from_cfg(r, bpe_special_keys, dflt, 7, err);
    if (rc != CB_OK) return rc;
    int prefix = r->cfg ? get_bool(r->cfg, "add_prefix_space", 0) : 0;
    if (prefix < 0) return cb_fail(err, CB_ERR_HF_FORMAT, "%s: add_prefix_space is not a boolean", r->cfg_path);
    s->add_prefix_space = prefix;
    s->fuse_unk = 0;
    /* dflt follows bpe_special_keys: cls_token is [5], sep_token [3]. */
    const char *cls = cfg_token(r, "cls_token", dflt[5]), *sep = cfg_token(r, "sep_token", dflt[3]);
    if (!cls || !sep) return cb_fail(err, CB_ERR_HF_FORMAT, "%s: cls_token or sep_token is null", r->cfg_path);
    return sep_sep_template(r, s, cls, sep, r->cfg_path, err);
}

/* Byte-level BPE from tokenizer.json, or from vocab.json + merges.txt. */
static cb_status read_bpe(reader *r, cb_hf_tokenizer *out, cb_error *err)
{
    cb_tokenizer_spec *s = &out->spec;
    const char *file = r->tj ? r->tj_path : r->vjson_path;
    const char *unk = NULL;
    cb_status rc;
    r->bpe = 1;
    if (r->tj) {
        const cJSON *m = get(r->tj, "model");
        rc = vocab_from_json(r, get(m, "vocab"), file, err);
        if (rc == CB_OK) rc = cb_hf_merges_from_json(get(m, "merges"), file, r->alloc, &r->merges, err);
        if (rc == CB_OK) rc = cb_hf_merges_check(&r->merges, &r->map, file, err);
        if (rc == CB_OK) rc = added_from_json(r, err);
    } else {
        rc = bpe_model_from_files(r, err);
    }
    if (rc != CB_OK) return rc;
    if (r->bpe_class) {
        rc = bpe_class_pipeline(r, s, err);
    } else {
        rc = bpe_options_from_json(r, &unk, &s->fuse_unk, err);
        if (rc == CB_OK) rc = byte_level_from_json(r, s, err);
        if (rc == CB_OK) rc = template_from_json(r, s, err);
    }
    if (rc != CB_OK) return rc;
    return finish(r, unk, "", 0, file, out, err);
}

static cb_status read_with_tokenizer_json(reader *r, cb_hf_tokenizer *out, cb_error *err)
{
    if (model_is_bpe(r)) return read_bpe(r, out, err);
    const char *unk = "[UNK]", *prefix = "##";
    int max_chars = 100;
    cb_tokenizer_spec *s = &out->spec;
    cb_status rc = model_from_json(r, &unk, &prefix, &max_chars, err);
    if (rc == CB_OK) rc = added_from_json(r, err);
    if (rc != CB_OK) return rc;
    if (r->bert_class) {
        /* transformers' BertTokenizer keeps only the vocabulary of
         * tokenizer.json and builds the rest from its own settings. */
        rc = bert_normalizer_from_cfg(r, s, err);
        if (rc == CB_OK) rc = added_from_cfg(r, bert_special_keys, bert_special_dflt, 5, err);
        const char *cls = cfg_token(r, "cls_token", "[CLS]"), *sep = cfg_token(r, "sep_token", "[SEP]");
        unk = cfg_token(r, "unk_token", "[UNK]");
        if (rc == CB_OK && (!cls || !sep || !unk)) {
            rc = cb_fail(err, CB_ERR_HF_FORMAT, "%s: cls_token, sep_token or unk_token is null", r->cfg_path);
        }
        if (rc == CB_OK) rc = bert_template(r, s, cls, sep, r->cfg_path, err);
        prefix = "##";
        max_chars = 100;
    } else {
        rc = normalizer_from_json(r, s, err);
        if (rc == CB_OK) rc = pre_tokenizer_from_json(r, err);
        if (rc == CB_OK) rc = template_from_json(r, s, err);
    }
    if (rc != CB_OK) return rc;
    return finish(r, unk, prefix, max_chars, r->tj_path, out, err);
}

static cb_status read_with_vocab_txt(reader *r, cb_hf_tokenizer *out, cb_error *err)
{
    cb_tokenizer_spec *s = &out->spec;
    cb_status rc = vocab_from_txt(r, err);
    if (rc == CB_OK) rc = bert_normalizer_from_cfg(r, s, err);
    if (rc == CB_OK) rc = added_from_cfg(r, bert_special_keys, bert_special_dflt, 5, err);
    if (rc != CB_OK) return rc;
    const char *cls = cfg_token(r, "cls_token", "[CLS]"), *sep = cfg_token(r, "sep_token", "[SEP]");
    const char *unk = cfg_token(r, "unk_token", "[UNK]");
    if (!cls || !sep || !unk) {
        return cb_fail(err, CB_ERR_HF_FORMAT, "%s: cls_token, sep_token or unk_token is null", r->cfg_path);
    }
    rc = bert_template(r, s, cls, sep, r->vocab_path, err);
    if (rc != CB_OK) return rc;
    return finish(r, unk, "##", 100, r->vocab_path, out, err);
}

static void reader_release(reader *r)
{
    cJSON_Delete(r->tj);
    cJSON_Delete(r->vjson);
    cJSON_Delete(r->cfg);
    cb_hf_merges_release(&r->merges);
    cb_free(r->alloc, r->vocab_txt);
    cb_free(r->alloc, r->tokens);
    cb_free(r->alloc, r->model_blob);
    cb_vocab_map_release(&r->map);
    cb_free(r->alloc, r->extra);
    cb_free(r->alloc, r->added);
    cb_free(r->alloc, r->strip);
}

cb_status cb_hf_tokenizer_read(const char *hf_dir, const cb_allocator *alloc, cb_hf_tokenizer *out, cb_error *err)
{
    if (!out) return cb_fail(err, CB_ERR_INVALID_ARGUMENT, "out is NULL");
    memset(out, 0, sizeof *out);
    out->alloc = alloc;
    struct stat sb;
    if (!hf_dir || stat(hf_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        return cb_fail(err, CB_ERR_MISSING_FILE, "%s: not a model folder", hf_dir ? hf_dir : "(null)");
    }
    reader r;
    memset(&r, 0, sizeof r);
    r.dir = hf_dir;
    r.alloc = alloc;
    cb_status rc = cb_path_join(r.tj_path, sizeof r.tj_path, hf_dir, "tokenizer.json", err);
    if (rc == CB_OK) rc = cb_path_join(r.cfg_path, sizeof r.cfg_path, hf_dir, "tokenizer_config.json", err);
    if (rc == CB_OK) rc = cb_path_join(r.vocab_path, sizeof r.vocab_path, hf_dir, "vocab.txt", err);
    if (rc == CB_OK) rc = cb_path_join(r.vjson_path, sizeof r.vjson_path, hf_dir, "vocab.json", err);
    if (rc == CB_OK) rc = cb_path_join(r.merges_path, sizeof r.merges_path, hf_dir, "merges.txt", err);
    if (rc == CB_OK) rc = cb_read_json(r.cfg_path, alloc, 0, &r.cfg, err);
    if (rc == CB_OK) rc = detect_bert_class(&r, err);
    if (rc == CB_OK) {
        if (cb_file_exists(r.tj_path)) {
            rc = cb_read_json(r.tj_path, alloc, 1, &r.tj, err);
            if (rc == CB_OK) rc = read_with_tokenizer_json(&r, out, err);
        } else if (r.bpe_class && cb_file_exists(r.vjson_path)) {
            rc = read_bpe(&r, out, err);
        } else if (cb_file_exists(r.vocab_path)) {
            rc = read_with_vocab_txt(&r, out, err);
        } else if (cb_file_exists(r.vjson_path)) {
            rc = cb_fail(err, CB_ERR_UNSUPPORTED_MODEL,
                         "%s: tokenizer %s from vocab.json + merges.txt is not supported (only RobertaTokenizer "
                         "and DebertaTokenizer; a tokenizer.json works for any byte-level BPE)", hf_dir,
                         r.class_name[0] ? r.class_name : "(unknown class)");
        } else {
            rc = cb_fail(err, CB_ERR_MISSING_FILE, "%s: no tokenizer.json, vocab.txt or vocab.json + merges.txt",
                         hf_dir);
        }
    }
    reader_release(&r);
    if (rc != CB_OK) cb_hf_tokenizer_release(out);
    return rc;
}

void cb_hf_tokenizer_release(cb_hf_tokenizer *t)
{
    if (!t) return;
    cb_free(t->alloc, t->vocab_blob);
    cb_free(t->alloc, t->merges_blob);
    cb_free(t->alloc, t->added_ids);
    const cb_allocator *alloc = t->alloc;
    memset(t, 0, sizeof *t);
    t->alloc = alloc;
}
