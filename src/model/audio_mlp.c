/* audio_mlp.c: see audio_mlp.h. */
#include "model/audio_mlp.h"

#include "autograd/ag_activation.h"
#include "autograd/ag_linalg.h"
#include "autograd/ag_shape.h"

audio_mlp_config audio_mlp_default_config(void) {
    audio_mlp_config c = {512, 4096, 256};
    return c;
}

void audio_mlp_register(param_table *pt, const char *prefix, const audio_mlp_config *cfg, audio_mlp_weights *w,
                        int trainable) {
    int64_t w0[2] = {cfg->hidden_dim, cfg->in_dim}, b0[1] = {cfg->hidden_dim};
    int64_t w2[2] = {cfg->hidden_dim, cfg->hidden_dim};
    int64_t w4[2] = {cfg->out_dim, cfg->hidden_dim}, b4[1] = {cfg->out_dim};
    param_add(pt, prefix, "embeddings.0.weight", 2, w0, trainable, PARAM_KIND_WEIGHT, &w->emb0_weight);
    param_add(pt, prefix, "embeddings.0.bias", 1, b0, trainable, PARAM_KIND_WEIGHT, &w->emb0_bias);
    param_add(pt, prefix, "embeddings.2.weight", 2, w2, trainable, PARAM_KIND_WEIGHT, &w->emb2_weight);
    param_add(pt, prefix, "embeddings.2.bias", 1, b0, trainable, PARAM_KIND_WEIGHT, &w->emb2_bias);
    param_add(pt, prefix, "embeddings.4.weight", 2, w4, trainable, PARAM_KIND_WEIGHT, &w->emb4_weight);
    param_add(pt, prefix, "embeddings.4.bias", 1, b4, trainable, PARAM_KIND_WEIGHT, &w->emb4_bias);
}

ag_var *audio_mlp_forward(ag_tape *t, const audio_mlp_config *cfg, const audio_mlp_weights *w, ag_var *a,
                          ag_var **mlp_out_bhwc) {
    if (!a || t->status != VCT_STATUS_OK) return NULL;
    if (!ag_check(t, a->ndim == 4 && a->shape[1] == cfg->in_dim, "audio_mlp", "input needs [B,%lld,H,W]",
                  (long long)cfg->in_dim))
        return NULL;
    int to_bwhc[4] = {0, 3, 2, 1}; /* transpose(1,3): [B,C,H,W] -> [B,W,H,C] */
    ag_var *x = ag_permute(t, a, to_bwhc);
    ag_var *h = ag_relu(t, ag_linear(t, x, ag_param(t, &w->emb0_weight), ag_param(t, &w->emb0_bias)));
    h = ag_relu(t, ag_linear(t, h, ag_param(t, &w->emb2_weight), ag_param(t, &w->emb2_bias)));
    h = ag_linear(t, h, ag_param(t, &w->emb4_weight), ag_param(t, &w->emb4_bias));
    if (mlp_out_bhwc) *mlp_out_bhwc = h;
    return ag_permute(t, h, to_bwhc); /* the same swap takes [B,W,H,C] back to [B,C,H,W] */
}
