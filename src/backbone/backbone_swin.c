/* backbone_swin.c: the Swin backbone (swin.h, D2SwinTransformer of
 * models/modeling/backbone/swinb.py) behind the backbone interface (backbone.h).
 * A thin adapter: config from MODEL.SWIN.*, output spec (channels embed_dim * 2^s
 * at stride patch_size * 2^s, D2SwinTransformer.output_shape), the
 * relative_position_index check, and swin_forward. */
#include <string.h>

#include "backbone/backbone.h"
#include "backbone/swin.h"

typedef struct swin_state {
    swin_config cfg;
    swin_weights w;
} swin_state;

static vct_status swin_configure(void *state, const cJSON *root, const void *cfg, backbone_spec *spec, vct_error *err) {
    swin_state *s = state;
    if (root)
        VCT_TRY(swin_config_from_yaml(&s->cfg, root, err));
    else if (cfg)
        s->cfg = *(const swin_config *)cfg;
    else
        s->cfg = swin_config_default();
    VCT_TRY(swin_config_check(&s->cfg, err));
    spec->n_outs = s->cfg.n_stages;
    for (int i = 0; i < s->cfg.n_stages; i++) {
        spec->channels[i] = swin_stage_dim(&s->cfg, i);
        spec->strides[i] = s->cfg.patch_size << i;
    }
    return VCT_STATUS_OK;
}

static void swin_register_params(void *state, param_table *pt, const char *prefix, int trainable) {
    swin_state *s = state;
    swin_register(pt, prefix, &s->cfg, &s->w, trainable);
}

static vct_status swin_buffers(const void *state, const tensor_dict *sd, const char *prefix, vct_error *err) {
    const swin_state *s = state;
    return swin_check_buffers(sd, prefix, &s->cfg, err);
}

static ag_var *swin_fwd(const void *state, ag_tape *t, ag_var *images, draw_source *draws, const char *name,
                        ag_var **outs) {
    const swin_state *s = state;
    return swin_forward(t, &s->cfg, &s->w, images, draws, name, outs);
}

const backbone_kind backbone_kind_swin = {
    .name = "D2SwinTransformer",
    .state_size = sizeof(swin_state),
    .configure = swin_configure,
    .register_params = swin_register_params,
    .check_buffers = swin_buffers,
    .forward = swin_fwd,
};
