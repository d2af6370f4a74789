/* train_params.c: see train_params.h. */
#include "train/train_params.h"

#include <stdlib.h>
#include <string.h>

#include "io/yaml.h"

#define LOGIT_SCALE "criterion.logit_scale"

void train_params_free(train_params *tp) {
    param_table_free(&tp->pt);
    free(tp->handles);
    memset(tp, 0, sizeof *tp);
}

vct_status train_params_build(train_params *tp, const param_table *model_pt, int official_trainability,
                              const cJSON *cfg, const tensor_dict *sd, const char *what, vct_error *err) {
    memset(tp, 0, sizeof *tp);
    param_table_init(&tp->pt);
    int64_t n = param_table_count(model_pt);
    int freeze_audio = 1;
    if (official_trainability) {
        const cJSON *f = yaml_get(cfg, "MODEL.AUDIO.FREEZE_AUDIO_EXTRACTOR");
        if (!cJSON_IsBool(f))
            return vct_fail(err, VCT_STATUS_FORMAT, "config key MODEL.AUDIO.FREEZE_AUDIO_EXTRACTOR: expected true or false");
        freeze_audio = cJSON_IsTrue(f);
    }
    const tensor *ls = tensor_dict_find(sd, LOGIT_SCALE);
    tp->added_logit_scale = ls && !param_table_find(model_pt, LOGIT_SCALE);
    tp->handles = calloc((size_t)n + 1, sizeof *tp->handles);
    if (!tp->handles) return vct_fail(err, VCT_STATUS_NO_MEMORY, "training parameters: out of memory");
    for (int64_t i = 0; i < n; i++) {
        const param_entry *e = param_table_at(model_pt, i);
        int trainable = e->trainable;
        if (official_trainability) trainable = !(freeze_audio && strncmp(e->name, "audio_backbone.", 15) == 0);
        tp->n_flags_changed += (trainable != 0) != (e->trainable != 0);
        param_add(&tp->pt, "", e->name, e->ndim, e->shape, trainable, e->kind, &tp->handles[i]);
    }
    if (tp->added_logit_scale) {
        if (ls->ndim > PARAM_MAX_DIMS || tensor_numel(ls) != 1)
            return vct_fail(err, VCT_STATUS_SHAPE, "%s: %s: expected one number", what, LOGIT_SCALE);
        param_add(&tp->pt, "", LOGIT_SCALE, ls->ndim, ls->shape, 1, PARAM_KIND_WEIGHT, &tp->handles[n]);
    }
    vct_status st = param_table_alloc(&tp->pt, err);
    if (st == VCT_STATUS_OK) st = param_table_load(&tp->pt, sd, what, NULL, err);
    if (st == VCT_STATUS_OK) st = param_table_alloc_grads(&tp->pt, err);
    if (st != VCT_STATUS_OK) train_params_free(tp);
    return st;
}
