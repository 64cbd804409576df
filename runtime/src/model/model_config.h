/* model_config.h: the shape and behaviour of an encoder, as stored in the
 * "config" object of a .cbm file. Architectures differ here, by data, and
 * nowhere else: the encoder has one code path. */
#ifndef CB_MODEL_CONFIG_H
#define CB_MODEL_CONFIG_H

#include <cjson/cJSON.h>

#include "crossbyte.h"

typedef enum cb_act_fn {
    CB_ACT_GELU = 0,        /* exact, erf-based ("gelu") */
    CB_ACT_GELU_TANH = 1,   /* tanh approximation ("gelu_new", "gelu_pytorch_tanh") */
    CB_ACT_RELU = 2,
    CB_ACT_TANH = 3
} cb_act_fn;

/* What sentence-transformers applies to the logits in predict(). */
typedef enum cb_score_fn {
    CB_SCORE_IDENTITY = 0,
    CB_SCORE_SIGMOID = 1,
    CB_SCORE_SOFTMAX = 2,
    CB_SCORE_TANH = 3
} cb_score_fn;

/* How a bi-encoder turns token states into one vector (sentence-transformers'
 * Pooling module). CB_POOL_NONE: a cross-encoder, whose head scores the
 * first token instead. */
typedef enum cb_pooling {
    CB_POOL_NONE = 0,
    CB_POOL_CLS = 1,
    CB_POOL_MEAN = 2,
    CB_POOL_MAX = 3,
    CB_POOL_MEAN_SQRT_LEN = 4   /* sum / sqrt(tokens) */
} cb_pooling;

#define CB_MAX_LABELS 64
#define CB_NAME_SIZE 64

typedef struct cb_model_config {
    char architecture[CB_NAME_SIZE];  /* Hugging Face class name, for messages */
    int vocab_size;
    int embedding_size;      /* width of the embedding tables (ELECTRA: may differ from hidden) */
    int hidden_size;
    int num_layers;
    int num_heads;
    int intermediate_size;
    int max_positions;       /* rows of the position table (0: no absolute positions) */
    int position_offset;     /* first position id (RoBERTa: padding_idx + 1) */
    int type_vocab_size;     /* rows of the token type table (0: none) */
    int max_length;          /* default tokens per pair */
    int max_length_limit;    /* largest usable max_length */
    float layer_norm_eps;
    cb_act_fn hidden_act;    /* feed-forward activation */
    cb_act_fn head_act;      /* activation between head.dense and head.out */
    int int8;                /* 1: encoder linear layers are int8 per output channel */
    /* DeBERTa's disentangled attention: content-to-position and
     * position-to-content terms over relative distances clamped to
     * +-max_relative_positions, from per-layer tables l<i>.relk / l<i>.relq.
     * The attention logits are scaled by 1 / sqrt(head_dim * (1 + c2p + p2c)). */
    int max_relative_positions;  /* 0: no relative attention */
    int rel_c2p, rel_p2c;
    cb_score_fn score_fn;
    /* Bi-encoders: no head and no labels (num_labels 0); the pooled vector,
     * L2-normalised when the model ends in a Normalize module. */
    cb_pooling pooling;
    int normalize;
    int num_labels;
    char labels[CB_MAX_LABELS][CB_NAME_SIZE];
} cb_model_config;

const char *cb_act_fn_name(cb_act_fn a);
int cb_act_fn_parse(const char *name, cb_act_fn *out);   /* 1 if known */
const char *cb_score_fn_name(cb_score_fn s);
const char *cb_pooling_name(cb_pooling p);
int cb_pooling_parse(const char *name, cb_pooling *out);   /* 1 if known */
int cb_score_fn_parse(const char *name, cb_score_fn *out);

cJSON *cb_model_config_to_json(const cb_model_config *c);   /* NULL on OOM */
/* Reads and checks the ranges of every field (CB_ERR_MODEL_FORMAT). */
cb_status cb_model_config_from_json(const cJSON *obj, cb_model_config *c, cb_error *err);

#endif
