/* ppqg.c: see ppqg.h. */
#include "model/ppqg.h"

#include <stdio.h>
#include <string.h>

#include "autograd/ag_activation.h"
#include "autograd/ag_conv.h"
#include "autograd/ag_shape.h"

/* the shape of sd[prefix name] (any float dtype), or fail naming it */
static vct_status shape_of(const tensor_dict *sd, const char *prefix, const char *name, int ndim, int64_t *shape,
                           vct_error *err) {
    char full[256];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    const tensor *x = tensor_dict_find(sd, full);
    if (!x) return vct_fail(err, VCT_STATUS_FORMAT, "checkpoint: tensor '%s' is missing", full);
    if (x->ndim != ndim) {
        char s[96];
        return vct_fail(err, VCT_STATUS_SHAPE, "checkpoint: tensor '%s': shape %s, expected %d dims", full,
                        shape_str(x->ndim, x->shape, s, sizeof s), ndim);
    }
    memcpy(shape, x->shape, (size_t)ndim * sizeof *shape);
    return VCT_STATUS_OK;
}

vct_status ppqg_config_from_case(ppqg_config *cfg, const av_decoder_config *dec, const char *mapper_name,
                                 const tensor_dict *sd, const char *prefix, vct_error *err) {
    memset(cfg, 0, sizeof *cfg);
    int64_t p0[4], p4[4], m0[2], m1[2], m2[2], pr[2];
    VCT_TRY(shape_of(sd, prefix, "pre_proj.0.weight", 4, p0, err));
    VCT_TRY(shape_of(sd, prefix, "pre_proj.4.weight", 4, p4, err));
    VCT_TRY(shape_of(sd, prefix, "query_mixer.layers.0.weight", 2, m0, err));
    VCT_TRY(shape_of(sd, prefix, "query_mixer.layers.1.weight", 2, m1, err));
    VCT_TRY(shape_of(sd, prefix, "query_mixer.layers.2.weight", 2, m2, err));
    const int is_ms3 = strcmp(mapper_name, "avsms3_semantic") == 0, is_s4 = strcmp(mapper_name, "avss4_semantic") == 0;
    char full[256];
    snprintf(full, sizeof full, "%sprototype.weight", prefix);
    const int has_proto = tensor_dict_find(sd, full) != NULL;
    if (has_proto == is_ms3)
        return vct_fail(err, VCT_STATUS_FORMAT, "checkpoint: '%s' %s, but INPUT.DATASET_MAPPER_NAME is %s (%s)", full,
                        has_proto ? "is present" : "is missing", mapper_name,
                        is_ms3 ? "MS3 uses VCQ, without prototypes" : "S4/AVSS use PPQG, with prototypes");
    cfg->in_channels = p0[1];
    cfg->proj_channels = p0[0];
    cfg->out_channels = p4[0];
    cfg->num_pixel = m0[1];
    cfg->mixer_hidden = m0[0];
    cfg->num_query = m2[0];
    cfg->pre_attn_heads = 4;
    cfg->assign = assign_attn_default_config(cfg->out_channels);
    if (has_proto) {
        VCT_TRY(shape_of(sd, prefix, "prototype.weight", 2, pr, err));
        cfg->num_prototypes = pr[0];
        const int64_t want = is_s4 ? 23 : dec->num_classes;
        if (pr[0] != want || pr[1] != cfg->out_channels)
            return vct_fail(err, VCT_STATUS_SHAPE, "checkpoint: tensor '%s': shape [%lld,%lld], expected [%lld,%lld] (%s)",
                            full, (long long)pr[0], (long long)pr[1], (long long)want, (long long)cfg->out_channels,
                            is_s4 ? "S4: 23 category prototypes" : "one prototype per class");
    }
    if (cfg->out_channels != dec->hidden_dim || cfg->in_channels != dec->mask_dim || m1[0] != cfg->mixer_hidden ||
        m1[1] != cfg->mixer_hidden || m2[1] != cfg->mixer_hidden || cfg->num_query != dec->num_queries)
        return vct_fail(err, VCT_STATUS_SHAPE,
                        "checkpoint %s: pre_proj [%lld..%lld -> %lld], query_mixer %lld -> %lld -> %lld -> %lld do not fit "
                        "the decoder (%lld channels, %lld queries)",
                        prefix, (long long)cfg->in_channels, (long long)cfg->proj_channels, (long long)cfg->out_channels,
                        (long long)cfg->num_pixel, (long long)m0[0], (long long)m1[0], (long long)m2[0],
                        (long long)dec->hidden_dim, (long long)dec->num_queries);
    if (cfg->out_channels % cfg->pre_attn_heads)
        return vct_fail(err, VCT_STATUS_SHAPE, "PPQG width %lld is not divisible by its %lld pre_attn heads",
                        (long long)cfg->out_channels, (long long)cfg->pre_attn_heads);
    return VCT_STATUS_OK;
}

static void add(param_table *pt, const char *prefix, const char *name, int ndim, const int64_t *shape, int trainable,
                param_kind kind, param_tensor *p) {
    param_add(pt, prefix, name, ndim, shape, trainable, kind, p);
}

void ppqg_register(param_table *pt, const char *prefix, const ppqg_config *cfg, ppqg_weights *w, int trainable) {
    const int64_t Cin = cfg->in_channels, P = cfg->proj_channels, C = cfg->out_channels;
    memset(w, 0, sizeof *w);
    char p[256];
    if (cfg->num_prototypes > 0)
        add(pt, prefix, "prototype.weight", 2, (int64_t[2]){cfg->num_prototypes, C}, trainable, PARAM_KIND_EMBEDDING,
            &w->prototype_weight);
    add(pt, prefix, "pre_proj.0.weight", 4, (int64_t[4]){P, Cin, 1, 1}, trainable, PARAM_KIND_WEIGHT, &w->pre_proj_0_weight);
    add(pt, prefix, "pre_proj.0.bias", 1, (int64_t[1]){P}, trainable, PARAM_KIND_WEIGHT, &w->pre_proj_0_bias);
    add(pt, prefix, "pre_proj.2.weight", 4, (int64_t[4]){P, P, 3, 3}, trainable, PARAM_KIND_WEIGHT, &w->pre_proj_2_weight);
    add(pt, prefix, "pre_proj.2.bias", 1, (int64_t[1]){P}, trainable, PARAM_KIND_WEIGHT, &w->pre_proj_2_bias);
    add(pt, prefix, "pre_proj.4.weight", 4, (int64_t[4]){C, P, 1, 1}, trainable, PARAM_KIND_WEIGHT, &w->pre_proj_4_weight);
    add(pt, prefix, "pre_proj.4.bias", 1, (int64_t[1]){C}, trainable, PARAM_KIND_WEIGHT, &w->pre_proj_4_bias);
    int64_t dims[4] = {cfg->num_pixel, cfg->mixer_hidden, cfg->mixer_hidden, cfg->num_query};
    snprintf(p, sizeof p, "%squery_mixer.", prefix);
    mlp_register(pt, p, 3, dims, &w->query_mixer, trainable);
    if (cfg->num_prototypes > 0) {
        snprintf(p, sizeof p, "%spre_attn.", prefix);
        attn_layer_register(pt, p, "multihead_attn", C, &w->pre_attn, trainable);
    }
    snprintf(p, sizeof p, "%sassign_attn.", prefix);
    assign_attn_register(pt, p, &cfg->assign, &w->assign_attn, trainable);
}

/* nn.Conv2d(k, padding=k/2) of pre_proj; k from the weight's shape */
static ag_var *conv(ag_tape *t, ag_var *x, const param_tensor *wt, const param_tensor *b) {
    return ag_conv2d(t, x, ag_param(t, wt), ag_param(t, b), 1, wt->shape[3] / 2, 1, 1);
}

ag_var *ppqg_forward(ag_tape *t, const ppqg_config *cfg, const ppqg_weights *w, ag_var *mask_features,
                     draw_source *draws, const int64_t *force_idx, ppqg_outputs *out) {
    if (out) memset(out, 0, sizeof *out);
    if (!mask_features || t->status != VCT_STATUS_OK) return NULL;
    const int64_t Cin = cfg->in_channels, C = cfg->out_channels, Q = cfg->num_query;
    char a[96];
    if (!ag_check(t, mask_features->ndim == 4 && mask_features->shape[1] == Cin &&
                         mask_features->shape[2] * mask_features->shape[3] == cfg->num_pixel,
                  "ppqg", "mask_features %s: need [B,%lld,H,W] with H*W = %lld (the query mixer's input size; "
                  "96*96 for the official 384x384 models)",
                  shape_str(mask_features->ndim, mask_features->shape, a, sizeof a), (long long)Cin,
                  (long long)cfg->num_pixel))
        return NULL;
    const int64_t B = mask_features->shape[0], HW = cfg->num_pixel;
    /* pre_proj */
    ag_var *x = ag_relu(t, conv(t, mask_features, &w->pre_proj_0_weight, &w->pre_proj_0_bias));
    x = ag_relu(t, conv(t, x, &w->pre_proj_2_weight, &w->pre_proj_2_bias));
    x = conv(t, x, &w->pre_proj_4_weight, &w->pre_proj_4_bias);
    x = ag_reshape(t, x, 3, (int64_t[3]){B, C, HW});
    /* query_mixer over the pixel axis: [B,C,HW] -> [B,C,Q] -> [Q,B,C] */
    const int to_seq[3] = {2, 0, 1}, swap01[3] = {1, 0, 2}, swap12[3] = {0, 2, 1};
    ag_var *query = ag_permute(t, mlp_forward(t, &w->query_mixer, x), to_seq);
    ag_var *protos = NULL;
    if (cfg->num_prototypes > 0) {
        /* prototype.weight.unsqueeze(1).repeat(1, B, 1): 0 + p broadcast over B (exact) */
        const int64_t K = cfg->num_prototypes;
        ag_var *p1 = ag_reshape(t, ag_param(t, &w->prototype_weight), 3, (int64_t[3]){K, 1, C});
        ag_var *zeros = ag_new(t, 3, (int64_t[3]){K, B, C});
        if (!zeros) return NULL;
        memset(zeros->data, 0, (size_t)(K * B * C) * sizeof(float));
        protos = ag_badd(t, zeros, p1);
        query = cross_attn_layer_forward(t, &w->pre_attn, cfg->pre_attn_heads, query, protos, NULL, NULL, NULL);
    }
    query = ag_permute(t, query, swap01);                       /* [B,Q,C] */
    ag_var *pixels = ag_permute(t, x, swap12);                  /* [B,HW,C] */
    assign_attn_trace tr;
    ag_var *g = assign_attn_forward(t, &cfg->assign, &w->assign_attn, query, pixels, draws,
                                    "group_attention.py:gumbel_softmax", force_idx, &tr);
    ag_var *vq = ag_permute(t, ag_add(t, query, g), swap01);     /* [Q,B,C] */
    if (t->status != VCT_STATUS_OK) return NULL;
    (void)Q;
    if (out) {
        out->queries = vq;
        out->prototypes = protos;
        out->assign_logits = tr.logits;
        out->assign_idx = tr.idx;
    }
    return vq;
}
