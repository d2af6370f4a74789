/* train_params.h: the parameter table the optimizer steps, made from the model's
 * table, with the official trainability.
 *
 * Why a second table: until the model registers itself for training (issue 14,
 * the training forward), vct_model_build registers every tensor as frozen
 * (inference), and `criterion.logit_scale` (the trainable PAC scale of the
 * SS/S4 criteria, criterion_ss_pac.py:116) is not registered at all. This makes a
 * table with the model's entries (names, shapes, kinds as the model registered
 * them) plus, if the checkpoint holds it and the model did not register it,
 * `criterion.logit_scale` (0-dim, PARAM_KIND_WEIGHT: a bare nn.Parameter), and
 * loads it from the state dict.
 * Trainability: with official_trainability 0 the model's flags are kept (a
 * training build of the model). With 1 the official rule is applied: every
 * parameter requires grad except the VGGish `audio_backbone.*` when
 * MODEL.AUDIO.FREEZE_AUDIO_EXTRACTOR (models/vct_model.py:162-167). That is what
 * callers need while vct_model_build registers for inference (then only the audio
 * MLP is marked trainable); n_flags_changed says how many entries it changed. */
#ifndef VCT_TRAIN_TRAIN_PARAMS_H
#define VCT_TRAIN_TRAIN_PARAMS_H

#include <cjson/cJSON.h>

#include "autograd/param_table.h"

typedef struct train_params {
    param_table pt;
    param_tensor *handles;  /* one per entry (the table points at them) */
    int added_logit_scale;  /* criterion.logit_scale came from the checkpoint, not the model */
    int64_t n_flags_changed; /* entries whose trainability the official rule changed */
} train_params;

/* model_pt: the model's table (entries only; its buffers are not read). sd: the
 * state dict to load (what names it in messages). pt.grad is allocated (zeroed). */
vct_status train_params_build(train_params *tp, const param_table *model_pt, int official_trainability,
                              const cJSON *cfg, const tensor_dict *sd, const char *what, vct_error *err);
void train_params_free(train_params *tp);

#endif
