/* hf_model.h: a Hugging Face model folder's config.json and weights, mapped
 * onto crossbyte's one encoder layout (canonical tensor names below). */
#ifndef CB_HF_MODEL_H
#define CB_HF_MODEL_H

#include <cjson/cJSON.h>

#include "cbm_writer.h"
#include "model_config.h"
#include "safetensors.h"

/* Fills c from config.json (architecture, shapes, activations, labels and the
 * sentence-transformers score activation). Unknown architectures are
 * CB_ERR_UNSUPPORTED_MODEL naming them. tokenizer_max_length is the
 * tokenizer's model_max_length (0 if unknown). */
cb_status cb_hf_read_config(const cJSON *config, int tokenizer_max_length, cb_model_config *c,
                            cb_error *err);

/* Adds every encoder tensor to the writer under its canonical name, fusing
 * Q/K/V and quantising the linear layers when c->int8. *input_bytes gets the
 * bytes of the weights read. */
cb_status cb_hf_add_weights(const cJSON *config, const cb_safetensors *st, const cb_model_config *c,
                            cb_writer *w, uint64_t *input_bytes, cb_error *err);

#endif
