/* prior_branch.h: the pre-SAM prior branch of VCT ("Maskige" features fused into
 * the frame features).
 *
 * Reference: models/vct_model.py VCT.forward (use_pre_sam) and
 * models/utils/misc.py channel_weighted_block; model.md §1.5:
 *   P_i  = pre_sam_backbone(normalised maskige)            second Swin, own weights
 *   g_i  = sigmoid(fc2(relu(fc1(mean_{h,w} P_i))))        scale_factor_module.{i},
 *          fc1: Linear(C_i, int(C_i/16)), fc2: Linear(int(C_i/16), C_i); [B,C_i,1,1]
 *   res_i = F_i + g_i * P_i                                (broadcast over H, W)
 * for the four levels i = 0..3 (res2..res5), C_i = the Swin stage widths
 * (MODEL.PRE_SAM.PRE_SAM_DIM must equal them). The pre-SAM Swin draws its
 * drop-path masks after the frame Swin's, as in the reference.
 * Not supported: the shared-backbone variant (commented out in the reference). */
#ifndef VCT_MODEL_PRIOR_BRANCH_H
#define VCT_MODEL_PRIOR_BRANCH_H

#include "backbone/swin.h"

typedef struct prior_gate_weights { /* scale_factor_module.{i} */
    param_tensor fc1_weight, fc1_bias; /* [C/16, C], [C/16] */
    param_tensor fc2_weight, fc2_bias; /* [C, C/16], [C] */
} prior_gate_weights;

typedef struct prior_branch_weights {
    swin_weights pre_sam_backbone;                 /* pre_sam_backbone.* */
    prior_gate_weights gates[SWIN_MAX_STAGES];     /* scale_factor_module.{i}.* */
} prior_branch_weights;

/* MODEL.PRE_SAM of the config: *enabled = USE_PRE_SAM; when enabled,
 * PRE_SAM_DIM must list the Swin stage widths of cfg. */
vct_status prior_branch_config(const cJSON *root, const swin_config *cfg, int *enabled, vct_error *err);

/* Register "pre_sam_backbone.*" (the Swin of cfg) and "scale_factor_module.{i}.*". */
void prior_branch_register(param_table *pt, const swin_config *cfg, prior_branch_weights *w, int trainable);

/* channel_weighted_block: p [B, C, H, W] -> g [B, C, 1, 1] */
ag_var *prior_gate_forward(ag_tape *t, const prior_gate_weights *w, ag_var *p);

/* feats[i] = F_i [B, C_i, H_i, W_i] (the frame Swin's outputs), maskige [B, 3, H, W]
 * (normalised). Fills, per level i < cfg->n_stages: pre[i] = P_i, gates[i] = g_i,
 * fused[i] = F_i + g_i * P_i (any of the three arrays may be NULL). draws: as
 * swin_forward (NULL = eval). Returns fused[last] (or NULL with t->status set). */
ag_var *prior_branch_forward(ag_tape *t, const swin_config *cfg, const prior_branch_weights *w, ag_var *const *feats,
                             ag_var *maskige, draw_source *draws, ag_var **pre, ag_var **gates, ag_var **fused);

#endif
