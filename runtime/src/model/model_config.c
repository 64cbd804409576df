/* model_config.c: see model_config.h. */
#include "model_config.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

static const struct { const char *name; cb_act_fn fn; } act_names[] = {
    { "gelu", CB_ACT_GELU },
    { "gelu_new", CB_ACT_GELU_TANH },
    { "gelu_pytorch_tanh", CB_ACT_GELU_TANH },
    { "relu", CB_ACT_RELU },
    { "tanh", CB_ACT_TANH },
};

const char *cb_act_fn_name(cb_act_fn a)
{
    for (size_t i = 0; i < sizeof act_names / sizeof act_names[0]; i++)
        if (act_names[i].fn == a) return act_names[i].name;
    return "?";
}

int cb_act_fn_parse(const char *name, cb_act_fn *out)
{
    for (size_t i = 0; i < sizeof act_names / sizeof act_names[0]; i++) {
        if (strcmp(act_names[i].name, name) == 0) {
            *out = act_names[i].fn;
            return 1;
        }
    }
    return 0;
}

static const char *const score_names[] = { "identity", "sigmoid", "softmax", "tanh" };

const char *cb_score_fn_name(cb_score_fn s)
{
    return (unsigned)s < 4 ? score_names[s] : "?";
}

int cb_score_fn_parse(const char *name, cb_score_fn *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(score_names[i], name) == 0) {
            *out = (cb_score_fn)i;
            return 1;
        }
    }
    return 0;
}

static const char *const pooling_names[] = { "none", "cls", "mean", "max", "mean_sqrt_len" };

const char *cb_pooling_name(cb_pooling p)
{
    return (unsigned)p < 5 ? pooling_names[p] : "?";
}

int cb_pooling_parse(const char *name, cb_pooling *out)
{
    for (int i = 1; i < 5; i++) {
        if (strcmp(pooling_names[i], name) == 0) {
            *out = (cb_pooling)i;
            return 1;
        }
    }
    return 0;
}

cJSON *cb_model_config_to_json(const cb_model_config *c)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON *labels = NULL;
    int ok = cJSON_AddStringToObject(o, "architecture", c->architecture) &&
             cJSON_AddNumberToObject(o, "vocab_size", c->vocab_size) &&
             cJSON_AddNumberToObject(o, "embedding_size", c->embedding_size) &&
             cJSON_AddNumberToObject(o, "hidden_size", c->hidden_size) &&
             cJSON_AddNumberToObject(o, "num_layers", c->num_layers) &&
             cJSON_AddNumberToObject(o, "num_heads", c->num_heads) &&
             cJSON_AddNumberToObject(o, "intermediate_size", c->intermediate_size) &&
             cJSON_AddNumberToObject(o, "max_positions", c->max_positions) &&
             cJSON_AddNumberToObject(o, "position_offset", c->position_offset) &&
             cJSON_AddNumberToObject(o, "type_vocab_size", c->type_vocab_size) &&
             cJSON_AddNumberToObject(o, "max_length", c->max_length) &&
             cJSON_AddNumberToObject(o, "max_length_limit", c->max_length_limit) &&
             cJSON_AddNumberToObject(o, "layer_norm_eps", (double)c->layer_norm_eps) &&
             cJSON_AddStringToObject(o, "hidden_act", cb_act_fn_name(c->hidden_act)) &&
             cJSON_AddStringToObject(o, "head_act", cb_act_fn_name(c->head_act)) &&
             cJSON_AddStringToObject(o, "weights", c->int8 ? "int8" : "f32") &&
             cJSON_AddStringToObject(o, "score_activation", cb_score_fn_name(c->score_fn)) &&
             (labels = cJSON_AddArrayToObject(o, "labels")) != NULL;
    for (int i = 0; ok && i < c->num_labels; i++) {
        cJSON *s = cJSON_CreateString(c->labels[i]);
        ok = s && cJSON_AddItemToArray(labels, s);
    }
    if (ok && c->max_relative_positions > 0) {
        cJSON *rel = cJSON_AddObjectToObject(o, "relative_attention");
        ok = rel && cJSON_AddNumberToObject(rel, "max_relative_positions", c->max_relative_positions) &&
             cJSON_AddNumberToObject(rel, "c2p", c->rel_c2p) && cJSON_AddNumberToObject(rel, "p2c", c->rel_p2c);
    }
    if (ok && c->pooling != CB_POOL_NONE) {
        cJSON *emb = cJSON_AddObjectToObject(o, "embedding");
        ok = emb && cJSON_AddStringToObject(emb, "pooling", cb_pooling_name(c->pooling)) &&
             cJSON_AddBoolToObject(emb, "normalize", c->normalize);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cb_status get_int(const cJSON *o, const char *key, int lo, int hi, int *out, cb_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: config.%s is missing or out of range", key);
    *out = v->valueint;
    return CB_OK;
}

static cb_status get_str(const cJSON *o, const char *key, const char **out, cb_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v)) return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: config.%s is missing", key);
    *out = v->valuestring;
    return CB_OK;
}

cb_status cb_model_config_from_json(const cJSON *o, cb_model_config *c, cb_error *err)
{
    memset(c, 0, sizeof *c);
    const int big = 1 << 24;
    const char *arch = "", *hact = "", *headact = "", *weights = "", *score = "";
    cb_status s;
    if ((s = get_str(o, "architecture", &arch, err)) ||
        (s = get_int(o, "vocab_size", 1, big, &c->vocab_size, err)) ||
        (s = get_int(o, "embedding_size", 1, 65536, &c->embedding_size, err)) ||
        (s = get_int(o, "hidden_size", 1, 65536, &c->hidden_size, err)) ||
        (s = get_int(o, "num_layers", 1, 1024, &c->num_layers, err)) ||
        (s = get_int(o, "num_heads", 1, 1024, &c->num_heads, err)) ||
        (s = get_int(o, "intermediate_size", 1, 1 << 20, &c->intermediate_size, err)) ||
        (s = get_int(o, "max_positions", 0, 1 << 20, &c->max_positions, err)) ||
        (s = get_int(o, "position_offset", 0, 1 << 20, &c->position_offset, err)) ||
        (s = get_int(o, "type_vocab_size", 0, 1 << 16, &c->type_vocab_size, err)) ||
        (s = get_int(o, "max_length", 1, 1 << 20, &c->max_length, err)) ||
        (s = get_int(o, "max_length_limit", 1, 1 << 20, &c->max_length_limit, err)) ||
        (s = get_str(o, "hidden_act", &hact, err)) || (s = get_str(o, "head_act", &headact, err)) ||
        (s = get_str(o, "weights", &weights, err)) || (s = get_str(o, "score_activation", &score, err)))
        return s;
    const cJSON *eps = cJSON_GetObjectItemCaseSensitive(o, "layer_norm_eps");
    if (!cJSON_IsNumber(eps) || !(eps->valuedouble > 0 && eps->valuedouble < 1))
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: config.layer_norm_eps is missing or out of range");
    c->layer_norm_eps = (float)eps->valuedouble;
    snprintf(c->architecture, sizeof c->architecture, "%s", arch);
    if (!cb_act_fn_parse(hact, &c->hidden_act) || !cb_act_fn_parse(headact, &c->head_act))
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "model file: activation '%s'/'%s' not supported", hact, headact);
    if (!cb_score_fn_parse(score, &c->score_fn))
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "model file: score activation '%s' not supported", score);
    if (strcmp(weights, "int8") == 0) c->int8 = 1;
    else if (strcmp(weights, "f32") != 0)
        return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "model file: weights '%s' not supported", weights);
    if (c->hidden_size % c->num_heads != 0)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: hidden size %d is not a multiple of %d heads",
                       c->hidden_size, c->num_heads);
    if (c->max_length > c->max_length_limit)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: default max_length exceeds the limit");
    const cJSON *rel = cJSON_GetObjectItemCaseSensitive(o, "relative_attention");
    if (rel) {
        if ((s = get_int(rel, "max_relative_positions", 1, 1 << 20, &c->max_relative_positions, err)) ||
            (s = get_int(rel, "c2p", 0, 1, &c->rel_c2p, err)) || (s = get_int(rel, "p2c", 0, 1, &c->rel_p2c, err)))
            return s;
    }
    /* A bi-encoder has a pooling and no labels; a cross-encoder the reverse. */
    const cJSON *emb = cJSON_GetObjectItemCaseSensitive(o, "embedding");
    if (emb) {
        const char *pooling = "";
        if ((s = get_str(emb, "pooling", &pooling, err))) return s;
        if (!cb_pooling_parse(pooling, &c->pooling))
            return cb_fail(err, CB_ERR_UNSUPPORTED_MODEL, "model file: pooling '%s' not supported", pooling);
        const cJSON *norm = cJSON_GetObjectItemCaseSensitive(emb, "normalize");
        if (!cJSON_IsBool(norm)) return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: config.embedding.normalize is missing");
        c->normalize = cJSON_IsTrue(norm);
    }
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(o, "labels");
    int n = cJSON_GetArraySize(labels);
    const int min_labels = emb ? 0 : 1, max_labels = emb ? 0 : CB_MAX_LABELS;
    if (!cJSON_IsArray(labels) || n < min_labels || n > max_labels)
        return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: config.labels must hold %d to %d names", min_labels,
                       max_labels);
    c->num_labels = n;
    for (int i = 0; i < n; i++) {
        const cJSON *l = cJSON_GetArrayItem(labels, i);
        if (!cJSON_IsString(l)) return cb_fail(err, CB_ERR_MODEL_FORMAT, "model file: label %d is not a string", i);
        snprintf(c->labels[i], sizeof c->labels[i], "%s", l->valuestring);
    }
    return CB_OK;
}
