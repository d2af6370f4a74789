/* msdeformattn.h: the pixel decoder of VCT (MSDeformAttn transformer encoder
 * plus one FPN level), forward on the tape.
 *
 * Reference: models/modeling/pixel_decoder/msdeformattn.py, classes
 * MSDeformAttnPixelDecoder (forward_features), MSDeformAttnTransformerEncoderOnly,
 * MSDeformAttnTransformerEncoder, MSDeformAttnTransformerEncoderLayer; model.md
 * §1.6 and §4 items 1, 6-9. Inputs res2..res5 [B, Cin_i, H_i, W_i] (fp32).
 *   level l = 0..L-1 takes res{5-l} (coarse to fine; L = 3: res5, res4, res3):
 *     src_l = GN32(Conv1x1(res, C, bias))             input_proj.{l}.{0,1}
 *     pos_l = sine embedding of H_l x W_l (C channels) + transformer.level_embed[l]
 *   tokens of all levels, row-major, concatenated: x [B, S, C]; reference point
 *   of a token at (col, row) of level l' = ((col+.5)/W_l', (row+.5)/H_l') for every level
 *   encoder layer (post-norm, dropout 0), TRANSFORMER_ENC_LAYERS times:
 *     x = LN1(x + MSDeformAttn(x + pos, ref, x));  x = LN2(x + lin2(ReLU(lin1(x))))
 *   out = the L levels of x as [B, C, H_l, W_l]
 *   FPN, finest transformer level to res2 (n_fpn = 1 level in VCT):
 *     y = GN32(Conv1x1(res2, no bias)) + bilinear(out[-1] -> res2 size)   adapter_1
 *     y = ReLU(GN32(Conv3x3(y, pad 1, no bias)))                          layer_1
 *   multi_scale_features = out[0..2]; mask_features = Conv1x1(y, mask_dim, bias).
 * Not supported: padding masks (VCT inputs are 384x384, never padded), dropout > 0
 * (the config has 0), other norms than GN, a single transformer level. */
#ifndef VCT_MODEL_MSDEFORMATTN_H
#define VCT_MODEL_MSDEFORMATTN_H

#include <cjson/cJSON.h>

#include "autograd/tape.h"
#include "model/ms_deform_attn_module.h"
#include "autograd/param_table.h"

#define MSDEFORMATTN_N_FEATURES 4    /* res2..res5 */
#define MSDEFORMATTN_MAX_ENC_LAYERS 16
#define MSDEFORMATTN_N_MS 3          /* maskformer_num_feature_levels: always 3 */

typedef struct msdeformattn_config {
    int in_channels[MSDEFORMATTN_N_FEATURES]; /* res2..res5: 128,256,512,1024 (Swin-B); 32,64,128,256 reduced */
    int conv_dim;        /* 256 (SEM_SEG_HEAD.CONVS_DIM) */
    int mask_dim;        /* 256 (SEM_SEG_HEAD.MASK_DIM) */
    int n_heads;         /* 8 (MASK_FORMER.NHEADS) */
    int n_points;        /* 4 (enc_n_points, fixed in the reference) */
    int dim_feedforward; /* 1024 (fixed in from_config) */
    int enc_layers;      /* 6 (SEM_SEG_HEAD.TRANSFORMER_ENC_LAYERS); 1 in the reduced preset */
    int n_levels;        /* 3: transformer levels = the last n_levels features (res3..res5) */
    int n_fpn;           /* 1: FPN levels = log2(stride of the first transformer level) - log2(COMMON_STRIDE 4) */
    int gn_groups;       /* 32 */
} msdeformattn_config;

typedef struct msdeformattn_layer_weights { /* transformer.encoder.layers.{i}. */
    msda_module_weights self_attn;
    param_tensor norm1_weight, norm1_bias;     /* [C] */
    param_tensor linear1_weight, linear1_bias; /* [F, C], [F] */
    param_tensor linear2_weight, linear2_bias; /* [C, F], [C] */
    param_tensor norm2_weight, norm2_bias;     /* [C] */
} msdeformattn_layer_weights;

typedef struct msdeformattn_weights {
    /* input_proj.{l}.0.weight [C, Cin, 1, 1], .0.bias [C]; .1.weight/.1.bias [C] (GroupNorm) */
    param_tensor input_proj_0_weight[MSDEFORMATTN_N_FEATURES], input_proj_0_bias[MSDEFORMATTN_N_FEATURES];
    param_tensor input_proj_1_weight[MSDEFORMATTN_N_FEATURES], input_proj_1_bias[MSDEFORMATTN_N_FEATURES];
    param_tensor transformer_level_embed; /* [L, C] */
    msdeformattn_layer_weights layers[MSDEFORMATTN_MAX_ENC_LAYERS];
    /* adapter_{i}.weight [C, Cin, 1, 1], adapter_{i}.norm.weight/.bias [C] (index i-1) */
    param_tensor adapter_weight[MSDEFORMATTN_N_FEATURES], adapter_norm_weight[MSDEFORMATTN_N_FEATURES],
        adapter_norm_bias[MSDEFORMATTN_N_FEATURES];
    /* layer_{i}.weight [C, C, 3, 3], layer_{i}.norm.weight/.bias [C] */
    param_tensor layer_weight[MSDEFORMATTN_N_FEATURES], layer_norm_weight[MSDEFORMATTN_N_FEATURES],
        layer_norm_bias[MSDEFORMATTN_N_FEATURES];
    param_tensor mask_features_weight, mask_features_bias; /* [mask_dim, C, 1, 1], [mask_dim] */
} msdeformattn_weights;

typedef struct msdeformattn_outputs {
    ag_var *mask_features;                         /* [B, mask_dim, H_2, W_2] */
    ag_var *multi_scale_features[MSDEFORMATTN_N_MS]; /* [B, C, H_l, W_l], l = 0..2 (res5, res4, res3) */
    int64_t spatial_shapes[MSDEFORMATTN_N_FEATURES * 2]; /* (H_l, W_l) of the L transformer levels */
    int64_t level_start_index[MSDEFORMATTN_N_FEATURES];
} msdeformattn_outputs;

/* VCT's values with the given input channels (res2..res5), 6 encoder layers. */
msdeformattn_config msdeformattn_config_default(const int in_channels[MSDEFORMATTN_N_FEATURES]);
/* From a detectron2 config (io/yaml.h tree): CONVS_DIM, MASK_DIM, TRANSFORMER_ENC_LAYERS,
 * COMMON_STRIDE, NORM (must be GN), MASK_FORMER.NHEADS and DROPOUT (must be 0),
 * IN_FEATURES (res2..res5) and DEFORMABLE_TRANSFORMER_ENCODER_IN_FEATURES (a suffix of them);
 * in_channels from the backbone. */
vct_status msdeformattn_config_from_yaml(msdeformattn_config *cfg, const cJSON *root,
                                         const int in_channels[MSDEFORMATTN_N_FEATURES], vct_error *err);
vct_status msdeformattn_config_check(const msdeformattn_config *cfg, vct_error *err);
/* The MSDeformAttn settings of every encoder layer. */
msda_module_config msdeformattn_attn_config(const msdeformattn_config *cfg);

/* Register every tensor under "<prefix>" (official keys, e.g. "sem_seg_head.pixel_decoder.").
 * cfg must pass msdeformattn_config_check (else the table's sticky status fails). */
void msdeformattn_register(param_table *pt, const char *prefix, const msdeformattn_config *cfg,
                           msdeformattn_weights *w, int trainable);

/* Forward. feats[i] = res{i+2} [B, in_channels[i], H_i, W_i] (any sizes >= 1).
 * Fills out; returns out->mask_features, or NULL with t->status set. In inference
 * mode (t->training == 0) each block's temporaries are freed as it ends (the tape's
 * arena then holds about the outputs plus the largest block). */
ag_var *msdeformattn_forward(ag_tape *t, const msdeformattn_config *cfg, const msdeformattn_weights *w,
                             ag_var *const *feats, msdeformattn_outputs *out);

#endif
