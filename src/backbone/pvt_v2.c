/* pvt_v2.c: PyramidVisionTransformerV2 of models/modeling/backbone/pvtv2.py on the
 * tape (OverlapPatchEmbed, Block, Attention with spatial reduction, Mlp with DWConv,
 * the stage norms), and its backbone_kind "build_pvtv2_b5_backbone". See pvt_v2.h. */
#include "backbone/pvt_v2.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "autograd/ag_activation.h"
#include "autograd/ag_conv.h"
#include "autograd/ag_dropout.h"
#include "autograd/ag_linalg.h"
#include "autograd/ag_norm.h"
#include "autograd/ag_shape.h"
#include "autograd/ag_softmax.h"
#include "backbone/backbone.h"
#include "backbone/swin.h"

#define PATCH_LN_EPS 1e-5f /* OverlapPatchEmbed.norm and Attention.norm: plain nn.LayerNorm(dim) */

pvt_config pvt_config_b5(void) {
    pvt_config c = {.in_chans = 3,
                    .embed_dims = {64, 128, 320, 512},
                    .num_heads = {1, 2, 5, 8},
                    .mlp_ratios = {4, 4, 4, 4},
                    .depths = {3, 6, 40, 3},
                    .sr_ratios = {8, 4, 2, 1},
                    .qkv_bias = 1,
                    .drop_path_rate = 0.1,
                    .norm_eps = 1e-6f};
    return c;
}

vct_status pvt_config_check(const pvt_config *c, vct_error *err) {
    if (c->in_chans < 1)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "pvt_v2: in_chans %d", c->in_chans);
    if (!(c->drop_path_rate >= 0 && c->drop_path_rate < 1))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "pvt_v2: drop path rate %g not in [0, 1)", c->drop_path_rate);
    if (!(c->norm_eps > 0))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "pvt_v2: norm eps %g", c->norm_eps);
    for (int s = 0; s < PVT_STAGES; s++) {
        const int D = c->embed_dims[s];
        if (D < 1 || D > (1 << 16) || c->num_heads[s] < 1 || D % c->num_heads[s] != 0)
            return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "pvt_v2: stage %d: %d channels, %d heads", s, D,
                            c->num_heads[s]);
        if (c->mlp_ratios[s] < 1 || c->mlp_ratios[s] > 64 || c->sr_ratios[s] < 1 || c->sr_ratios[s] > 64)
            return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "pvt_v2: stage %d: MLP ratio %d, SR ratio %d", s,
                            c->mlp_ratios[s], c->sr_ratios[s]);
        if (c->depths[s] < 1 || c->depths[s] > PVT_MAX_DEPTH)
            return vct_fail(err, VCT_STATUS_UNSUPPORTED, "pvt_v2: stage %d has %d blocks (1..%d supported)", s,
                            c->depths[s], PVT_MAX_DEPTH);
    }
    return VCT_STATUS_OK;
}

vct_status pvt_config_from_yaml(pvt_config *cfg, const cJSON *root, vct_error *err) {
    VCT_TRY(backbone_yaml_out_features(root, "MODEL.PVT.OUT_FEATURES", 1, err));
    *cfg = pvt_config_b5();
    return VCT_STATUS_OK;
}

double pvt_drop_path_rate(const pvt_config *cfg, int s, int j) {
    /* the same float32 torch.linspace as Swin's stochastic-depth rule (swin.c) */
    swin_config sc = swin_config_default();
    sc.n_stages = PVT_STAGES;
    for (int i = 0; i < PVT_STAGES; i++)
        sc.depths[i] = cfg->depths[i];
    sc.drop_path_rate = cfg->drop_path_rate;
    return swin_drop_path_rate(&sc, s, j);
}

static int patch_kernel(int s) { return s == 0 ? 7 : 3; }
static int patch_stride(int s) { return s == 0 ? 4 : 2; }

/* ---- registration ---- */

typedef struct reg {
    param_table *pt;
    const char *prefix;
    int trainable;
} reg;

static void add(const reg *r, const char *name, int ndim, const int64_t *shape, param_kind kind, param_tensor *p) {
    param_add(r->pt, r->prefix, name, ndim, shape, r->trainable, kind, p);
}

static void register_block(const reg *r, const pvt_config *cfg, int s, int j, pvt_block_weights *b) {
    char n[160];
    const int64_t D = cfg->embed_dims[s], F = D * cfg->mlp_ratios[s], R = cfg->sr_ratios[s];
    const int64_t sD[1] = {D}, sDD[2] = {D, D}, s2D[1] = {2 * D}, sKV[2] = {2 * D, D}, sSR[4] = {D, D, R, R};
    const int64_t sF[1] = {F}, s1[2] = {F, D}, sDW[4] = {F, 1, 3, 3}, s2[2] = {D, F};
#define B_ADD(suffix, nd, shape, kind, field)                                                                          \
    (snprintf(n, sizeof n, "block%d.%d.%s", s + 1, j, suffix), add(r, n, nd, shape, PARAM_KIND_##kind, &b->field))
    /* state_dict order of pvtv2.py's Block */
    B_ADD("norm1.weight", 1, sD, NORM, norm1_weight);
    B_ADD("norm1.bias", 1, sD, NORM, norm1_bias);
    B_ADD("attn.q.weight", 2, sDD, WEIGHT, attn_q_weight);
    if (cfg->qkv_bias)
        B_ADD("attn.q.bias", 1, sD, WEIGHT, attn_q_bias);
    B_ADD("attn.kv.weight", 2, sKV, WEIGHT, attn_kv_weight);
    if (cfg->qkv_bias)
        B_ADD("attn.kv.bias", 1, s2D, WEIGHT, attn_kv_bias);
    B_ADD("attn.proj.weight", 2, sDD, WEIGHT, attn_proj_weight);
    B_ADD("attn.proj.bias", 1, sD, WEIGHT, attn_proj_bias);
    if (R > 1) {
        B_ADD("attn.sr.weight", 4, sSR, WEIGHT, attn_sr_weight);
        B_ADD("attn.sr.bias", 1, sD, WEIGHT, attn_sr_bias);
        B_ADD("attn.norm.weight", 1, sD, NORM, attn_norm_weight);
        B_ADD("attn.norm.bias", 1, sD, NORM, attn_norm_bias);
    }
    B_ADD("norm2.weight", 1, sD, NORM, norm2_weight);
    B_ADD("norm2.bias", 1, sD, NORM, norm2_bias);
    B_ADD("mlp.fc1.weight", 2, s1, WEIGHT, mlp_fc1_weight);
    B_ADD("mlp.fc1.bias", 1, sF, WEIGHT, mlp_fc1_bias);
    B_ADD("mlp.dwconv.dwconv.weight", 4, sDW, WEIGHT, mlp_dwconv_dwconv_weight);
    B_ADD("mlp.dwconv.dwconv.bias", 1, sF, WEIGHT, mlp_dwconv_dwconv_bias);
    B_ADD("mlp.fc2.weight", 2, s2, WEIGHT, mlp_fc2_weight);
    B_ADD("mlp.fc2.bias", 1, sD, WEIGHT, mlp_fc2_bias);
#undef B_ADD
}

void pvt_register(param_table *pt, const char *prefix, const pvt_config *cfg, pvt_weights *w, int trainable) {
    if (pt->status != VCT_STATUS_OK)
        return;
    vct_error e;
    if (pvt_config_check(cfg, &e) != VCT_STATUS_OK) {
        pt->status = vct_fail(&pt->err, e.status, "%s: %s", prefix, e.msg);
        return;
    }
    memset(w, 0, sizeof *w);
    const reg r = {pt, prefix, trainable};
    for (int s = 0; s < PVT_STAGES; s++) {
        pvt_stage_weights *st = &w->stages[s];
        const int64_t D = cfg->embed_dims[s], Cin = s == 0 ? cfg->in_chans : cfg->embed_dims[s - 1],
                      K = patch_kernel(s);
        const int64_t sP[4] = {D, Cin, K, K}, sD[1] = {D};
        char n[64];
        snprintf(n, sizeof n, "patch_embed%d.proj.weight", s + 1);
        add(&r, n, 4, sP, PARAM_KIND_WEIGHT, &st->patch_embed_proj_weight);
        snprintf(n, sizeof n, "patch_embed%d.proj.bias", s + 1);
        add(&r, n, 1, sD, PARAM_KIND_WEIGHT, &st->patch_embed_proj_bias);
        snprintf(n, sizeof n, "patch_embed%d.norm.weight", s + 1);
        add(&r, n, 1, sD, PARAM_KIND_NORM, &st->patch_embed_norm_weight);
        snprintf(n, sizeof n, "patch_embed%d.norm.bias", s + 1);
        add(&r, n, 1, sD, PARAM_KIND_NORM, &st->patch_embed_norm_bias);
        for (int j = 0; j < cfg->depths[s]; j++)
            register_block(&r, cfg, s, j, &st->blocks[j]);
        snprintf(n, sizeof n, "norm%d.weight", s + 1);
        add(&r, n, 1, sD, PARAM_KIND_NORM, &st->norm_weight);
        snprintf(n, sizeof n, "norm%d.bias", s + 1);
        add(&r, n, 1, sD, PARAM_KIND_NORM, &st->norm_bias);
    }
}

/* ---- forward ---- */

/* [B, N, C] tokens of an H x W map -> NCHW [B, C, H, W] (x.transpose(1, 2).view(B, C, H, W)) */
static ag_var *tokens_to_map(ag_tape *t, ag_var *x, int64_t H, int64_t W) {
    if (!x)
        return NULL;
    const int64_t B = x->shape[0], C = x->shape[2];
    int p021[3] = {0, 2, 1};
    return ag_reshape(t, ag_permute(t, x, p021), 4, (int64_t[4]){B, C, H, W});
}

/* NCHW [B, C, H, W] -> tokens [B, H*W, C] (x.flatten(2).transpose(1, 2)) */
static ag_var *map_to_tokens(ag_tape *t, ag_var *x) {
    if (!x)
        return NULL;
    const int64_t B = x->shape[0], C = x->shape[1], N = x->shape[2] * x->shape[3];
    int p021[3] = {0, 2, 1};
    return ag_permute(t, ag_reshape(t, x, 3, (int64_t[3]){B, C, N}), p021);
}

/* Attention.forward: x [B, N, D] (after norm1) -> [B, N, D] */
static ag_var *attention(ag_tape *t, const pvt_block_weights *w, ag_var *x, int64_t H, int64_t W, int64_t D, int64_t h,
                         int64_t R) {
    const int64_t B = x->shape[0], N = H * W, hd = D / h;
    /* q(x).reshape(B, N, h, hd).permute(0, 2, 1, 3) */
    int p0213[4] = {0, 2, 1, 3};
    ag_var *q = ag_linear(t, x, ag_param(t, &w->attn_q_weight),
                          ag_param(t, &w->attn_q_bias));
    q = ag_permute(t, ag_reshape(t, q, 4, (int64_t[4]){B, N, h, hd}), p0213);
    ag_var *xr = x; /* the keys' and values' tokens */
    if (R > 1) {    /* spatial reduction: Conv2d(D, D, R, stride R) on the map, then LayerNorm */
        xr = ag_conv2d(t, tokens_to_map(t, x, H, W), ag_param(t, &w->attn_sr_weight),
                       ag_param(t, &w->attn_sr_bias), R, 0, 1, 1);
        xr = ag_layernorm(t, map_to_tokens(t, xr), ag_param(t, &w->attn_norm_weight),
                          ag_param(t, &w->attn_norm_bias), PATCH_LN_EPS);
    }
    if (!q || !xr)
        return NULL;
    const int64_t M = xr->shape[1];
    /* kv(x_).reshape(B, M, 2, h, hd).permute(2, 0, 3, 1, 4) */
    int p5[5] = {2, 0, 3, 1, 4};
    ag_var *kv = ag_linear(t, xr, ag_param(t, &w->attn_kv_weight),
                           ag_param(t, &w->attn_kv_bias));
    kv = ag_permute(t, ag_reshape(t, kv, 5, (int64_t[5]){B, M, 2, h, hd}), p5); /* [2, B, h, M, hd] */
    const int64_t sq[3] = {B * h, N, hd}, skv[3] = {B * h, M, hd};
    ag_var *k = ag_reshape(t, ag_slice(t, kv, 0, 0, 1), 3, skv);
    ag_var *v = ag_reshape(t, ag_slice(t, kv, 0, 1, 1), 3, skv);
    /* attn = (q @ k^T) * scale (the python float head_dim ** -0.5, applied in float32
     * after the product); softmax; attn @ v */
    ag_var *attn = ag_matmul(t, ag_reshape(t, q, 3, sq), k, 0, 1); /* [B*h, N, M] */
    attn = ag_softmax(t, ag_scale(t, attn, (float)pow((double)hd, -0.5)));
    ag_var *o = ag_matmul(t, attn, v, 0, 0); /* [B*h, N, hd] */
    /* .transpose(1, 2).reshape(B, N, D) */
    o = ag_permute(t, ag_reshape(t, o, 4, (int64_t[4]){B, h, N, hd}), p0213);
    o = ag_reshape(t, o, 3, (int64_t[3]){B, N, D});
    return ag_linear(t, o, ag_param(t, &w->attn_proj_weight),
                     ag_param(t, &w->attn_proj_bias));
}

/* Mlp.forward: fc1 -> DWConv (3x3 depthwise on the map) -> GELU -> fc2 */
static ag_var *mlp(ag_tape *t, const pvt_block_weights *w, ag_var *x, int64_t H, int64_t W, int64_t D, int64_t F) {
    ag_var *y = ag_linear(t, x, ag_param(t, &w->mlp_fc1_weight),
                          ag_param(t, &w->mlp_fc1_bias));
    y = ag_conv2d(t, tokens_to_map(t, y, H, W),
                  ag_param(t, &w->mlp_dwconv_dwconv_weight),
                  ag_param(t, &w->mlp_dwconv_dwconv_bias), 1, 1, 1, F);
    y = ag_gelu(t, map_to_tokens(t, y));
    return ag_linear(t, y, ag_param(t, &w->mlp_fc2_weight),
                     ag_param(t, &w->mlp_fc2_bias));
}

/* Block.forward */
static ag_var *block(ag_tape *t, const pvt_config *cfg, const pvt_block_weights *w, ag_var *x, int64_t H, int64_t W,
                     int s, double drop, draw_source *draws, const char *site) {
    const int64_t D = cfg->embed_dims[s], F = D * cfg->mlp_ratios[s];
    const float eps = cfg->norm_eps;
    ag_var *y = ag_layernorm(t, x, ag_param(t, &w->norm1_weight),
                             ag_param(t, &w->norm1_bias), eps);
    x = ag_add(t, x,
               ag_drop_path(t, attention(t, w, y, H, W, D, cfg->num_heads[s], cfg->sr_ratios[s]), drop, draws, site));
    y = ag_layernorm(t, x, ag_param(t, &w->norm2_weight),
                     ag_param(t, &w->norm2_bias), eps);
    return ag_add(t, x, ag_drop_path(t, mlp(t, w, y, H, W, D, F), drop, draws, site));
}

ag_var *pvt_forward(ag_tape *t, const pvt_config *cfg, const pvt_weights *w, ag_var *images, draw_source *draws,
                    const char *name, ag_var **outs) {
    if (!images || t->status != VCT_STATUS_OK)
        return NULL;
    char sh[96];
    if (!ag_check(t,
                  images->ndim == 4 && images->shape[1] == cfg->in_chans && images->shape[0] >= 1 &&
                      images->shape[2] >= 1 && images->shape[3] >= 1,
                  "pvt_v2", "images %s, expected [B,%d,H,W]", shape_str(images->ndim, images->shape, sh, sizeof sh),
                  cfg->in_chans))
        return NULL;
    ag_var *x = images; /* NCHW input of the stage */
    for (int s = 0; s < PVT_STAGES && x; s++) {
        const pvt_stage_weights *st = &w->stages[s];
        const int64_t D = cfg->embed_dims[s], K = patch_kernel(s), R = cfg->sr_ratios[s];
        /* OverlapPatchEmbed: conv (pad K/2), flatten to tokens, LayerNorm (1e-5) */
        size_t m = ag_mark(t);
        ag_var *y = ag_conv2d(t, x, ag_param(t, &st->patch_embed_proj_weight),
                              ag_param(t, &st->patch_embed_proj_bias), patch_stride(s),
                              K / 2, 1, 1);
        if (!y)
            return NULL;
        const int64_t B = y->shape[0], H = y->shape[2], W = y->shape[3];
        if (!ag_check(t, R == 1 || (H >= R && W >= R), "pvt_v2",
                      "stage %d: a %lldx%lld map is smaller than its spatial-reduction kernel %lld (input %s too "
                      "small; torch fails too)",
                      s + 1, (long long)H, (long long)W, (long long)R,
                      shape_str(images->ndim, images->shape, sh, sizeof sh)))
            return NULL;
        y = ag_layernorm(t, map_to_tokens(t, y),
                         ag_param(t, &st->patch_embed_norm_weight),
                         ag_param(t, &st->patch_embed_norm_bias), PATCH_LN_EPS);
        y = ag_keep(t, m, y);
        for (int j = 0; j < cfg->depths[s]; j++) {
            char site[160];
            snprintf(site, sizeof site, "%s.block%d.%d.drop_path", name ? name : "pvt_v2", s + 1, j);
            m = ag_mark(t);
            y = ag_keep(t, m, block(t, cfg, &st->blocks[j], y, H, W, s, pvt_drop_path_rate(cfg, s, j), draws, site));
        }
        /* norm{s+1}, then NCHW: the output res{s+2} and the next stage's input */
        m = ag_mark(t);
        y = ag_layernorm(t, y, ag_param(t, &st->norm_weight),
                         ag_param(t, &st->norm_bias), cfg->norm_eps);
        int p0312[4] = {0, 3, 1, 2};
        y = ag_permute(t, ag_reshape(t, y, 4, (int64_t[4]){B, H, W, D}), p0312);
        x = outs[s] = ag_keep(t, m, y);
    }
    if (t->status != VCT_STATUS_OK)
        return NULL;
    return outs[PVT_STAGES - 1];
}

/* ---- the backbone interface (backbone.h) ---- */

typedef struct pvt_state {
    pvt_config cfg;
    pvt_weights w;
} pvt_state;

static vct_status pvt_configure(void *state, const cJSON *root, const void *cfg, backbone_spec *spec, vct_error *err) {
    pvt_state *s = state;
    if (root)
        VCT_TRY(pvt_config_from_yaml(&s->cfg, root, err));
    else if (cfg)
        s->cfg = *(const pvt_config *)cfg;
    else
        s->cfg = pvt_config_b5();
    VCT_TRY(pvt_config_check(&s->cfg, err));
    spec->n_outs = PVT_STAGES;
    for (int i = 0; i < PVT_STAGES; i++) {
        spec->channels[i] = s->cfg.embed_dims[i];
        spec->strides[i] = 4 << i; /* _out_feature_strides: 4 if i == 0 else 2 ** (i + 2) */
    }
    return VCT_STATUS_OK;
}

static void pvt_register_params(void *state, param_table *pt, const char *prefix, int trainable) {
    pvt_state *s = state;
    pvt_register(pt, prefix, &s->cfg, &s->w, trainable);
}

static ag_var *pvt_fwd(const void *state, ag_tape *t, ag_var *images, draw_source *draws, const char *name,
                       ag_var **outs) {
    const pvt_state *s = state;
    return pvt_forward(t, &s->cfg, &s->w, images, draws, name, outs);
}

const backbone_kind backbone_kind_pvt_v2 = {
    .name = "build_pvtv2_b5_backbone",
    .state_size = sizeof(pvt_state),
    .configure = pvt_configure,
    .register_params = pvt_register_params,
    .check_buffers = NULL,
    .forward = pvt_fwd,
};
