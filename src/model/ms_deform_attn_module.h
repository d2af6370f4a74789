/* ms_deform_attn_module.h: the MSDeformAttn module (multi-scale deformable
 * attention with its four projections), forward on the tape.
 *
 * Reference: models/modeling/pixel_decoder/ops/modules/ms_deform_attn.py,
 * class MSDeformAttn (Deformable DETR, as modified by Mask2Former); model.md
 * §1.6 item 6 and §4 item 8. With C = d_model, M heads of D = C/M, L levels,
 * P points:
 *   value = value_proj(input)                 [N, S, M, D]
 *   off   = sampling_offsets(query)           [N, Lq, M, L, P, 2]  (x, y)
 *   aw    = softmax_{L*P}(attention_weights(query))  [N, Lq, M, L, P]
 *   loc   = ref + off / (W_l, H_l)            (ref [N|1, Lq, L, 2] in [0, 1])
 *   out   = output_proj(ms_deform_attn_core(value, loc, aw))   [N, Lq, C]
 * Not supported: the padding mask (VCT never pads: every mask is all False)
 * and 4-coordinate reference boxes (used only by two-stage Deformable DETR). */
#ifndef VCT_MODEL_MS_DEFORM_ATTN_MODULE_H
#define VCT_MODEL_MS_DEFORM_ATTN_MODULE_H

#include "autograd/tape.h"
#include "autograd/param_table.h"

typedef struct msda_module_config {
    int d_model;  /* 256 (CONVS_DIM) */
    int n_levels; /* 3 (res5, res4, res3) */
    int n_heads;  /* 8 (MASK_FORMER.NHEADS) */
    int n_points; /* 4 (enc_n_points) */
} msda_module_config;

typedef struct msda_module_weights {
    param_tensor sampling_offsets_weight, sampling_offsets_bias;   /* [M*L*P*2, C], [M*L*P*2] */
    param_tensor attention_weights_weight, attention_weights_bias; /* [M*L*P, C], [M*L*P] */
    param_tensor value_proj_weight, value_proj_bias;               /* [C, C], [C] */
    param_tensor output_proj_weight, output_proj_bias;             /* [C, C], [C] */
} msda_module_weights;

/* d_model divisible by n_heads, every size >= 1 */
vct_status msda_module_config_check(const msda_module_config *cfg, vct_error *err);
/* Register the 8 tensors under "<prefix>" (e.g. "...layers.0.self_attn."). */
void msda_module_register(param_table *pt, const char *prefix, const msda_module_config *cfg,
                          msda_module_weights *w, int trainable);
/* query [N, Lq, C], ref [N or 1, Lq, L, 2], input [N, S, C];
 * shapes [L*2] (H_l, W_l), level_start [L] -> [N, Lq, C]. */
ag_var *msda_module_forward(ag_tape *t, const msda_module_config *cfg, const msda_module_weights *w, ag_var *query,
                            ag_var *ref, ag_var *input, const int64_t *shapes, const int64_t *level_start);

#endif
