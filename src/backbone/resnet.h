/* resnet.h: detectron2's ResNet backbone (the Mask2Former-style ResNet-50 of the
 * paper's VCT-R50 row), forward on the tape.
 *
 * Reference: detectron2/modeling/backbone/resnet.py build_resnet_backbone,
 * BasicStem, BottleneckBlock, ResNet (detectron2 @ b15f64e), with
 * detectron2/layers/batch_norm.py FrozenBatchNorm2d (MODEL.RESNETS.NORM
 * "FrozenBN", detectron2's default, which Mask2Former's R50 configs keep).
 *   stem:  conv1 7x7 stride 2 pad 3 (no bias) -> FrozenBN -> ReLU -> max pool 3x3 s2 p1
 *   res{s+2}, s = 0..3: blocks[s] BottleneckBlocks, out channels res2_out * 2^s,
 *          bottleneck width num_groups * width_per_group * 2^s; the first block has
 *          stride 2 (1 in res2, and in res5 when RES5_DILATION is 2) and a projection
 *          shortcut (1x1 conv with that stride + FrozenBN) when its in/out widths differ:
 *     y = ReLU(BN(conv1 1x1(x)))          stride here iff STRIDE_IN_1X1
 *     y = ReLU(BN(conv2 3x3(y)))          else here; pad = dilation, groups = NUM_GROUPS
 *     y = ReLU(BN(conv3 1x1(y)) + shortcut(x))
 *   outputs res2..res5 at strides 4, 8, 16, 32 (16 for res5 with dilation 2).
 * FrozenBN's weight, bias, running_mean and running_var are buffers: registered
 * (their official keys, never trainable) so the loader fills them. FREEZE_AT k
 * freezes the convs of the stem (k >= 1) and of res2..res{k} (no gradient slots).
 * Not supported (refused by resnet_config_from_yaml): NORM other than FrozenBN
 * (BN/SyncBN/GN need batch statistics), deformable convs, R18/R34 BasicBlocks,
 * STEM types other than the basic stem, OUT_FEATURES other than res2..res5. */
#ifndef VCT_BACKBONE_RESNET_H
#define VCT_BACKBONE_RESNET_H

#include <cjson/cJSON.h>

#include "autograd/tape.h"
#include "autograd/param_table.h"

#define RESNET_STAGES 4
#define RESNET_MAX_BLOCKS 64 /* per stage (R152 has 36) */

typedef struct resnet_config {
    int in_chans;              /* 3 */
    int stem_out_channels;     /* 64 (MODEL.RESNETS.STEM_OUT_CHANNELS) */
    int res2_out_channels;     /* 256 */
    int num_groups;            /* 1 */
    int width_per_group;       /* 64 */
    int blocks[RESNET_STAGES]; /* 3,4,6,3 (DEPTH 50); 3,4,23,3 (101); 3,8,36,3 (152) */
    int stride_in_1x1;         /* 0: Mask2Former's R50 configs (torchvision weights); detectron2 default 1 */
    int res5_dilation;         /* 1 (or 2) */
    int freeze_at;             /* 0: Mask2Former's configs; detectron2 default 2 */
    float bn_eps;              /* 1e-5 (FrozenBatchNorm2d default) */
} resnet_config;

/* detectron2 Conv2d(bias=False, norm=FrozenBatchNorm2d): "<name>.weight", "<name>.norm.*" */
typedef struct resnet_conv_weights {
    param_tensor weight;                              /* [OC, IC/groups, K, K] */
    param_tensor norm_weight, norm_bias;              /* [OC] buffers */
    param_tensor norm_running_mean, norm_running_var; /* [OC] buffers */
} resnet_conv_weights;

typedef struct resnet_block_weights { /* res{s+2}.{j} */
    resnet_conv_weights conv1;        /* [b, in, 1, 1] */
    resnet_conv_weights conv2;        /* [b, b/groups, 3, 3] */
    resnet_conv_weights conv3;        /* [out, b, 1, 1] */
    resnet_conv_weights shortcut;     /* [out, in, 1, 1]; weight NULL when in == out */
} resnet_block_weights;

typedef struct resnet_weights {
    resnet_conv_weights stem_conv1; /* stem.conv1: [stem_out, in_chans, 7, 7] */
    resnet_block_weights stages[RESNET_STAGES][RESNET_MAX_BLOCKS];
} resnet_weights;

/* The ResNet-50 of Mask2Former's R50 configs: DEPTH 50, STEM_OUT_CHANNELS 64,
 * RES2_OUT_CHANNELS 256, NUM_GROUPS 1, WIDTH_PER_GROUP 64, STRIDE_IN_1X1 False,
 * RES5_DILATION 1, FREEZE_AT 0, NORM FrozenBN. */
resnet_config resnet_config_default(void);
/* MODEL.RESNETS.* and MODEL.BACKBONE.FREEZE_AT of a detectron2 config tree; an
 * absent key takes detectron2's default (config/defaults.py); refuses what is not
 * supported (see the header comment). */
vct_status resnet_config_from_yaml(resnet_config *cfg, const cJSON *root, vct_error *err);
vct_status resnet_config_check(const resnet_config *cfg, vct_error *err);
/* output channels of res{s+2}: res2_out_channels * 2^s */
int resnet_stage_channels(const resnet_config *cfg, int s);
/* output stride of res{s+2}: 4, 8, 16, 32 (res5: 16 with dilation 2) */
int resnet_stage_stride(const resnet_config *cfg, int s);

/* Register every tensor under "<prefix>..." (detectron2 keys: stem.conv1.weight,
 * stem.conv1.norm.{weight,bias,running_mean,running_var}, res2.0.conv1.weight,
 * res2.0.shortcut.weight, ...). Conv weights are trainable iff `trainable` and not
 * frozen by freeze_at; the FrozenBN buffers never are. */
void resnet_register(param_table *pt, const char *prefix, const resnet_config *cfg, resnet_weights *w, int trainable);

/* images [B, in_chans, H, W] (H, W >= 1) -> outs[s] = res{s+2} [B, C_s, H_s, W_s], s < 4.
 * Returns outs[3] or NULL with t->status set. In inference mode each block's
 * temporaries are freed as it ends. */
ag_var *resnet_forward(ag_tape *t, const resnet_config *cfg, const resnet_weights *w, ag_var *images, ag_var **outs);

#endif
