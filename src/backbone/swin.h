/* swin.h: the Swin Transformer backbone of VCT, forward on the tape.
 *
 * Reference: models/modeling/backbone/swinb.py (Mask2Former's detection Swin):
 * SwinTransformer / D2SwinTransformer, BasicLayer, SwinTransformerBlock,
 * WindowAttention, PatchMerging, PatchEmbed. Architecture (model.md §1.4):
 *   images [B,3,H,W] -> pad right/bottom to a multiple of P -> Conv2d(3,E,P,stride P)
 *   -> tokens [B,L,E] -> LN                                        (patch_embed)
 *   stage s = 0..S-1, D = E*2^s, depth d_s, h_s heads:
 *     block j: shift = 0 (j even) or ws/2 (j odd), ALWAYS (even on a one-window map)
 *       x += DropPath(proj(WindowAttn(roll(pad(LN1(x)), -shift))))   (-100 shift mask,
 *            relative position bias, q * head_dim^-0.5 before q k^T)
 *       x += DropPath(fc2(GELU(fc1(LN2(x)))))
 *     res{s+2} = norm{s}(x) as NCHW [B,D,H_s,W_s]
 *     s < S-1: PatchMerging (cat x0,x1,x2,x3 -> LN(4D) -> Linear(4D,2D) no bias)
 * Drop path (train only): rate of block k (over all stages) = torch.linspace(0,
 * DROP_PATH_RATE, sum(depths))[k] as float32; block with rate 0 is an identity.
 * Not supported (refused by swin_config_from_yaml): APE, the adapter variant
 * (USE_ADAPTER), QK_SCALE overrides, DROP_RATE / ATTN_DROP_RATE > 0 (VCT uses none
 * of them). USE_CHECKPOINT only changes memory in torch and is ignored.
 *
 * Weights are parameter-table handles (autograd/param_table.h: data, grad,
 * shape), named after the state_dict keys under the caller's prefix ("backbone.",
 * "pre_sam_backbone."); grad is NULL when frozen. The int64
 * `relative_position_index` buffers are not parameters: swin_check_buffers()
 * checks them against the index computed here. */
#ifndef VCT_BACKBONE_SWIN_H
#define VCT_BACKBONE_SWIN_H

#include <cjson/cJSON.h>

#include "autograd/tape.h"
#include "core/rng.h"
#include "autograd/param_table.h"

#define SWIN_MAX_STAGES 4
#define SWIN_MAX_DEPTH 32 /* blocks per stage */

typedef struct swin_config {
    int patch_size;                  /* 4 */
    int in_chans;                    /* 3 */
    int embed_dim;                   /* 128 (Swin-B); 32 in the reduced conformance preset */
    int n_stages;                    /* 4 (1..4; every stage is an output) */
    int depths[SWIN_MAX_STAGES];     /* 2,2,18,2; reduced 2,2,2,2 */
    int num_heads[SWIN_MAX_STAGES];  /* 4,8,16,32; reduced 1,2,4,8 */
    int window_size;                 /* 12 */
    double mlp_ratio;                /* 4.0: hidden = (int)(D * mlp_ratio) */
    int qkv_bias;                    /* 1 */
    int patch_norm;                  /* 1 */
    double drop_path_rate;           /* 0.3 */
} swin_config;

typedef struct swin_block_weights {
    param_tensor norm1_weight, norm1_bias;          /* [D] */
    param_tensor attn_relative_position_bias_table; /* [(2ws-1)^2, h] */
    param_tensor attn_qkv_weight, attn_qkv_bias;    /* [3D, D], [3D] (bias unregistered without qkv_bias) */
    param_tensor attn_proj_weight, attn_proj_bias;  /* [D, D], [D] */
    param_tensor norm2_weight, norm2_bias;          /* [D] */
    param_tensor mlp_fc1_weight, mlp_fc1_bias;      /* [F, D], [F]  F = (int)(D * mlp_ratio) */
    param_tensor mlp_fc2_weight, mlp_fc2_bias;      /* [D, F], [D] */
} swin_block_weights;

typedef struct swin_layer_weights {                    /* layers.{s} */
    swin_block_weights blocks[SWIN_MAX_DEPTH];         /* blocks.{j} */
    param_tensor downsample_norm_weight, downsample_norm_bias; /* [4D] (stages before the last) */
    param_tensor downsample_reduction_weight;                  /* [2D, 4D] */
} swin_layer_weights;

typedef struct swin_weights {
    param_tensor patch_embed_proj_weight, patch_embed_proj_bias; /* [E, 3, P, P], [E] */
    param_tensor patch_embed_norm_weight, patch_embed_norm_bias; /* [E] (patch_norm) */
    swin_layer_weights layers[SWIN_MAX_STAGES];
    param_tensor norm_weight[SWIN_MAX_STAGES], norm_bias[SWIN_MAX_STAGES]; /* norm{s}.weight/.bias [D_s] */
} swin_weights;

/* VCT's Swin-B (the swinb configs): embed 128, depths 2,2,18,2, heads 4,8,16,32,
 * window 12, patch 4, MLP 4, drop path 0.3. */
swin_config swin_config_default(void);
/* MODEL.SWIN.* of a detectron2 config (io/yaml.h tree); refuses what is not
 * supported (see the header comment) and checks the sizes (swin_config_check). */
vct_status swin_config_from_yaml(swin_config *cfg, const cJSON *root, vct_error *err);
vct_status swin_config_check(const swin_config *cfg, vct_error *err);
/* channels of stage s: embed_dim * 2^s */
int swin_stage_dim(const swin_config *cfg, int s);
/* drop-path rate of block j of stage s: float32 torch.linspace(0, rate, sum(depths))
 * as the torch 1.13 CPU kernel (AVX2 build) computes it, widened to double (.item()) */
double swin_drop_path_rate(const swin_config *cfg, int s, int j);

/* Register every parameter under "<prefix>..." (official keys; cfg must pass
 * swin_config_check, else the table's sticky status fails). trainable = 0:
 * frozen (no gradient slots). */
void swin_register(param_table *pt, const char *prefix, const swin_config *cfg, swin_weights *w, int trainable);

/* idx [N*N], N = ws*ws: idx[i*N+j] = (r_i - r_j + ws-1)(2ws-1) + (c_i - c_j + ws-1),
 * (r, c) = (i div ws, i mod ws): WindowAttention.relative_position_index. */
void swin_relative_position_index(int64_t *idx, int ws);
/* Every "<prefix>layers.{s}.blocks.{j}.attn.relative_position_index" of sd must
 * exist, be an integer tensor [N,N] and equal swin_relative_position_index(). */
vct_status swin_check_buffers(const tensor_dict *sd, const char *prefix, const swin_config *cfg, vct_error *err);

/* Forward. images [B, in_chans, H, W] (any H, W >= 1; normalised pixels).
 * outs[s] = res{s+2} [B, D_s, H_s, W_s] for s < n_stages. Returns outs[n_stages-1],
 * or NULL with t->status set.
 * draws: NULL = eval semantics (no drop path); otherwise the module is in train
 * mode: every block with a drop-path rate > 0 draws two keep masks [B,1,1] from
 * it (after attention, after the MLP), in the reference order. name ("backbone")
 * names the draw sites in messages ("backbone.layers.0.blocks.1.drop_path").
 * In inference mode (t->training == 0) each block's temporaries are freed as it ends. */
ag_var *swin_forward(ag_tape *t, const swin_config *cfg, const swin_weights *w, ag_var *images, draw_source *draws,
                     const char *name, ag_var **outs);

/* ---- pieces (swin_block.c), used by swin_forward and the tests ---- */

/* The shift mask of a stage on the padded Hp x Wp map (BasicLayer.forward):
 * mask [nW, N, N] with -100 where the region ids of token i and j differ, else 0. */
void swin_shift_mask(float *mask, int64_t Hp, int64_t Wp, int ws);
/* relative position bias [h, N, N] from the table [(2ws-1)^2, h] on the tape */
ag_var *swin_relative_position_bias(ag_tape *t, ag_var *table, int ws, int heads);
/* One SwinTransformerBlock on x [B, H*W, D]; mask [nW, N, N] (used iff shift > 0). */
ag_var *swin_block_forward(ag_tape *t, const swin_config *cfg, const swin_block_weights *w, ag_var *x, int64_t H,
                           int64_t W, int D, int heads, int shift, ag_var *mask, double drop_rate,
                           draw_source *draws, const char *site);

#endif
