/* pvt_v2.h: the PVT-v2 backbone of VCT (PVT-v2-B5 for the paper's VCT-PVT row),
 * forward on the tape.
 *
 * Reference: models/modeling/backbone/pvtv2.py (spyflying/VCT_AVS @ 9a18d2f):
 * PyramidVisionTransformerV2, OverlapPatchEmbed, Block, Attention, Mlp, DWConv;
 * build_pvtv2_b5_backbone. Architecture, stage i = 0..3 (D = embed_dims[i]):
 *   patch_embed{i+1}: Conv2d(Cin, D, k, stride s, pad k/2) with k, s = 7, 4 (i = 0)
 *                     or 3, 2 -> tokens [B, H*W, D] -> LayerNorm (eps 1e-5)
 *   block{i+1}.{j}, j < depths[i]:
 *     x += DropPath(Attention(norm1(x)))          norm1: LN eps 1e-6 (norm_layer)
 *       q = q(x) [B, h, N, hd];  x_ = x, or for sr_ratio r > 1:
 *       x_ = LN_1e-5(sr(x as [B,D,H,W]))  (Conv2d(D, D, r, stride r) -> [B, N', D])
 *       k, v = kv(x_);  attn = softmax((q k^T) * hd^-0.5);  proj(attn v)
 *     x += DropPath(fc2(GELU(DWConv(fc1(norm2(x))))))   DWConv: Conv2d 3x3, pad 1,
 *                                                       groups = hidden, on [B,F,H,W]
 *   norm{i+1} (LN eps 1e-6) -> res{i+2} = NCHW [B, D, H, W], also the next stage's input
 * Strides 4, 8, 16, 32; H = ceil(H_in / 4) (each later stage halves, rounding up).
 * Drop path (train only): rate of block k (over all stages) = float32
 * torch.linspace(0, drop_path_rate, sum(depths))[k]; the block's one DropPath
 * module draws twice (after attention, after the MLP).
 * Not supported (refused by pvt_config_check): the "linear" variant (PVT-v2-Li:
 * adaptive pooling in attention, ReLU in the MLP), drop_rate / attn_drop_rate > 0,
 * qk_scale overrides (build_pvtv2_b5_backbone sets none of them). */
#ifndef VCT_BACKBONE_PVT_V2_H
#define VCT_BACKBONE_PVT_V2_H

#include <cjson/cJSON.h>

#include "autograd/tape.h"
#include "core/rng.h"
#include "autograd/param_table.h"

#define PVT_STAGES 4
#define PVT_MAX_DEPTH 64 /* blocks per stage (B5 has 40) */

typedef struct pvt_config {
    int in_chans;               /* 3 */
    int embed_dims[PVT_STAGES]; /* 64, 128, 320, 512 */
    int num_heads[PVT_STAGES];  /* 1, 2, 5, 8 */
    int mlp_ratios[PVT_STAGES]; /* 4, 4, 4, 4: hidden = D * mlp_ratio */
    int depths[PVT_STAGES];     /* 3, 6, 40, 3 */
    int sr_ratios[PVT_STAGES];  /* 8, 4, 2, 1 */
    int qkv_bias;               /* 1 */
    double drop_path_rate;      /* 0.1 */
    float norm_eps;             /* 1e-6: norm_layer (block norm1/norm2, stage norms) */
} pvt_config;

typedef struct pvt_block_weights {                            /* block{i+1}.{j} */
    param_tensor norm1_weight, norm1_bias;                         /* [D] */
    param_tensor attn_q_weight, attn_q_bias;                       /* [D, D], [D] (bias unregistered without qkv_bias) */
    param_tensor attn_kv_weight, attn_kv_bias;                     /* [2D, D], [2D] */
    param_tensor attn_proj_weight, attn_proj_bias;                 /* [D, D], [D] */
    param_tensor attn_sr_weight, attn_sr_bias;                     /* [D, D, r, r], [D] (sr_ratio r > 1 only) */
    param_tensor attn_norm_weight, attn_norm_bias;                 /* [D] (r > 1 only; LN eps 1e-5) */
    param_tensor norm2_weight, norm2_bias;                         /* [D] */
    param_tensor mlp_fc1_weight, mlp_fc1_bias;                     /* [F, D], [F] */
    param_tensor mlp_dwconv_dwconv_weight, mlp_dwconv_dwconv_bias; /* [F, 1, 3, 3], [F] */
    param_tensor mlp_fc2_weight, mlp_fc2_bias;                     /* [D, F], [D] */
} pvt_block_weights;

typedef struct pvt_stage_weights {
    param_tensor patch_embed_proj_weight, patch_embed_proj_bias; /* patch_embed{i+1}.proj: [D, Cin, k, k], [D] */
    param_tensor patch_embed_norm_weight, patch_embed_norm_bias; /* patch_embed{i+1}.norm: [D] (eps 1e-5) */
    pvt_block_weights blocks[PVT_MAX_DEPTH];                /* block{i+1}.{j} */
    param_tensor norm_weight, norm_bias; /* norm{i+1}: [D] */
} pvt_stage_weights;

typedef struct pvt_weights {
    pvt_stage_weights stages[PVT_STAGES];
} pvt_weights;

/* PVT-v2-B5 as build_pvtv2_b5_backbone builds it */
pvt_config pvt_config_b5(void);
vct_status pvt_config_check(const pvt_config *cfg, vct_error *err);
/* MODEL.PVT.OUT_FEATURES must be res2..res5 (absent: VCT's default, models/config.py);
 * the rest of the architecture is fixed by build_pvtv2_b5_backbone: B5. */
vct_status pvt_config_from_yaml(pvt_config *cfg, const cJSON *root, vct_error *err);
/* drop-path rate of block j of stage s: float32 torch.linspace(0, rate, sum(depths))[k] */
double pvt_drop_path_rate(const pvt_config *cfg, int s, int j);

/* Register every tensor under "<prefix>..." (pvtv2.py state_dict keys:
 * patch_embed1.proj.weight, block1.0.attn.q.weight, block1.0.mlp.dwconv.dwconv.weight,
 * norm1.weight, ...). trainable = 0: frozen (no gradient slots). */
void pvt_register(param_table *pt, const char *prefix, const pvt_config *cfg, pvt_weights *w, int trainable);

/* images [B, in_chans, H, W] -> outs[i] = res{i+2} [B, D_i, H_i, W_i]. Returns outs[3] or
 * NULL with t->status set. draws: NULL = eval semantics (no drop path); otherwise train
 * mode: every block with a rate > 0 draws two keep masks [B,1,1], in the reference order.
 * name ("backbone") names the draw sites in messages. In inference mode each block's
 * temporaries are freed as it ends. */
ag_var *pvt_forward(ag_tape *t, const pvt_config *cfg, const pvt_weights *w, ag_var *images, draw_source *draws,
                    const char *name, ag_var **outs);

#endif
