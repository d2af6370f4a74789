/* resnet.c: detectron2's build_resnet_backbone (BasicStem + BottleneckBlocks with
 * FrozenBatchNorm2d) on the tape, and its backbone_kind "build_resnet_backbone".
 * See resnet.h for the architecture and what is not supported. */
#include "backbone/resnet.h"

#include <stdio.h>
#include <string.h>

#include "autograd/ag_activation.h"
#include "autograd/ag_conv.h"
#include "autograd/ag_frozen_bn.h"
#include "autograd/ag_pool.h"
#include "autograd/ag_shape.h"
#include "backbone/backbone.h"
#include "io/yaml.h"

resnet_config resnet_config_default(void) {
    resnet_config c = {.in_chans = 3,
                       .stem_out_channels = 64,
                       .res2_out_channels = 256,
                       .num_groups = 1,
                       .width_per_group = 64,
                       .blocks = {3, 4, 6, 3},
                       .stride_in_1x1 = 0,
                       .res5_dilation = 1,
                       .freeze_at = 0,
                       .bn_eps = 1e-5f};
    return c;
}

int resnet_stage_channels(const resnet_config *cfg, int s) { return cfg->res2_out_channels << s; }

int resnet_stage_stride(const resnet_config *cfg, int s) {
    int stride = 4;
    for (int i = 1; i <= s; i++)
        if (!(i == 3 && cfg->res5_dilation == 2))
            stride *= 2;
    return stride;
}

/* the bottleneck width of stage s */
static int stage_bottleneck(const resnet_config *cfg, int s) { return (cfg->num_groups * cfg->width_per_group) << s; }
/* input channels of block j of stage s */
static int block_in(const resnet_config *cfg, int s, int j) {
    if (j > 0)
        return resnet_stage_channels(cfg, s);
    return s == 0 ? cfg->stem_out_channels : resnet_stage_channels(cfg, s - 1);
}
/* stride of block j of stage s (ResNet.make_stage's stride_per_block) */
static int block_stride(const resnet_config *cfg, int s, int j) {
    if (j > 0 || s == 0 || (s == 3 && cfg->res5_dilation == 2))
        return 1;
    return 2;
}
static int stage_dilation(const resnet_config *cfg, int s) { return s == 3 ? cfg->res5_dilation : 1; }

vct_status resnet_config_check(const resnet_config *c, vct_error *err) {
    if (c->in_chans < 1 || c->stem_out_channels < 1 || c->res2_out_channels < 1 || c->num_groups < 1 ||
        c->width_per_group < 1)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "resnet: in_chans %d, stem %d, res2 %d, groups %d, width per group %d must be >= 1",
                        c->in_chans, c->stem_out_channels, c->res2_out_channels, c->num_groups, c->width_per_group);
    if ((int64_t)c->res2_out_channels << 3 > (1 << 20) || (int64_t)c->num_groups * c->width_per_group << 3 > (1 << 20))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "resnet: widths too large");
    if (c->res5_dilation != 1 && c->res5_dilation != 2)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "resnet: res5 dilation %d (1 or 2, as detectron2)",
                        c->res5_dilation);
    if (c->freeze_at < 0 || c->freeze_at > 5)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "resnet: freeze_at %d not in 0..5", c->freeze_at);
    if (!(c->bn_eps > 0))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "resnet: batch-norm eps %g", c->bn_eps);
    for (int s = 0; s < RESNET_STAGES; s++)
        if (c->blocks[s] < 1 || c->blocks[s] > RESNET_MAX_BLOCKS)
            return vct_fail(err, VCT_STATUS_UNSUPPORTED, "resnet: res%d has %d blocks (1..%d supported)", s + 2,
                            c->blocks[s], RESNET_MAX_BLOCKS);
    return VCT_STATUS_OK;
}

vct_status resnet_config_from_yaml(resnet_config *cfg, const cJSON *root, vct_error *err) {
    resnet_config c = resnet_config_default();
    long depth, v;
    const char *norm = "FrozenBN";
    if (yaml_get(root, "MODEL.RESNETS.NORM"))
        VCT_TRY(yaml_get_str(root, "MODEL.RESNETS.NORM", &norm, err));
    if (strcmp(norm, "FrozenBN") != 0)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED,
                        "config MODEL.RESNETS.NORM '%s': only FrozenBN is supported (batch statistics are not)", norm);
    VCT_TRY(backbone_yaml_int(root, "MODEL.RESNETS.DEPTH", 50, &depth, err));
    static const int table[3][5] = {{50, 3, 4, 6, 3}, {101, 3, 4, 23, 3}, {152, 3, 8, 36, 3}};
    int found = 0;
    for (int i = 0; i < 3; i++)
        if (table[i][0] == depth) {
            memcpy(c.blocks, &table[i][1], sizeof c.blocks);
            found = 1;
        }
    if (!found)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED,
                        "config MODEL.RESNETS.DEPTH %ld: 50, 101 or 152 (bottleneck "
                        "ResNets) are supported",
                        depth);
    VCT_TRY(backbone_yaml_int(root, "MODEL.RESNETS.STEM_OUT_CHANNELS", 64, &v, err));
    c.stem_out_channels = (int)v;
    VCT_TRY(backbone_yaml_int(root, "MODEL.RESNETS.RES2_OUT_CHANNELS", 256, &v, err));
    c.res2_out_channels = (int)v;
    VCT_TRY(backbone_yaml_int(root, "MODEL.RESNETS.NUM_GROUPS", 1, &v, err));
    c.num_groups = (int)v;
    VCT_TRY(backbone_yaml_int(root, "MODEL.RESNETS.WIDTH_PER_GROUP", 64, &v, err));
    c.width_per_group = (int)v;
    VCT_TRY(backbone_yaml_bool(root, "MODEL.RESNETS.STRIDE_IN_1X1", 1, &c.stride_in_1x1, err));
    VCT_TRY(backbone_yaml_int(root, "MODEL.RESNETS.RES5_DILATION", 1, &v, err));
    if (v != 1 && v != 2)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config MODEL.RESNETS.RES5_DILATION %ld: 1 or 2", v);
    c.res5_dilation = (int)v;
    VCT_TRY(backbone_yaml_int(root, "MODEL.BACKBONE.FREEZE_AT", 2, &v, err));
    c.freeze_at = (int)v;
    const cJSON *deform = yaml_get(root, "MODEL.RESNETS.DEFORM_ON_PER_STAGE");
    if (deform) {
        const cJSON *e;
        cJSON_ArrayForEach(e, deform) {
            if (!cJSON_IsBool(e) || cJSON_IsTrue(e))
                return vct_fail(err, VCT_STATUS_UNSUPPORTED,
                                "config MODEL.RESNETS.DEFORM_ON_PER_STAGE: deformable convs are not supported");
        }
    }
    const cJSON *mean = yaml_get(root, "MODEL.PIXEL_MEAN");
    if (mean && cJSON_IsArray(mean))
        c.in_chans = cJSON_GetArraySize(mean); /* ShapeSpec(channels=len(PIXEL_MEAN)) */
    VCT_TRY(backbone_yaml_out_features(root, "MODEL.RESNETS.OUT_FEATURES", 0, err));
    VCT_TRY(resnet_config_check(&c, err));
    *cfg = c;
    return VCT_STATUS_OK;
}

/* ---- registration ---- */

/* "<base>weight" and "<base>norm.{weight,bias,running_mean,running_var}" */
static void register_conv(param_table *pt, const char *prefix, const char *base, int64_t OC, int64_t IC, int64_t K,
                          int trainable, resnet_conv_weights *c) {
    char n[160];
    const int64_t sw[4] = {OC, IC, K, K}, sc[1] = {OC};
    snprintf(n, sizeof n, "%sweight", base);
    param_add(pt, prefix, n, 4, sw, trainable, PARAM_KIND_WEIGHT, &c->weight);
    snprintf(n, sizeof n, "%snorm.weight", base);
    param_add(pt, prefix, n, 1, sc, 0, PARAM_KIND_NORM, &c->norm_weight);
    snprintf(n, sizeof n, "%snorm.bias", base);
    param_add(pt, prefix, n, 1, sc, 0, PARAM_KIND_NORM, &c->norm_bias);
    snprintf(n, sizeof n, "%snorm.running_mean", base);
    param_add(pt, prefix, n, 1, sc, 0, PARAM_KIND_NORM, &c->norm_running_mean);
    snprintf(n, sizeof n, "%snorm.running_var", base);
    param_add(pt, prefix, n, 1, sc, 0, PARAM_KIND_NORM, &c->norm_running_var);
}

void resnet_register(param_table *pt, const char *prefix, const resnet_config *cfg, resnet_weights *w, int trainable) {
    if (pt->status != VCT_STATUS_OK)
        return;
    vct_error e;
    if (resnet_config_check(cfg, &e) != VCT_STATUS_OK) {
        pt->status = vct_fail(&pt->err, e.status, "%s: %s", prefix, e.msg);
        return;
    }
    memset(w, 0, sizeof *w);
    register_conv(pt, prefix, "stem.conv1.", cfg->stem_out_channels, cfg->in_chans, 7, trainable && cfg->freeze_at < 1,
                  &w->stem_conv1);
    for (int s = 0; s < RESNET_STAGES; s++) {
        const int tr = trainable && cfg->freeze_at < s + 2;
        const int64_t out = resnet_stage_channels(cfg, s), b = stage_bottleneck(cfg, s), G = cfg->num_groups;
        for (int j = 0; j < cfg->blocks[s]; j++) {
            resnet_block_weights *bw = &w->stages[s][j];
            const int64_t in = block_in(cfg, s, j);
            char base[64];
            /* detectron2 registers shortcut before conv1..conv3 (BottleneckBlock.__init__) */
            if (in != out) {
                snprintf(base, sizeof base, "res%d.%d.shortcut.", s + 2, j);
                register_conv(pt, prefix, base, out, in, 1, tr, &bw->shortcut);
            }
            snprintf(base, sizeof base, "res%d.%d.conv1.", s + 2, j);
            register_conv(pt, prefix, base, b, in, 1, tr, &bw->conv1);
            snprintf(base, sizeof base, "res%d.%d.conv2.", s + 2, j);
            register_conv(pt, prefix, base, b, b / G, 3, tr, &bw->conv2);
            snprintf(base, sizeof base, "res%d.%d.conv3.", s + 2, j);
            register_conv(pt, prefix, base, out, b, 1, tr, &bw->conv3);
        }
    }
}

/* ---- forward ---- */

/* detectron2 Conv2d(bias=False, norm=FrozenBN): norm(conv(x)) */
static ag_var *conv_bn(ag_tape *t, const resnet_config *cfg, const resnet_conv_weights *c, ag_var *x, int64_t stride,
                       int64_t pad, int64_t dil, int64_t groups) {
    x = ag_conv2d(t, x, ag_param(t, &c->weight), NULL, stride, pad, dil, groups);
    return ag_frozen_bn(t, x, c->norm_weight.data, c->norm_bias.data, c->norm_running_mean.data,
                        c->norm_running_var.data, cfg->bn_eps);
}

/* BottleneckBlock.forward */
static ag_var *bottleneck(ag_tape *t, const resnet_config *cfg, const resnet_block_weights *w, ag_var *x, int s,
                          int j) {
    const int64_t in = block_in(cfg, s, j), out = resnet_stage_channels(cfg, s);
    const int64_t G = cfg->num_groups, stride = block_stride(cfg, s, j), dil = stage_dilation(cfg, s);
    const int64_t s1 = cfg->stride_in_1x1 ? stride : 1, s3 = cfg->stride_in_1x1 ? 1 : stride;
    ag_var *y = ag_relu(t, conv_bn(t, cfg, &w->conv1, x, s1, 0, 1, 1));
    y = ag_relu(t, conv_bn(t, cfg, &w->conv2, y, s3, dil, dil, G));
    y = conv_bn(t, cfg, &w->conv3, y, 1, 0, 1, 1);
    ag_var *sc = in != out ? conv_bn(t, cfg, &w->shortcut, x, stride, 0, 1, 1) : x;
    return ag_relu(t, ag_add(t, y, sc)); /* out += shortcut; relu_ */
}

ag_var *resnet_forward(ag_tape *t, const resnet_config *cfg, const resnet_weights *w, ag_var *images, ag_var **outs) {
    if (!images || t->status != VCT_STATUS_OK)
        return NULL;
    char sh[96];
    if (!ag_check(t,
                  images->ndim == 4 && images->shape[1] == cfg->in_chans && images->shape[0] >= 1 &&
                      images->shape[2] >= 1 && images->shape[3] >= 1,
                  "resnet", "images %s, expected [B,%d,H,W]", shape_str(images->ndim, images->shape, sh, sizeof sh),
                  cfg->in_chans))
        return NULL;
    /* BasicStem: conv1 7x7/2 + FrozenBN, relu_, max_pool2d(3, 2, 1) */
    size_t m = ag_mark(t);
    ag_var *x = conv_bn(t, cfg, &w->stem_conv1, images, 2, 3, 1, 1);
    x = ag_keep(t, m, ag_maxpool2d(t, ag_relu(t, x), 3, 2, 1));
    for (int s = 0; s < RESNET_STAGES && x; s++) {
        for (int j = 0; j < cfg->blocks[s]; j++) {
            m = ag_mark(t);
            x = ag_keep(t, m, bottleneck(t, cfg, &w->stages[s][j], x, s, j));
        }
        outs[s] = x; /* res{s+2}: the stage's last block output, also the next stage's input */
    }
    if (t->status != VCT_STATUS_OK)
        return NULL;
    return outs[RESNET_STAGES - 1];
}

/* ---- the backbone interface (backbone.h) ---- */

typedef struct resnet_state {
    resnet_config cfg;
    resnet_weights w;
} resnet_state;

static vct_status resnet_configure(void *state, const cJSON *root, const void *cfg, backbone_spec *spec,
                                   vct_error *err) {
    resnet_state *s = state;
    if (root)
        VCT_TRY(resnet_config_from_yaml(&s->cfg, root, err));
    else if (cfg)
        s->cfg = *(const resnet_config *)cfg;
    else
        s->cfg = resnet_config_default();
    VCT_TRY(resnet_config_check(&s->cfg, err));
    spec->n_outs = RESNET_STAGES;
    for (int i = 0; i < RESNET_STAGES; i++) {
        spec->channels[i] = resnet_stage_channels(&s->cfg, i);
        spec->strides[i] = resnet_stage_stride(&s->cfg, i);
    }
    return VCT_STATUS_OK;
}

static void resnet_register_params(void *state, param_table *pt, const char *prefix, int trainable) {
    resnet_state *s = state;
    resnet_register(pt, prefix, &s->cfg, &s->w, trainable);
}

static ag_var *resnet_fwd(const void *state, ag_tape *t, ag_var *images, draw_source *draws, const char *name,
                          ag_var **outs) {
    const resnet_state *s = state;
    return resnet_forward(t, &s->cfg, &s->w, images, outs);
}

const backbone_kind backbone_kind_resnet = {
    .name = "build_resnet_backbone",
    .state_size = sizeof(resnet_state),
    .configure = resnet_configure,
    .register_params = resnet_register_params,
    .check_buffers = NULL,
    .forward = resnet_fwd,
};
