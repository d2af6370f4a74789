/* msdeformattn.c: the VCT pixel decoder; see msdeformattn.h. */
#include "model/msdeformattn.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "autograd/ag_activation.h"
#include "autograd/ag_conv.h"
#include "autograd/ag_interp.h"
#include "autograd/ag_linalg.h"
#include "autograd/ag_norm.h"
#include "autograd/ag_shape.h"
#include "io/yaml.h"
#include "model/position_encoding.h"

#define NF MSDEFORMATTN_N_FEATURES
#define NORM_EPS 1e-5f          /* nn.GroupNorm / nn.LayerNorm default */
#define PE_TEMPERATURE 10000.0f /* PositionEmbeddingSine default */

msdeformattn_config msdeformattn_config_default(const int in_channels[NF]) {
    msdeformattn_config c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < NF; i++) c.in_channels[i] = in_channels[i];
    c.conv_dim = 256;
    c.mask_dim = 256;
    c.n_heads = 8;
    c.n_points = 4;
    c.dim_feedforward = 1024;
    c.enc_layers = 6;
    c.n_levels = 3;
    c.n_fpn = 1;
    c.gn_groups = 32;
    return c;
}

msda_module_config msdeformattn_attn_config(const msdeformattn_config *cfg) {
    msda_module_config m = {cfg->conv_dim, cfg->n_levels, cfg->n_heads, cfg->n_points};
    return m;
}

vct_status msdeformattn_config_check(const msdeformattn_config *cfg, vct_error *err) {
    for (int i = 0; i < NF; i++)
        if (cfg->in_channels[i] < 1)
            return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "pixel decoder: res%d has %d channels", i + 2,
                            cfg->in_channels[i]);
    if (cfg->n_levels < 2 || cfg->n_fpn < 0 || cfg->n_levels + cfg->n_fpn > NF ||
        cfg->n_levels + cfg->n_fpn < MSDEFORMATTN_N_MS)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED,
                        "pixel decoder: %d transformer levels and %d FPN levels (need 2..4 levels, at least %d outputs, "
                        "at most %d features)",
                        cfg->n_levels, cfg->n_fpn, MSDEFORMATTN_N_MS, NF);
    if (cfg->enc_layers < 0 || cfg->enc_layers > MSDEFORMATTN_MAX_ENC_LAYERS || cfg->dim_feedforward < 1 ||
        cfg->mask_dim < 1 || cfg->gn_groups < 1 || cfg->conv_dim < 1 || cfg->conv_dim % cfg->gn_groups != 0)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "pixel decoder: %d encoder layers (0..%d), feedforward %d, mask_dim %d, conv_dim %d with %d "
                        "groups (must divide it)",
                        cfg->enc_layers, MSDEFORMATTN_MAX_ENC_LAYERS, cfg->dim_feedforward, cfg->mask_dim, cfg->conv_dim,
                        cfg->gn_groups);
    msda_module_config m = msdeformattn_attn_config(cfg);
    VCT_TRY(msda_module_config_check(&m, err));
    return VCT_STATUS_OK;
}

/* index of "resN" (N = 2..5) as 0..3, or -1 */
static int res_index(const char *s) {
    if (s && strlen(s) == 4 && strncmp(s, "res", 3) == 0 && s[3] >= '2' && s[3] <= '5') return s[3] - '2';
    return -1;
}

/* a list of "resN" names into indices; n receives the count */
static vct_status res_list(const cJSON *root, const char *key, int *idx, int *n, vct_error *err) {
    const cJSON *a = yaml_get(root, key);
    if (!cJSON_IsArray(a)) return vct_fail(err, VCT_STATUS_FORMAT, "config: %s is missing or not a list", key);
    *n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a) {
        int r = cJSON_IsString(e) ? res_index(e->valuestring) : -1;
        if (r < 0 || *n >= NF)
            return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config: %s: entry %d is not one of res2..res5", key, *n);
        idx[(*n)++] = r;
    }
    return VCT_STATUS_OK;
}

vct_status msdeformattn_config_from_yaml(msdeformattn_config *cfg, const cJSON *root, const int in_channels[NF],
                                         vct_error *err) {
    *cfg = msdeformattn_config_default(in_channels);
    long v;
    double d;
    const char *s;
    VCT_TRY(yaml_get_int(root, "MODEL.SEM_SEG_HEAD.CONVS_DIM", &v, err));
    cfg->conv_dim = (int)v;
    VCT_TRY(yaml_get_int(root, "MODEL.SEM_SEG_HEAD.MASK_DIM", &v, err));
    cfg->mask_dim = (int)v;
    VCT_TRY(yaml_get_int(root, "MODEL.SEM_SEG_HEAD.TRANSFORMER_ENC_LAYERS", &v, err));
    cfg->enc_layers = (int)v;
    VCT_TRY(yaml_get_int(root, "MODEL.MASK_FORMER.NHEADS", &v, err));
    cfg->n_heads = (int)v;
    VCT_TRY(yaml_get_double(root, "MODEL.MASK_FORMER.DROPOUT", &d, err));
    if (d != 0.0)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config: MODEL.MASK_FORMER.DROPOUT %g (only 0 is supported)", d);
    VCT_TRY(yaml_get_str(root, "MODEL.SEM_SEG_HEAD.NORM", &s, err));
    if (strcmp(s, "GN") != 0)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config: MODEL.SEM_SEG_HEAD.NORM '%s' (only GN is supported)", s);
    int in_idx[NF], tr_idx[NF], n_in, n_tr;
    VCT_TRY(res_list(root, "MODEL.SEM_SEG_HEAD.IN_FEATURES", in_idx, &n_in, err));
    VCT_TRY(res_list(root, "MODEL.SEM_SEG_HEAD.DEFORMABLE_TRANSFORMER_ENCODER_IN_FEATURES", tr_idx, &n_tr, err));
    int ok = n_in == NF;
    for (int i = 0; ok && i < NF; i++) ok = in_idx[i] == i;
    if (!ok)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config: MODEL.SEM_SEG_HEAD.IN_FEATURES must be res2..res5");
    /* the transformer features, sorted by stride, must be a suffix res{k}..res5 */
    int seen[NF] = {0}, lo = NF;
    for (int i = 0; i < n_tr; i++) {
        if (seen[tr_idx[i]]++) n_tr = -1;
        if (tr_idx[i] < lo) lo = tr_idx[i];
    }
    if (n_tr < 2 || lo != NF - n_tr)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED,
                        "config: DEFORMABLE_TRANSFORMER_ENCODER_IN_FEATURES must be res{k}..res5 with k <= 4");
    cfg->n_levels = n_tr;
    VCT_TRY(yaml_get_int(root, "MODEL.SEM_SEG_HEAD.COMMON_STRIDE", &v, err));
    /* num_fpn_levels = log2(min transformer stride) - log2(common_stride); stride of res{k} = 2^k */
    int lc = -1;
    for (int k = 0; k < 8; k++)
        if (v == (1L << k)) lc = k;
    if (lc < 0 || lo + 2 < lc)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config: MODEL.SEM_SEG_HEAD.COMMON_STRIDE %ld", v);
    cfg->n_fpn = lo + 2 - lc;
    return msdeformattn_config_check(cfg, err);
}

typedef struct reg_ctx {
    param_table *pt;
    const char *prefix;
    int trainable;
} reg_ctx;

/* register "<prefix><fmt...>" with shape (a, b, c, d)[:nd] */
static void reg(const reg_ctx *r, param_kind kind, param_tensor *p, int nd, int64_t a, int64_t b, int64_t c,
                int64_t d, const char *fmt, ...) VCT_PRINTF(9, 10);
static void reg(const reg_ctx *r, param_kind kind, param_tensor *p, int nd, int64_t a, int64_t b, int64_t c,
                int64_t d, const char *fmt, ...) {
    char name[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    int64_t shape[4] = {a, b, c, d};
    param_add(r->pt, r->prefix, name, nd, shape, r->trainable, kind, p);
}

void msdeformattn_register(param_table *pt, const char *prefix, const msdeformattn_config *cfg,
                           msdeformattn_weights *w, int trainable) {
    vct_error e;
    if (msdeformattn_config_check(cfg, &e) != VCT_STATUS_OK) {
        if (pt->status == VCT_STATUS_OK) {
            pt->status = e.status;
            pt->err = e;
        }
        return;
    }
    reg_ctx r = {pt, prefix, trainable};
    int64_t C = cfg->conv_dim, L = cfg->n_levels, F = cfg->dim_feedforward;
#define W(field) PARAM_KIND_WEIGHT, &w->field /* Conv2d, Linear, the bare transformer.level_embed Parameter */
#define N(field) PARAM_KIND_NORM, &w->field   /* GroupNorm: input_proj.{l}.1, adapter/layer .norm */
    for (int l = 0; l < L; l++) {
        int64_t cin = cfg->in_channels[NF - 1 - l];
        reg(&r, W(input_proj_0_weight[l]), 4, C, cin, 1, 1, "input_proj.%d.0.weight", l);
        reg(&r, W(input_proj_0_bias[l]), 1, C, 0, 0, 0, "input_proj.%d.0.bias", l);
        reg(&r, N(input_proj_1_weight[l]), 1, C, 0, 0, 0, "input_proj.%d.1.weight", l);
        reg(&r, N(input_proj_1_bias[l]), 1, C, 0, 0, 0, "input_proj.%d.1.bias", l);
    }
    reg(&r, W(transformer_level_embed), 2, L, C, 0, 0, "transformer.level_embed");
    msda_module_config mc = msdeformattn_attn_config(cfg);
    for (int i = 0; i < cfg->enc_layers; i++) {
        char sub[320];
        snprintf(sub, sizeof sub, "%stransformer.encoder.layers.%d.self_attn.", prefix, i);
        msda_module_register(pt, sub, &mc, &w->layers[i].self_attn, trainable);
        msdeformattn_layer_weights *y = &w->layers[i];
        const char *lp = "transformer.encoder.layers";
#define Y(field) PARAM_KIND_WEIGHT, &y->field
#define YN(field) PARAM_KIND_NORM, &y->field /* LayerNorm */
        reg(&r, YN(norm1_weight), 1, C, 0, 0, 0, "%s.%d.norm1.weight", lp, i);
        reg(&r, YN(norm1_bias), 1, C, 0, 0, 0, "%s.%d.norm1.bias", lp, i);
        reg(&r, Y(linear1_weight), 2, F, C, 0, 0, "%s.%d.linear1.weight", lp, i);
        reg(&r, Y(linear1_bias), 1, F, 0, 0, 0, "%s.%d.linear1.bias", lp, i);
        reg(&r, Y(linear2_weight), 2, C, F, 0, 0, "%s.%d.linear2.weight", lp, i);
        reg(&r, Y(linear2_bias), 1, C, 0, 0, 0, "%s.%d.linear2.bias", lp, i);
        reg(&r, YN(norm2_weight), 1, C, 0, 0, 0, "%s.%d.norm2.weight", lp, i);
        reg(&r, YN(norm2_bias), 1, C, 0, 0, 0, "%s.%d.norm2.bias", lp, i);
#undef Y
#undef YN
    }
    reg(&r, W(mask_features_weight), 4, cfg->mask_dim, C, 1, 1, "mask_features.weight");
    reg(&r, W(mask_features_bias), 1, cfg->mask_dim, 0, 0, 0, "mask_features.bias");
    for (int f = 0; f < cfg->n_fpn; f++) {
        reg(&r, W(adapter_weight[f]), 4, C, cfg->in_channels[f], 1, 1, "adapter_%d.weight", f + 1);
        reg(&r, N(adapter_norm_weight[f]), 1, C, 0, 0, 0, "adapter_%d.norm.weight", f + 1);
        reg(&r, N(adapter_norm_bias[f]), 1, C, 0, 0, 0, "adapter_%d.norm.bias", f + 1);
        reg(&r, W(layer_weight[f]), 4, C, C, 3, 3, "layer_%d.weight", f + 1);
        reg(&r, N(layer_norm_weight[f]), 1, C, 0, 0, 0, "layer_%d.norm.weight", f + 1);
        reg(&r, N(layer_norm_bias[f]), 1, C, 0, 0, 0, "layer_%d.norm.bias", f + 1);
    }
#undef W
#undef N
}

/* ---- forward ---- */

/* [B, C, H, W] -> tokens [B, H*W, C] (flatten(2).transpose(1, 2)) */
static ag_var *to_tokens(ag_tape *t, ag_var *x) {
    if (!x) return NULL;
    int64_t s3[3] = {x->shape[0], x->shape[1], x->shape[2] * x->shape[3]};
    int perm[3] = {0, 2, 1};
    return ag_permute(t, ag_reshape(t, x, 3, s3), perm);
}

/* Constants of the encoder on the tape's arena: the sine positions of every level as
 * tokens [S, C] and the reference points [S, L, 2]. */
static vct_status encoder_constants(ag_tape *t, const msdeformattn_config *cfg, const int64_t *shapes,
                                    const int64_t *starts, int64_t S, float **pos_out, float **ref_out) {
    int64_t C = cfg->conv_dim, L = cfg->n_levels;
    float *pos = arena_alloc(t->mem, (size_t)(S * C) * sizeof(float));
    float *ref = arena_alloc(t->mem, (size_t)(S * L * 2) * sizeof(float));
    if (!pos || !ref) return vct_fail(&t->err, VCT_STATUS_NO_MEMORY, "pixel decoder: arena full (positions)");
    for (int64_t l = 0; l < L; l++) {
        int64_t H = shapes[2 * l], W = shapes[2 * l + 1], HW = H * W;
        arena *ar = t->scratch ? t->scratch : t->mem;
        size_t mark = arena_mark(ar);
        float *chw = arena_alloc(ar, (size_t)(C * HW) * sizeof(float));
        if (!chw) return vct_fail(&t->err, VCT_STATUS_NO_MEMORY, "pixel decoder: arena full (positions)");
        vct_status st = position_embedding_sine(chw, H, W, C / 2, PE_TEMPERATURE, &t->err);
        if (st != VCT_STATUS_OK) return st;
        for (int64_t c = 0; c < C; c++)
            for (int64_t i = 0; i < HW; i++) pos[(starts[l] + i) * C + c] = chw[c * HW + i];
        arena_rewind(ar, mark);
        /* ref: linspace(0.5, n - 0.5, n) (exactly k + 0.5) / (valid ratio 1 * n), fp32, (x, y)
         * (ref: msdeformattn.py get_reference_points); the same point for every sampled level */
        for (int64_t r = 0; r < H; r++)
            for (int64_t c = 0; c < W; c++) {
                float rx = ((float)c + 0.5f) / (float)W, ry = ((float)r + 0.5f) / (float)H;
                float *p = ref + (starts[l] + r * W + c) * L * 2;
                for (int64_t k = 0; k < L; k++) {
                    p[2 * k] = rx;
                    p[2 * k + 1] = ry;
                }
            }
    }
    *pos_out = pos;
    *ref_out = ref;
    return VCT_STATUS_OK;
}

/* MSDeformAttnTransformerEncoderLayer.forward (post-norm, dropout 0) */
static ag_var *encoder_layer(ag_tape *t, const msdeformattn_config *cfg, const msdeformattn_layer_weights *w,
                             ag_var *x, ag_var *pos, ag_var *ref, const int64_t *shapes, const int64_t *starts) {
    msda_module_config mc = msdeformattn_attn_config(cfg);
    ag_var *q = ag_badd(t, x, pos); /* with_pos_embed */
    ag_var *a = msda_module_forward(t, &mc, &w->self_attn, q, ref, x, shapes, starts);
    x = ag_layernorm(t, ag_add(t, x, a), ag_param(t, &w->norm1_weight), ag_param(t, &w->norm1_bias), NORM_EPS);
    ag_var *h = ag_relu(t, ag_linear(t, x, ag_param(t, &w->linear1_weight), ag_param(t, &w->linear1_bias)));
    h = ag_linear(t, h, ag_param(t, &w->linear2_weight), ag_param(t, &w->linear2_bias));
    return ag_layernorm(t, ag_add(t, x, h), ag_param(t, &w->norm2_weight), ag_param(t, &w->norm2_bias), NORM_EPS);
}

ag_var *msdeformattn_forward(ag_tape *t, const msdeformattn_config *cfg, const msdeformattn_weights *w,
                             ag_var *const *feats, msdeformattn_outputs *out) {
    memset(out, 0, sizeof *out);
    if (t->status != VCT_STATUS_OK) return NULL;
    vct_status st = msdeformattn_config_check(cfg, &t->err);
    if (st != VCT_STATUS_OK) return ag_fail(t, st, "%s", t->err.msg);
    for (int i = 0; i < NF; i++) {
        if (!feats[i]) return ag_fail(t, VCT_STATUS_INVALID_ARGUMENT, "pixel decoder: res%d missing", i + 2);
        char a[96];
        if (!ag_check(t, feats[i]->ndim == 4 && feats[i]->shape[0] == feats[0]->shape[0] &&
                             feats[i]->shape[1] == cfg->in_channels[i] && feats[i]->shape[2] >= 1 &&
                             feats[i]->shape[3] >= 1,
                      "pixel decoder", "res%d is %s (expected [B, %d, H, W], B as res2)", i + 2,
                      shape_str(feats[i]->ndim, feats[i]->shape, a, sizeof a), cfg->in_channels[i]))
            return NULL;
    }
    int64_t C = cfg->conv_dim, L = cfg->n_levels, G = cfg->gn_groups, S = 0;
    /* level l reads feature NF-1-l (res5 first) */
    for (int64_t l = 0; l < L; l++) {
        const ag_var *f = feats[NF - 1 - l];
        out->spatial_shapes[2 * l] = f->shape[2];
        out->spatial_shapes[2 * l + 1] = f->shape[3];
        out->level_start_index[l] = S;
        S += f->shape[2] * f->shape[3];
    }
    const int64_t *shapes = out->spatial_shapes, *starts = out->level_start_index;

    /* constants and the position + level embedding [1, S, C] (kept for the whole forward) */
    float *pos_data = NULL, *ref_data = NULL;
    st = encoder_constants(t, cfg, shapes, starts, S, &pos_data, &ref_data);
    if (st != VCT_STATUS_OK) return ag_fail(t, st, "%s", t->err.msg);
    int64_t rshape[4] = {1, S, L, 2};
    ag_var *ref = ag_leaf(t, ref_data, NULL, 4, rshape, 0);
    ag_var *level_embed = ag_param(t, &w->transformer_level_embed);
    ag_var *lvl_pos[NF];
    for (int64_t l = 0; l < L; l++) {
        int64_t HW = shapes[2 * l] * shapes[2 * l + 1], pshape[3] = {1, HW, C};
        ag_var *p = ag_leaf(t, pos_data + starts[l] * C, NULL, 3, pshape, 0);
        lvl_pos[l] = ag_badd(t, p, ag_slice(t, level_embed, 0, l, 1)); /* pos + level_embed[l].view(1,1,-1) */
    }
    ag_var *pos = ag_concat(t, lvl_pos, (int)L, 1);

    /* input projections, flattened and concatenated: x [B, S, C] */
    size_t m0 = ag_mark(t);
    ag_var *src[NF];
    for (int64_t l = 0; l < L; l++) {
        int f = NF - 1 - (int)l;
        ag_var *y = ag_conv2d(t, feats[f], ag_param(t, &w->input_proj_0_weight[l]),
                              ag_param(t, &w->input_proj_0_bias[l]), 1, 0, 1, 1);
        y = ag_groupnorm(t, y, ag_param(t, &w->input_proj_1_weight[l]), ag_param(t, &w->input_proj_1_bias[l]), G, NORM_EPS);
        src[l] = to_tokens(t, y);
    }
    ag_var *x = ag_keep(t, m0, ag_concat(t, src, (int)L, 1));

    /* encoder */
    for (int i = 0; i < cfg->enc_layers; i++) {
        size_t m = ag_mark(t);
        x = ag_keep(t, m, encoder_layer(t, cfg, &w->layers[i], x, pos, ref, shapes, starts));
    }

    /* split back into the levels: out[l] [B, C, H_l, W_l] */
    ag_var *outs[NF] = {0};
    int n_out = 0;
    for (int64_t l = 0; l < L; l++) {
        int64_t H = shapes[2 * l], W = shapes[2 * l + 1], B = feats[0]->shape[0];
        int perm[3] = {0, 2, 1};
        int64_t s4[4] = {B, C, H, W};
        ag_var *z = ag_permute(t, ag_slice(t, x, 1, starts[l], H * W), perm);
        outs[n_out++] = ag_reshape(t, z, 4, s4);
    }

    /* FPN levels, coarse to fine: feature n_fpn-1 down to 0 */
    for (int f = cfg->n_fpn - 1; f >= 0; f--) {
        size_t m = ag_mark(t);
        ag_var *lat = ag_conv2d(t, feats[f], ag_param(t, &w->adapter_weight[f]), NULL, 1, 0, 1,
                                1);
        lat = ag_groupnorm(t, lat, ag_param(t, &w->adapter_norm_weight[f]), ag_param(t, &w->adapter_norm_bias[f]), G, NORM_EPS);
        /* y = cur_fpn + F.interpolate(out[-1], size=cur_fpn.shape[-2:], bilinear, align_corners=False) */
        ag_var *y = lat ? ag_add(t, lat, ag_interpolate_bilinear(t, outs[n_out - 1], lat->shape[2], lat->shape[3], 0))
                        : NULL;
        y = ag_conv2d(t, y, ag_param(t, &w->layer_weight[f]), NULL, 1, 1, 1, 1);
        y = ag_groupnorm(t, y, ag_param(t, &w->layer_norm_weight[f]), ag_param(t, &w->layer_norm_bias[f]), G, NORM_EPS);
        outs[n_out++] = ag_keep(t, m, ag_relu(t, y));
    }
    for (int k = 0; k < MSDEFORMATTN_N_MS; k++) out->multi_scale_features[k] = outs[k];
    out->mask_features =
        ag_conv2d(t, outs[n_out - 1], ag_param(t, &w->mask_features_weight),
                  ag_param(t, &w->mask_features_bias), 1, 0, 1, 1);
    if (t->status != VCT_STATUS_OK) {
        memset(out->multi_scale_features, 0, sizeof out->multi_scale_features);
        out->mask_features = NULL;
        return NULL;
    }
    return out->mask_features;
}
