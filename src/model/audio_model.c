/* audio_model.c: see audio_model.h. */
#include "model/audio_model.h"

#include <stdlib.h>
#include <string.h>

#include "autograd/ag_linalg.h"
#include "autograd/ag_norm.h"
#include "autograd/ag_shape.h"

#define MLP_PREFIX "sem_seg_head.audio_transformation."

vct_status audio_model_load(audio_model *m, const tensor_dict *sd, const char *what, vct_error *err) {
    memset(m, 0, sizeof *m);
    const tensor *w0 = tensor_dict_find(sd, MLP_PREFIX "embeddings.0.weight");
    const tensor *w4 = tensor_dict_find(sd, MLP_PREFIX "embeddings.4.weight");
    if (!w0 || !w4 || w0->ndim != 2 || w4->ndim != 2)
        return vct_fail(err, VCT_STATUS_FORMAT, "%s: tensor '" MLP_PREFIX "embeddings.{0,4}.weight' is missing or not 2-d",
                        what);
    m->mlp_cfg.in_dim = w0->shape[1];
    m->mlp_cfg.hidden_dim = w0->shape[0];
    m->mlp_cfg.out_dim = w4->shape[0];
    if (m->mlp_cfg.in_dim != 512)
        return vct_fail(err, VCT_STATUS_SHAPE, "%s: audio MLP input %lld, VGGish gives 512", what,
                        (long long)m->mlp_cfg.in_dim);
    param_table_init(&m->pt);
    vggish_register(&m->pt, "audio_backbone.", &m->vgg);
    audio_mlp_register(&m->pt, MLP_PREFIX, &m->mlp_cfg, &m->mlp, 0);
    if (tensor_dict_find(sd, "sem_seg_head.predictor.audio_proj.weight")) {
        int64_t ps[2] = {m->mlp_cfg.out_dim, m->mlp_cfg.out_dim};
        param_add(&m->pt, "sem_seg_head.predictor.", "audio_proj.weight", 2, ps, 0, PARAM_KIND_WEIGHT,
                  &m->audio_proj_weight);
    }
    vct_status st = param_table_alloc(&m->pt, err);
    if (st == VCT_STATUS_OK) st = param_table_load(&m->pt, sd, what, NULL, err);
    if (st != VCT_STATUS_OK) audio_model_free(m);
    return st;
}

void audio_model_free(audio_model *m) {
    param_table_free(&m->pt);
    memset(m, 0, sizeof *m);
}

void audio_model_outputs_free(audio_model_outputs *o) {
    free(o->vggish);
    free(o->selected);
    free(o->mlp_out_bhwc);
    free(o->features);
    free(o->audio_feat);
    memset(o, 0, sizeof *o);
}

static float *copy_out(const ag_var *v) {
    size_t n = (size_t)ag_numel(v) * sizeof(float);
    float *p = malloc(n ? n : 1);
    if (p) memcpy(p, v->data, n);
    return p;
}

vct_status audio_model_vggish(const audio_model *m, const float *logmel, int64_t A, const float *vid_flag, float *vggish,
                              float *selected, int64_t *B, vct_error *err) {
    *B = 0;
    if (A <= 0) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "audio: no log-mel examples");
    arena scratch = {0};
    vct_status st = arena_init(&scratch, vggish_arena_bytes(A), err);
    if (st == VCT_STATUS_OK) st = vggish_forward(&m->vgg, logmel, A, vggish, &scratch, err);
    arena_free(&scratch);
    if (st != VCT_STATUS_OK) return st;
    for (int64_t a = 0; a < A; a++) /* audio_feature[vid_temporal_mask_flag.bool()] */
        if (!vid_flag || vid_flag[a] == 1.0f) memcpy(selected + (*B)++ * 512 * 24, vggish + a * 512 * 24, 512 * 24 * sizeof(float));
    if (*B == 0) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "audio: no row has vid flag 1");
    return VCT_STATUS_OK;
}

ag_var *audio_model_head(ag_tape *t, const audio_model *m, ag_var *selected, ag_var **bhwc, ag_var **audio_feat) {
    if (audio_feat) *audio_feat = NULL;
    ag_var *feat = audio_mlp_forward(t, &m->mlp_cfg, &m->mlp, selected, bhwc);
    if (audio_feat && m->audio_proj_weight.data) {
        /* feats.audio_feat = normalize(audio_proj(mean over the 6x4 positions)) */
        int axes[2] = {2, 3};
        ag_var *pw = ag_param(t, &m->audio_proj_weight);
        *audio_feat = ag_l2normalize(t, ag_linear(t, ag_mean(t, feat, axes, 2, 0), pw, NULL));
    }
    return feat;
}

vct_status audio_model_run(const audio_model *m, const float *logmel, int64_t A, const float *vid_flag,
                           audio_model_outputs *out, vct_error *err) {
    memset(out, 0, sizeof *out);
    if (A <= 0) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "audio: no log-mel examples");
    arena scratch = {0}, mem = {0};
    int64_t E = m->mlp_cfg.out_dim, H = m->mlp_cfg.hidden_dim;
    vct_status st = arena_init(&scratch, vggish_arena_bytes(A), err); /* the MLP tape's temporaries */
    /* the MLP activations: a few [A, 24, max(H, E)] buffers */
    if (st == VCT_STATUS_OK) st = arena_init(&mem, (size_t)A * 24 * (size_t)(H > E ? H : E) * 4 * 8 + (1 << 20), err);
    out->vggish = malloc((size_t)A * 512 * 24 * sizeof(float));
    out->selected = malloc((size_t)A * 512 * 24 * sizeof(float));
    if (st == VCT_STATUS_OK && (!out->vggish || !out->selected)) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    if (st == VCT_STATUS_OK) st = audio_model_vggish(m, logmel, A, vid_flag, out->vggish, out->selected, &out->B, err);
    ag_tape t;
    if (st == VCT_STATUS_OK) st = ag_tape_init(&t, &mem, &scratch, 0, 0, err);
    if (st == VCT_STATUS_OK) {
        int64_t bshape[4] = {out->B, 512, 6, 4};
        ag_var *a = ag_leaf(&t, out->selected, NULL, 4, bshape, 0), *bhwc = NULL, *af = NULL;
        ag_var *feat = audio_model_head(&t, m, a, &bhwc, &af);
        if (t.status != VCT_STATUS_OK) {
            st = vct_fail(err, t.status, "audio: %s", t.err.msg);
        } else {
            out->mlp_out_bhwc = copy_out(bhwc);
            out->features = copy_out(feat);
            if (af) out->audio_feat = copy_out(af);
            if (!out->mlp_out_bhwc || !out->features || (af && !out->audio_feat))
                st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
        }
        ag_tape_free(&t);
    }
    arena_free(&scratch);
    arena_free(&mem);
    if (st != VCT_STATUS_OK) audio_model_outputs_free(out);
    return st;
}
