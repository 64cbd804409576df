/* hf_model.c: Hugging Face config.json + safetensors -> crossbyte's layout.
 *
 * Canonical tensor names (shapes in PyTorch order, [out, in] for linears):
 *   emb.word [V, E]   emb.pos [P, E]   emb.type [T, E]   emb.ln.w/.b [E]
 *   emb.proj.w [H, E] emb.proj.b [H]                      (ELECTRA, E != H)
 *   l<i>.qkv.w [3H, H] .b [3H]   l<i>.ao.w [H, H] .b   l<i>.ln1.w/.b [H]
 *   l<i>.up.w [F, H] .b [F]      l<i>.down.w [H, F] .b [H]   l<i>.ln2.w/.b
 *   head.dense.w [H, H] .b [H]   head.out.w [L, H] .b [L]
 *   l<i>.relk [2R, H]  l<i>.relq [2R, H]   DeBERTa's relative-position keys
 *                                          and (scaled) queries, R = max_relative_positions
 * In int8 files, emb.word and the l<i> .w matrices are "i8" with a
 * "<name>.scale" f32 vector of one scale per row. (The position table and
 * the head stay float32: quantising them doubled the worst score error on
 * the fixtures for 2% of the file.)
 */
#include "hf_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "quantize.h"

/* What differs between architectures is data: where the tensors live and
 * which activation the classification head uses. */
typedef struct arch_desc {
    const char *class_name;
    const char *prefix;          /* base model prefix in tensor names */
    const char *head_dense;      /* dense layer applied to the first token */
    const char *head_out;        /* final projection to the labels */
    cb_act_fn head_act;          /* unless head_act_key names it in config.json */
    int positions_after_padding; /* RoBERTa: position ids start at pad_token_id + 1 */
    int deberta;                 /* Q/K/V as one in_proj per head, q_bias/v_bias, relative attention */
    const char *head_act_key;    /* config.json key of the head activation, or NULL */
} arch_desc;

static const arch_desc archs[] = {
    { "BertForSequenceClassification", "bert.", "bert.pooler.dense", "classifier", CB_ACT_TANH, 0, 0, NULL },
    { "ElectraForSequenceClassification", "electra.", "classifier.dense", "classifier.out_proj", CB_ACT_GELU, 0, 0,
      NULL },
    { "RobertaForSequenceClassification", "roberta.", "classifier.dense", "classifier.out_proj", CB_ACT_TANH, 1, 0,
      NULL },
    { "XLMRobertaForSequenceClassification", "roberta.", "classifier.dense", "classifier.out_proj", CB_ACT_TANH, 1,
      0, NULL },
    { "DebertaForSequenceClassification", "deberta.", "pooler.dense", "classifier", CB_ACT_GELU, 0, 1,
      "pooler_hidden_act" },
    /* Bi-encoders (sentence-transformers' Transformer module): the encoder
     * alone, no head; the Pooling module is read by st_modules.c. */
    { "BertModel", "bert.", NULL, NULL, CB_ACT_TANH, 0, 0, NULL },
};

static const arch_desc *find_arch(const cJSON *config, const char **name)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(config, "architectures");
    const cJSON *first = cJSON_GetArrayItem(list, 0);
    *name = cJSON_IsString(first) ? first->valuestring : "(none)";
    for (size_t i = 0; i < sizeof archs / sizeof archs[0]; i++)
        if (strcmp(archs[i].class_name, *name) == 0) return &archs[i];
    return NULL;
}

static int json_int(const cJSON *o, const char *key, int fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valueint : fallback;
}

/* sentence-transformers' activation names are Python paths such as
 * "torch.nn.modules.activation.Sigmoid": the class name decides. */
static cb_status parse_score_fn(const char *path, cb_score_fn *out, cb_error *err)
{
    const char *dot = strrchr(path, '.');
    const char *cls = dot ? dot + 1 : path;
    if (strcmp(cls, "Sigmoid") == 0) *out = CB_SCORE_SIGMOID;
    else if (strcmp(cls, "Identity") == 0) *out = CB_SCORE_IDENTITY;
    else if (strcmp(cls, "Tanh") == 0) *out = CB_SCORE_TANH;
    else if (strcmp(cls, "Softmax") == 0) *out = CB_SCORE_SOFTMAX;
    else return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "config.json: score activation %s is not supported", path);
    return CB_OK;
}

/* DeBERTa v1: relative attention (c2p / p2c as a list or "c2p|p2c"), and no
 * absolute positions when position_biased_input is false. */
static cb_status read_relative_attention(const cJSON *config, cb_model_config *c, cb_error *err)
{
    const cJSON *biased = cJSON_GetObjectItemCaseSensitive(config, "position_biased_input");
    if (cJSON_IsFalse(biased)) c->max_positions = 0; /* the limit stays max_position_embeddings */
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(config, "relative_attention"))) return CB_OK;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(config, "talking_head")))
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "config.json: talking_head attention is not supported");
    int max_rel = json_int(config, "max_relative_positions", -1);
    c->max_relative_positions = max_rel < 1 ? c->max_length_limit : max_rel;
    const cJSON *types = cJSON_GetObjectItemCaseSensitive(config, "pos_att_type");
    const cJSON *t;
    if (cJSON_IsString(types)) {
        /* "c2p|p2c": the older spelling */
        c->rel_c2p = strstr(types->valuestring, "c2p") != NULL;
        c->rel_p2c = strstr(types->valuestring, "p2c") != NULL;
    }
    const cJSON *list = cJSON_IsArray(types) ? types : NULL;
    cJSON_ArrayForEach(t, list) {
        if (!cJSON_IsString(t)) continue;
        if (!strcmp(t->valuestring, "c2p")) c->rel_c2p = 1;
        else if (!strcmp(t->valuestring, "p2c")) c->rel_p2c = 1;
        else return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "config.json: pos_att_type %s is not supported", t->valuestring);
    }
    return CB_OK;
}

cb_status cb_hf_read_config(const cJSON *config, int tokenizer_max_length, cb_model_config *c,
                            cb_error *err)
{
    memset(c, 0, sizeof *c);
    const char *name;
    const arch_desc *a = find_arch(config, &name);
    if (!a)
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL,
                       "config.json: architecture %s is not supported (supported: BERT, ELECTRA, RoBERTa, "
                       "DeBERTa v1 sequence classification; BertModel bi-encoders)", name);
    snprintf(c->architecture, sizeof c->architecture, "%s", name);
    c->vocab_size = json_int(config, "vocab_size", 0);
    c->hidden_size = json_int(config, "hidden_size", 0);
    c->embedding_size = json_int(config, "embedding_size", c->hidden_size);
    c->num_layers = json_int(config, "num_hidden_layers", 0);
    c->num_heads = json_int(config, "num_attention_heads", 0);
    c->intermediate_size = json_int(config, "intermediate_size", 0);
    c->max_positions = json_int(config, "max_position_embeddings", 0);
    /* Missing fields take the config class's defaults, as transformers does:
     * BertConfig and its kin have 2 token types, DebertaConfig 0. */
    c->type_vocab_size = json_int(config, "type_vocab_size", a->deberta ? 0 : 2);
    if (c->vocab_size <= 0 || c->hidden_size <= 0 || c->embedding_size <= 0 || c->num_layers <= 0 ||
        c->num_heads <= 0 || c->intermediate_size <= 0 || c->max_positions <= 0 ||
        c->hidden_size % c->num_heads != 0)
        return cb_fail(err, CB_ERR_HF_FORMAT, "config.json: missing or inconsistent sizes "
                       "(vocab_size, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, "
                       "max_position_embeddings)");
    if (a->positions_after_padding) c->position_offset = json_int(config, "pad_token_id", 1) + 1;
    c->max_length_limit = c->max_positions - c->position_offset;
    if (a->deberta) {
        cb_status s = read_relative_attention(config, c, err);
        if (s != CB_OK) return s;
    }
    if (c->max_length_limit < 3) return cb_fail(err, CB_ERR_HF_FORMAT, "config.json: too few positions");
    c->max_length = tokenizer_max_length > 0 && tokenizer_max_length < c->max_length_limit
                        ? tokenizer_max_length : c->max_length_limit;

    const cJSON *eps = cJSON_GetObjectItemCaseSensitive(config, "layer_norm_eps");
    const int has_eps = eps && !cJSON_IsNull(eps);
    if (has_eps && !(cJSON_IsNumber(eps) && eps->valuedouble > 0 && eps->valuedouble < 1))
        return cb_fail(err, CB_ERR_HF_FORMAT, "config.json: layer_norm_eps must be a number in (0, 1)");
    c->layer_norm_eps = has_eps ? (float)eps->valuedouble : a->deberta ? 1e-7f : 1e-12f;
    /* BERT-family configs may ask for relative position embeddings in
     * self-attention (Shaw et al.): not implemented, so refused rather than
     * silently computed as absolute ones. */
    const cJSON *pet = cJSON_GetObjectItemCaseSensitive(config, "position_embedding_type");
    if (!a->deberta && cJSON_IsString(pet) && strcmp(pet->valuestring, "absolute") != 0)
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "config.json: position_embedding_type %s is not supported",
                       pet->valuestring);
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(config, "hidden_act");
    const char *act_name = cJSON_IsString(act) ? act->valuestring : "gelu";
    if (!cb_act_fn_parse(act_name, &c->hidden_act) || c->hidden_act == CB_ACT_TANH)
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "config.json: hidden_act %s is not supported", act_name);
    c->head_act = a->head_act;
    const cJSON *hact = a->head_act_key ? cJSON_GetObjectItemCaseSensitive(config, a->head_act_key) : NULL;
    if (cJSON_IsString(hact) && !cb_act_fn_parse(hact->valuestring, &c->head_act))
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "config.json: %s %s is not supported", a->head_act_key,
                       hact->valuestring);

    if (!a->head_dense) {
        /* A bi-encoder: mean pooling unless modules.json says otherwise
         * (sentence-transformers' default for a bare Transformer folder). */
        c->pooling = CB_POOL_MEAN;
        c->score_fn = CB_SCORE_IDENTITY;
        return CB_OK;
    }

    /* Labels, in id order. */
    const cJSON *id2label = cJSON_GetObjectItemCaseSensitive(config, "id2label");
    int n = cJSON_IsObject(id2label) ? cJSON_GetArraySize(id2label) : json_int(config, "num_labels", 1);
    if (n < 1 || n > CB_MAX_LABELS) return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "config.json: %d labels", n);
    c->num_labels = n;
    for (int i = 0; i < n; i++) snprintf(c->labels[i], sizeof c->labels[i], "LABEL_%d", i);
    const cJSON *e;
    cJSON_ArrayForEach(e, id2label) {
        char *end;
        long id = strtol(e->string, &end, 10);
        if (*end || id < 0 || id >= n || !cJSON_IsString(e))
            return cb_fail(err, CB_ERR_HF_FORMAT, "config.json: id2label entry '%s' is malformed", e->string);
        snprintf(c->labels[id], sizeof c->labels[id], "%s", e->valuestring);
    }

    /* sentence-transformers' predict() activation: newest key first. */
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(config, "sentence_transformers");
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(st, "activation_fn");
    if (!cJSON_IsString(fn)) fn = cJSON_GetObjectItemCaseSensitive(config, "sbert_ce_default_activation_function");
    if (cJSON_IsString(fn)) return parse_score_fn(fn->valuestring, &c->score_fn, err);
    c->score_fn = n == 1 ? CB_SCORE_SIGMOID : CB_SCORE_IDENTITY;
    return CB_OK;
}

/* ---- weights --------------------------------------------------------------- */

typedef struct gather {
    const cb_safetensors *st;
    const arch_desc *arch;
    cb_writer *w;
    uint64_t input_bytes;
    int int8;
} gather;

/* Finds `name`, also under the LayerNorm gamma/beta spelling of old
 * checkpoints and without the base-model prefix (headless exports). */
static const cb_st_tensor *find(const gather *g, const char *name)
{
    const cb_st_tensor *t = cb_safetensors_find(g->st, name);
    char alt[256];
    const char *suffix[2][2] = { { "LayerNorm.weight", "LayerNorm.gamma" }, { "LayerNorm.bias", "LayerNorm.beta" } };
    for (int i = 0; !t && i < 2; i++) {
        size_t ln = strlen(name), ls = strlen(suffix[i][0]);
        if (ln >= ls && strcmp(name + ln - ls, suffix[i][0]) == 0 && ln + 8 < sizeof alt) {
            snprintf(alt, sizeof alt, "%.*s%s", (int)(ln - ls), name, suffix[i][1]);
            t = cb_safetensors_find(g->st, alt);
        }
    }
    size_t lp = strlen(g->arch->prefix);
    if (!t && strncmp(name, g->arch->prefix, lp) == 0) t = cb_safetensors_find(g->st, name + lp);
    return t;
}

/* Reads `name` as float32 with the expected shape (rows, cols; cols 0 = 1-D). */
static cb_status read_f32(gather *g, const char *name, int64_t rows, int64_t cols, float **out, cb_error *err)
{
    *out = NULL;
    const cb_st_tensor *t = find(g, name);
    if (!t) return cb_fail(err, CB_ERR_HF_FORMAT, "model.safetensors: tensor %s is missing", name);
    int ok = cols ? t->n_dims == 2 && t->shape[0] == rows && t->shape[1] == cols
                  : t->n_dims == 1 && t->shape[0] == rows;
    if (!ok)
        return cb_fail(err, CB_ERR_HF_FORMAT, "model.safetensors: tensor %s has shape [%lld%s%lld], config.json implies "
                       "[%lld, %lld]", name, (long long)t->shape[0], t->n_dims > 1 ? ", " : "",
                       t->n_dims > 1 ? (long long)t->shape[1] : 0LL, (long long)rows, (long long)cols);
    if (t->dtype == CB_ST_OTHER)
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "model.safetensors: tensor %s is not F32, F16 or BF16", name);
    size_t n = cb_st_numel(t);
    float *f = cb_malloc(g->w->alloc, n * sizeof *f);
    if (!f) return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory reading %s", name);
    cb_st_to_f32(t, f);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(f[i])) {
            cb_free(g->w->alloc, f);
            return cb_fail(err, CB_ERR_HF_FORMAT, "model.safetensors: tensor %s holds NaN or infinity", name);
        }
    }
    g->input_bytes += t->size;
    *out = f;
    return CB_OK;
}

/* Adds a float32 tensor, or its int8 rows + scales when `quantize`. */
static cb_status put(gather *g, const char *name, float *data, int64_t rows, int64_t cols, int quantize,
                     cb_error *err)
{
    int64_t shape[2] = { rows, cols };
    int n_dims = cols ? 2 : 1;
    size_t count = (size_t)rows * (size_t)(cols ? cols : 1);
    if (!quantize) return cb_writer_add(g->w, name, CBM_F32, n_dims, shape, data, count * sizeof(float), err);
    int8_t *q = cb_malloc(g->w->alloc, count);
    float *scale = cb_malloc(g->w->alloc, (size_t)rows * sizeof *scale);
    if (!q || !scale) {
        cb_free(g->w->alloc, q);
        cb_free(g->w->alloc, scale);
        cb_free(g->w->alloc, data);
        return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory quantising %s", name);
    }
    cb_quantize_rows_int8(data, (size_t)rows, (size_t)cols, q, scale);
    cb_free(g->w->alloc, data);
    char sname[80];
    snprintf(sname, sizeof sname, "%s.scale", name);
    cb_status s = cb_writer_add(g->w, name, CBM_I8, 2, shape, q, count, err);
    if (s != CB_OK) {
        cb_free(g->w->alloc, scale);
        return s;
    }
    return cb_writer_add(g->w, sname, CBM_F32, 1, shape, scale, (size_t)rows * sizeof(float), err);
}

static cb_status copy(gather *g, const char *hf, const char *ours, int64_t rows, int64_t cols, int quantize,
                      cb_error *err)
{
    float *f;
    cb_status s = read_f32(g, hf, rows, cols, &f, err);
    return s != CB_OK ? s : put(g, ours, f, rows, cols, quantize, err);
}

/* name = a + b, or CB_ERR_HF_FORMAT when it does not fit: names come from
 * config.json and tensor tables, so they are input, not constants. */
static cb_status join(char *out, size_t cap, const char *a, const char *b, cb_error *err)
{
    int n = snprintf(out, cap, "%s%s", a, b);
    if (n < 0 || (size_t)n >= cap) return cb_fail(err, CB_ERR_HF_FORMAT, "tensor name too long: %s%s", a, b);
    return CB_OK;
}

static cb_status copy_linear(gather *g, const char *hf, const char *ours, int64_t out, int64_t in, int quantize,
                             cb_error *err)
{
    char a[256], b[96];
    cb_status s;
    if ((s = join(a, sizeof a, hf, ".weight", err)) || (s = join(b, sizeof b, ours, ".w", err)) ||
        (s = copy(g, a, b, out, in, quantize, err)) || (s = join(a, sizeof a, hf, ".bias", err)) ||
        (s = join(b, sizeof b, ours, ".b", err)))
        return s;
    return copy(g, a, b, out, 0, 0, err);
}

static cb_status copy_layernorm(gather *g, const char *hf, const char *ours, int64_t n, cb_error *err)
{
    char a[256], b[96];
    cb_status s;
    if ((s = join(a, sizeof a, hf, ".weight", err)) || (s = join(b, sizeof b, ours, ".w", err)) ||
        (s = copy(g, a, b, n, 0, 0, err)) || (s = join(a, sizeof a, hf, ".bias", err)) ||
        (s = join(b, sizeof b, ours, ".b", err)))
        return s;
    return copy(g, a, b, n, 0, 0, err);
}

/* Adds a fused [3H, H] Q/K/V matrix and its bias as "<ours>.w" / "<ours>.b";
 * takes ownership of w and b. */
static cb_status put_fused_qkv(gather *g, const char *ours, float *w, float *b, int64_t h, cb_error *err)
{
    char wn[96], bn[96];
    cb_status s;
    if ((s = join(wn, sizeof wn, ours, ".w", err)) || (s = join(bn, sizeof bn, ours, ".b", err))) {
        cb_free(g->w->alloc, w);
        cb_free(g->w->alloc, b);
        return s;
    }
    s = put(g, wn, w, 3 * h, h, g->int8, err);
    if (s != CB_OK) {
        cb_free(g->w->alloc, b);
        return s;
    }
    return put(g, bn, b, 3 * h, 0, 0, err);
}

/* Q, K and V become one [3H, H] matrix: one matrix product instead of three. */
static cb_status fuse_qkv(gather *g, const char *base, const char *ours, int64_t h, cb_error *err)
{
    float *w = cb_malloc(g->w->alloc, (size_t)(3 * h * h) * sizeof *w), *b = cb_malloc(g->w->alloc, (size_t)(3 * h) * sizeof *b);
    if (!w || !b) {
        cb_free(g->w->alloc, w);
        cb_free(g->w->alloc, b);
        return cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory fusing %s", base);
    }
    for (int p = 0; p < 3; p++) {
        char name[256];
        float *f;
        char stem[192];
        cb_status s = join(stem, sizeof stem, base, p == 0 ? ".query" : p == 1 ? ".key" : ".value", err);
        if (s == CB_OK) s = join(name, sizeof name, stem, ".weight", err);
        if (s == CB_OK) s = read_f32(g, name, h, h, &f, err);
        if (s == CB_OK) {
            memcpy(w + p * h * h, f, (size_t)(h * h) * sizeof *f);
            cb_free(g->w->alloc, f);
            s = join(name, sizeof name, stem, ".bias", err);
            if (s == CB_OK) s = read_f32(g, name, h, 0, &f, err);
        }
        if (s != CB_OK) {
            cb_free(g->w->alloc, w);
            cb_free(g->w->alloc, b);
            return s;
        }
        memcpy(b + p * h, f, (size_t)h * sizeof *f);
        cb_free(g->w->alloc, f);
    }
    return put_fused_qkv(g, ours, w, b, h, err);
}

/* DeBERTa's in_proj holds, per head, that head's q, k and v rows together;
 * crossbyte's fused matrix holds all q rows, then all k, then all v. Biases:
 * q_bias, none for k, v_bias. */
static cb_status fuse_in_proj(gather *g, const char *base, const char *ours, int64_t h, int heads, cb_error *err)
{
    char name[256];
    float *in = NULL, *qb = NULL, *vb = NULL;
    cb_status s = join(name, sizeof name, base, ".in_proj.weight", err);
    if (s == CB_OK) s = read_f32(g, name, 3 * h, h, &in, err);
    if (s == CB_OK) s = join(name, sizeof name, base, ".q_bias", err);
    if (s == CB_OK) s = read_f32(g, name, h, 0, &qb, err);
    if (s == CB_OK) s = join(name, sizeof name, base, ".v_bias", err);
    if (s == CB_OK) s = read_f32(g, name, h, 0, &vb, err);
    float *w = s == CB_OK ? cb_malloc(g->w->alloc, (size_t)(3 * h * h) * sizeof *w) : NULL;
    float *b = s == CB_OK ? cb_calloc(g->w->alloc, (size_t)(3 * h), sizeof *b) : NULL;
    if (s == CB_OK && (!w || !b)) s = cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory fusing %s", base);
    if (s == CB_OK) {
        const int64_t d = h / heads;
        for (int64_t head = 0; head < heads; head++)
            for (int64_t part = 0; part < 3; part++)
                for (int64_t r = 0; r < d; r++)
                    memcpy(w + (part * h + head * d + r) * h, in + (head * 3 * d + part * d + r) * h,
                           (size_t)h * sizeof *w);
        memcpy(b, qb, (size_t)h * sizeof *b);
        memcpy(b + 2 * h, vb, (size_t)h * sizeof *b);
    }
    cb_free(g->w->alloc, in);
    cb_free(g->w->alloc, qb);
    cb_free(g->w->alloc, vb);
    if (s != CB_OK) {
        cb_free(g->w->alloc, w);
        cb_free(g->w->alloc, b);
        return s;
    }
    return put_fused_qkv(g, ours, w, b, h, err);
}

/* table = (rel_embeddings @ proj^T + bias) * scale, [2R, H], in double. The
 * relative-position keys and queries depend on the weights alone, so they are
 * computed once here instead of in every forward pass. */
static cb_status relative_table(gather *g, const float *rel, int64_t rows, int64_t h, const char *proj,
                                int has_bias, double scale, const char *ours, cb_error *err)
{
    char name[256];
    float *pw = NULL, *pb = NULL;
    cb_status s = join(name, sizeof name, proj, ".weight", err);
    if (s == CB_OK) s = read_f32(g, name, h, h, &pw, err);
    if (s == CB_OK && has_bias) s = join(name, sizeof name, proj, ".bias", err);
    if (s == CB_OK && has_bias) s = read_f32(g, name, h, 0, &pb, err);
    float *t = s == CB_OK ? cb_malloc(g->w->alloc, (size_t)(rows * h) * sizeof *t) : NULL;
    if (s == CB_OK && !t) s = cb_fail(err, CB_ERR_OUT_OF_MEMORY, "out of memory for %s", ours);
    for (int64_t r = 0; s == CB_OK && r < rows; r++) {
        for (int64_t o = 0; o < h; o++) {
            double acc = pb ? pb[o] : 0.0;
            for (int64_t k = 0; k < h; k++) acc += (double)rel[r * h + k] * pw[o * h + k];
            t[r * h + o] = (float)(acc * scale);
        }
    }
    cb_free(g->w->alloc, pw);
    cb_free(g->w->alloc, pb);
    if (s != CB_OK) {
        cb_free(g->w->alloc, t);
        return s;
    }
    return put(g, ours, t, rows, h, 0, err);
}

static cb_status add_relative_tables(gather *g, const cb_model_config *c, const char *p, cb_error *err)
{
    const int64_t H = c->hidden_size, R2 = 2 * (int64_t)c->max_relative_positions;
    char name[256], base[256], ours[96];
    float *rel = NULL;
    snprintf(name, sizeof name, "%sencoder.rel_embeddings.weight", p);
    cb_status s = read_f32(g, name, R2, H, &rel, err);
    /* HF scales queries (and position queries) by 1 / sqrt(d * (1 + terms)). */
    const double scale = 1.0 / sqrt((double)(H / c->num_heads) * (1 + c->rel_c2p + c->rel_p2c));
    for (int i = 0; s == CB_OK && i < c->num_layers; i++) {
        snprintf(base, sizeof base, "%sencoder.layer.%d.attention.self", p, i);
        if (c->rel_c2p) {
            snprintf(ours, sizeof ours, "l%d.relk", i);
            if ((s = join(name, sizeof name, base, ".pos_proj", err)) == CB_OK)
                s = relative_table(g, rel, R2, H, name, 0, 1.0, ours, err);
        }
        if (s == CB_OK && c->rel_p2c) {
            snprintf(ours, sizeof ours, "l%d.relq", i);
            if ((s = join(name, sizeof name, base, ".pos_q_proj", err)) == CB_OK)
                s = relative_table(g, rel, R2, H, name, 1, scale, ours, err);
        }
    }
    cb_free(g->w->alloc, rel);
    return s;
}

cb_status cb_hf_add_weights(const cJSON *config, const cb_safetensors *st, const cb_model_config *c,
                            cb_writer *w, uint64_t *input_bytes, cb_error *err)
{
    const char *name;
    gather g = { .st = st, .arch = find_arch(config, &name), .w = w, .int8 = c->int8 };
    if (!g.arch) return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "architecture %s is not supported", name);
    const char *p = g.arch->prefix;
    const int64_t V = c->vocab_size, E = c->embedding_size, H = c->hidden_size, F = c->intermediate_size;
    char hf[256], ours[96];
    cb_status s;

#define TRY(call) do { if ((s = (call)) != CB_OK) return s; } while (0)
    snprintf(hf, sizeof hf, "%sembeddings.word_embeddings.weight", p);
    TRY(copy(&g, hf, "emb.word", V, E, c->int8, err));
    if (c->max_positions > 0) {
        snprintf(hf, sizeof hf, "%sembeddings.position_embeddings.weight", p);
        TRY(copy(&g, hf, "emb.pos", c->max_positions, E, 0, err));
    }
    if (c->type_vocab_size > 0) {
        snprintf(hf, sizeof hf, "%sembeddings.token_type_embeddings.weight", p);
        TRY(copy(&g, hf, "emb.type", c->type_vocab_size, E, 0, err));
    }
    snprintf(hf, sizeof hf, "%sembeddings.LayerNorm", p);
    TRY(copy_layernorm(&g, hf, "emb.ln", E, err));
    if (E != H) {
        snprintf(hf, sizeof hf, "%sembeddings_project", p);
        TRY(copy_linear(&g, hf, "emb.proj", H, E, c->int8, err));
    }
    for (int i = 0; i < c->num_layers; i++) {
        char base[128];
        snprintf(base, sizeof base, "%sencoder.layer.%d", p, i);
        snprintf(hf, sizeof hf, "%s.attention.self", base);
        snprintf(ours, sizeof ours, "l%d.qkv", i);
        TRY(g.arch->deberta ? fuse_in_proj(&g, hf, ours, H, c->num_heads, err) : fuse_qkv(&g, hf, ours, H, err));
        snprintf(hf, sizeof hf, "%s.attention.output.dense", base);
        snprintf(ours, sizeof ours, "l%d.ao", i);
        TRY(copy_linear(&g, hf, ours, H, H, c->int8, err));
        snprintf(hf, sizeof hf, "%s.attention.output.LayerNorm", base);
        snprintf(ours, sizeof ours, "l%d.ln1", i);
        TRY(copy_layernorm(&g, hf, ours, H, err));
        snprintf(hf, sizeof hf, "%s.intermediate.dense", base);
        snprintf(ours, sizeof ours, "l%d.up", i);
        TRY(copy_linear(&g, hf, ours, F, H, c->int8, err));
        snprintf(hf, sizeof hf, "%s.output.dense", base);
        snprintf(ours, sizeof ours, "l%d.down", i);
        TRY(copy_linear(&g, hf, ours, H, F, c->int8, err));
        snprintf(hf, sizeof hf, "%s.output.LayerNorm", base);
        snprintf(ours, sizeof ours, "l%d.ln2", i);
        TRY(copy_layernorm(&g, hf, ours, H, err));
    }
    if (c->max_relative_positions > 0) TRY(add_relative_tables(&g, c, p, err));
    if (g.arch->head_dense) {
        TRY(copy_linear(&g, g.arch->head_dense, "head.dense", H, H, 0, err));
        TRY(copy_linear(&g, g.arch->head_out, "head.out", c->num_labels, H, 0, err));
    }
#undef TRY
    *input_bytes = g.input_bytes;
    return CB_OK;
}
