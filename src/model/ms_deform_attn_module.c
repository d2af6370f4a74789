/* ms_deform_attn_module.c: the MSDeformAttn module; see ms_deform_attn_module.h. */
#include "model/ms_deform_attn_module.h"

#include "autograd/ag_linalg.h"
#include "autograd/ag_msda.h"
#include "autograd/ag_shape.h"
#include "autograd/ag_softmax.h"

vct_status msda_module_config_check(const msda_module_config *cfg, vct_error *err) {
    if (cfg->d_model < 1 || cfg->n_heads < 1 || cfg->n_levels < 1 || cfg->n_points < 1 ||
        cfg->d_model % cfg->n_heads != 0 || cfg->n_levels > AG_MSDA_MAX_LEVELS)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "MSDeformAttn: d_model %d, %d heads (must divide d_model), %d levels (1..%d), %d points",
                        cfg->d_model, cfg->n_heads, cfg->n_levels, AG_MSDA_MAX_LEVELS, cfg->n_points);
    return VCT_STATUS_OK;
}

void msda_module_register(param_table *pt, const char *prefix, const msda_module_config *cfg,
                          msda_module_weights *w, int trainable) {
    int64_t C = cfg->d_model, MLP = (int64_t)cfg->n_heads * cfg->n_levels * cfg->n_points;
#define REG(name, field, nd, ...)                                                                  \
    do {                                                                                           \
        int64_t shape_[] = {__VA_ARGS__};                                                          \
        param_add(pt, prefix, name, nd, shape_, trainable, PARAM_KIND_WEIGHT, &w->field);               \
    } while (0)
    REG("sampling_offsets.weight", sampling_offsets_weight, 2, MLP * 2, C);
    REG("sampling_offsets.bias", sampling_offsets_bias, 1, MLP * 2);
    REG("attention_weights.weight", attention_weights_weight, 2, MLP, C);
    REG("attention_weights.bias", attention_weights_bias, 1, MLP);
    REG("value_proj.weight", value_proj_weight, 2, C, C);
    REG("value_proj.bias", value_proj_bias, 1, C);
    REG("output_proj.weight", output_proj_weight, 2, C, C);
    REG("output_proj.bias", output_proj_bias, 1, C);
#undef REG
}

ag_var *msda_module_forward(ag_tape *t, const msda_module_config *cfg, const msda_module_weights *w, ag_var *query,
                            ag_var *ref, ag_var *input, const int64_t *shapes, const int64_t *level_start) {
    if (!query || !ref || !input || t->status != VCT_STATUS_OK) return NULL;
    vct_status st = msda_module_config_check(cfg, &t->err);
    if (st != VCT_STATUS_OK) return ag_fail(t, st, "%s", t->err.msg);
    int64_t C = cfg->d_model, M = cfg->n_heads, D = C / M, L = cfg->n_levels, P = cfg->n_points;
    char a1[96], a2[96];
    if (!ag_check(t, query->ndim == 3 && input->ndim == 3 && query->shape[0] == input->shape[0] &&
                         query->shape[2] == C && input->shape[2] == C,
                  "MSDeformAttn", "query %s, input %s, d_model %lld",
                  shape_str(query->ndim, query->shape, a1, sizeof a1),
                  shape_str(input->ndim, input->shape, a2, sizeof a2), (long long)C))
        return NULL;
    int64_t N = query->shape[0], Lq = query->shape[1], S = input->shape[1];

    /* value = value_proj(input_flatten).view(N, S, M, D) */
    ag_var *value = ag_linear(t, input, ag_param(t, &w->value_proj_weight),
                              ag_param(t, &w->value_proj_bias));
    int64_t vshape[4] = {N, S, M, D};
    value = ag_reshape(t, value, 4, vshape);
    /* sampling_offsets(query).view(N, Lq, M, L, P, 2) */
    ag_var *off = ag_linear(t, query,
                            ag_param(t, &w->sampling_offsets_weight),
                            ag_param(t, &w->sampling_offsets_bias));
    int64_t oshape[6] = {N, Lq, M, L, P, 2};
    off = ag_reshape(t, off, 6, oshape);
    /* softmax(attention_weights(query).view(N, Lq, M, L*P), -1).view(N, Lq, M, L, P) */
    ag_var *aw = ag_linear(t, query,
                           ag_param(t, &w->attention_weights_weight),
                           ag_param(t, &w->attention_weights_bias));
    int64_t ashape4[4] = {N, Lq, M, L * P}, ashape5[5] = {N, Lq, M, L, P};
    aw = ag_reshape(t, ag_softmax(t, ag_reshape(t, aw, 4, ashape4)), 5, ashape5);
    /* ref[:, :, None, :, None, :] + off / offset_normalizer  (ref: model.md §1.6 item 6) */
    ag_var *loc = ag_msda_sampling_locations(t, ref, off, shapes, L);
    ag_var *out = ag_ms_deform_attn(t, value, loc, aw, shapes, level_start, L); /* [N, Lq, C] */
    return ag_linear(t, out, ag_param(t, &w->output_proj_weight),
                     ag_param(t, &w->output_proj_bias));
}
