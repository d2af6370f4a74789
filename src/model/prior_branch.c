/* prior_branch.c: see prior_branch.h. */
#include "model/prior_branch.h"

#include <stdio.h>

#include "autograd/ag_activation.h"
#include "autograd/ag_linalg.h"
#include "autograd/ag_shape.h"
#include "io/yaml.h"

/* int(dim / 16) of the reference */
static int gate_hidden(int C) { return (int)((double)C / 16.0); }

vct_status prior_branch_config(const cJSON *root, const swin_config *cfg, int *enabled, vct_error *err) {
    const cJSON *use = yaml_get(root, "MODEL.PRE_SAM.USE_PRE_SAM");
    if (!use || !cJSON_IsBool(use))
        return vct_fail(err, VCT_STATUS_FORMAT, "config MODEL.PRE_SAM.USE_PRE_SAM: missing or not true/false");
    *enabled = cJSON_IsTrue(use);
    if (!*enabled) return VCT_STATUS_OK;
    long dims[SWIN_MAX_STAGES + 1];
    int n = 0;
    VCT_TRY(yaml_get_int_list(root, "MODEL.PRE_SAM.PRE_SAM_DIM", dims, SWIN_MAX_STAGES + 1, &n, err));
    if (n != cfg->n_stages)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config MODEL.PRE_SAM.PRE_SAM_DIM: %d levels for %d Swin stages", n,
                        cfg->n_stages);
    for (int i = 0; i < n; i++)
        if (dims[i] != swin_stage_dim(cfg, i) || gate_hidden((int)dims[i]) < 1)
            return vct_fail(err, VCT_STATUS_UNSUPPORTED,
                            "config MODEL.PRE_SAM.PRE_SAM_DIM[%d] = %ld, but Swin stage %d has %d channels (and the "
                            "gate needs at least 16)",
                            i, dims[i], i, swin_stage_dim(cfg, i));
    return VCT_STATUS_OK;
}

void prior_branch_register(param_table *pt, const swin_config *cfg, prior_branch_weights *w, int trainable) {
    swin_register(pt, "pre_sam_backbone.", cfg, &w->pre_sam_backbone, trainable);
    if (pt->status != VCT_STATUS_OK) return;
    for (int i = 0; i < cfg->n_stages; i++) {
        prior_gate_weights *g = &w->gates[i];
        const int64_t C = swin_stage_dim(cfg, i), R = gate_hidden((int)C);
        const int64_t s1[2] = {R, C}, sR[1] = {R}, s2[2] = {C, R}, sC[1] = {C};
        char prefix[48];
        snprintf(prefix, sizeof prefix, "scale_factor_module.%d.", i);
        param_add(pt, prefix, "fc1.weight", 2, s1, trainable, PARAM_KIND_WEIGHT, &g->fc1_weight);
        param_add(pt, prefix, "fc1.bias", 1, sR, trainable, PARAM_KIND_WEIGHT, &g->fc1_bias);
        param_add(pt, prefix, "fc2.weight", 2, s2, trainable, PARAM_KIND_WEIGHT, &g->fc2_weight);
        param_add(pt, prefix, "fc2.bias", 1, sC, trainable, PARAM_KIND_WEIGHT, &g->fc2_bias);
    }
}

ag_var *prior_gate_forward(ag_tape *t, const prior_gate_weights *w, ag_var *p) {
    if (!p || t->status != VCT_STATUS_OK) return NULL;
    char s[96];
    if (!ag_check(t, p->ndim == 4, "channel gate", "input %s, expected [B,C,H,W]", shape_str(p->ndim, p->shape, s, sizeof s)))
        return NULL;
    const int64_t B = p->shape[0], C = p->shape[1];
    int hw[2] = {2, 3};
    ag_var *y = ag_mean(t, p, hw, 2, 0); /* AdaptiveAvgPool2d(1).view(b, -1): [B, C] */
    y = ag_relu(t, ag_linear(t, y, ag_param(t, &w->fc1_weight),
                             ag_param(t, &w->fc1_bias)));
    y = ag_sigmoid(t, ag_linear(t, y, ag_param(t, &w->fc2_weight),
                                ag_param(t, &w->fc2_bias)));
    return ag_reshape(t, y, 4, (int64_t[4]){B, C, 1, 1});
}

ag_var *prior_branch_forward(ag_tape *t, const swin_config *cfg, const prior_branch_weights *w, ag_var *const *feats,
                             ag_var *maskige, draw_source *draws, ag_var **pre, ag_var **gates, ag_var **fused) {
    if (!maskige || t->status != VCT_STATUS_OK) return NULL;
    ag_var *P[SWIN_MAX_STAGES] = {0}, *last = NULL;
    if (!swin_forward(t, cfg, &w->pre_sam_backbone, maskige, draws, "pre_sam_backbone", P)) return NULL;
    for (int i = 0; i < cfg->n_stages; i++) {
        ag_var *F = feats[i];
        char a[96], b[96];
        if (!F) return ag_fail(t, VCT_STATUS_INVALID_ARGUMENT, "prior branch: no frame feature for level %d", i);
        if (!ag_check(t, shape_equal(F->ndim, F->shape, P[i]->ndim, P[i]->shape), "prior branch",
                      "level %d: frame feature %s, pre-SAM feature %s", i, shape_str(F->ndim, F->shape, a, sizeof a),
                      shape_str(P[i]->ndim, P[i]->shape, b, sizeof b)))
            return NULL;
        ag_var *g = prior_gate_forward(t, &w->gates[i], P[i]);
        last = ag_add(t, F, ag_bmul(t, g, P[i])); /* features[key] + scale[i] * pre_sam_features[key] */
        if (pre) pre[i] = P[i];
        if (gates) gates[i] = g;
        if (fused) fused[i] = last;
    }
    return t->status == VCT_STATUS_OK ? last : NULL;
}
