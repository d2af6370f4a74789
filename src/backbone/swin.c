/* swin.c: SwinTransformer of models/modeling/backbone/swinb.py (config,
 * parameters, PatchEmbed, BasicLayer, PatchMerging, output norms); the block and
 * window attention are in swin_block.c. See swin.h for the architecture. */
#include "backbone/swin.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "autograd/ag_conv.h"
#include "autograd/ag_linalg.h"
#include "autograd/ag_norm.h"
#include "autograd/ag_shape.h"
#include "io/yaml.h"

swin_config swin_config_default(void) {
    swin_config c = {.patch_size = 4,
                     .in_chans = 3,
                     .embed_dim = 128,
                     .n_stages = 4,
                     .depths = {2, 2, 18, 2},
                     .num_heads = {4, 8, 16, 32},
                     .window_size = 12,
                     .mlp_ratio = 4.0,
                     .qkv_bias = 1,
                     .patch_norm = 1,
                     .drop_path_rate = 0.3};
    return c;
}

int swin_stage_dim(const swin_config *cfg, int s) { return cfg->embed_dim << s; }

static int mlp_hidden(const swin_config *cfg, int D) { return (int)((double)D * cfg->mlp_ratio); }

vct_status swin_config_check(const swin_config *c, vct_error *err) {
    if (c->patch_size < 1 || c->in_chans < 1 || c->embed_dim < 1 || c->window_size < 1)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "swin: patch %d, in_chans %d, embed %d, window %d must be >= 1",
                        c->patch_size, c->in_chans, c->embed_dim, c->window_size);
    if (c->n_stages < 1 || c->n_stages > SWIN_MAX_STAGES)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "swin: %d stages (1..%d supported)", c->n_stages, SWIN_MAX_STAGES);
    if ((int64_t)c->embed_dim << (c->n_stages - 1) > (1 << 20))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "swin: embed dim %d too large", c->embed_dim);
    if (!(c->mlp_ratio > 0) || mlp_hidden(c, c->embed_dim) < 1)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "swin: MLP ratio %g", c->mlp_ratio);
    if (!(c->drop_path_rate >= 0 && c->drop_path_rate < 1))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "swin: drop path rate %g not in [0, 1)", c->drop_path_rate);
    for (int s = 0; s < c->n_stages; s++) {
        if (c->depths[s] < 1 || c->depths[s] > SWIN_MAX_DEPTH)
            return vct_fail(err, VCT_STATUS_UNSUPPORTED, "swin: stage %d has %d blocks (1..%d supported)", s,
                            c->depths[s], SWIN_MAX_DEPTH);
        if (c->num_heads[s] < 1 || swin_stage_dim(c, s) % c->num_heads[s] != 0)
            return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "swin: stage %d: %d channels, %d heads", s,
                            swin_stage_dim(c, s), c->num_heads[s]);
    }
    return VCT_STATUS_OK;
}

/* a boolean key; absent -> def */
static vct_status yaml_bool(const cJSON *root, const char *key, int def, int *out, vct_error *err) {
    const cJSON *n = yaml_get(root, key);
    if (!n) {
        *out = def;
        return VCT_STATUS_OK;
    }
    if (!cJSON_IsBool(n)) return vct_fail(err, VCT_STATUS_FORMAT, "config %s: expected true or false", key);
    *out = cJSON_IsTrue(n);
    return VCT_STATUS_OK;
}

vct_status swin_config_from_yaml(swin_config *cfg, const cJSON *root, vct_error *err) {
    swin_config c = swin_config_default();
    long v, depths[SWIN_MAX_STAGES + 1], heads[SWIN_MAX_STAGES + 1];
    int nd = 0, nh = 0, ape = 0, adapter = 0;
    double drop = 0, attn_drop = 0;
    VCT_TRY(yaml_get_int(root, "MODEL.SWIN.EMBED_DIM", &v, err));
    c.embed_dim = (int)v;
    VCT_TRY(yaml_get_int(root, "MODEL.SWIN.PATCH_SIZE", &v, err));
    c.patch_size = (int)v;
    VCT_TRY(yaml_get_int(root, "MODEL.SWIN.WINDOW_SIZE", &v, err));
    c.window_size = (int)v;
    VCT_TRY(yaml_get_double(root, "MODEL.SWIN.MLP_RATIO", &c.mlp_ratio, err));
    VCT_TRY(yaml_get_double(root, "MODEL.SWIN.DROP_PATH_RATE", &c.drop_path_rate, err));
    VCT_TRY(yaml_get_double(root, "MODEL.SWIN.DROP_RATE", &drop, err));
    VCT_TRY(yaml_get_double(root, "MODEL.SWIN.ATTN_DROP_RATE", &attn_drop, err));
    VCT_TRY(yaml_get_int_list(root, "MODEL.SWIN.DEPTHS", depths, SWIN_MAX_STAGES + 1, &nd, err));
    VCT_TRY(yaml_get_int_list(root, "MODEL.SWIN.NUM_HEADS", heads, SWIN_MAX_STAGES + 1, &nh, err));
    VCT_TRY(yaml_bool(root, "MODEL.SWIN.QKV_BIAS", 1, &c.qkv_bias, err));
    VCT_TRY(yaml_bool(root, "MODEL.SWIN.PATCH_NORM", 1, &c.patch_norm, err));
    VCT_TRY(yaml_bool(root, "MODEL.SWIN.APE", 0, &ape, err));
    VCT_TRY(yaml_bool(root, "MODEL.SWIN.USE_ADAPTER", 0, &adapter, err));
    const cJSON *qk = yaml_get(root, "MODEL.SWIN.QK_SCALE");
    if (ape) return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config MODEL.SWIN.APE: absolute position embedding is not supported");
    if (adapter) return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config MODEL.SWIN.USE_ADAPTER: the adapter variant is not supported");
    if (qk && !cJSON_IsNull(qk))
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config MODEL.SWIN.QK_SCALE: only null (head_dim^-0.5) is supported");
    if (drop != 0 || attn_drop != 0)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config MODEL.SWIN.DROP_RATE %g / ATTN_DROP_RATE %g: only 0 is supported",
                        drop, attn_drop);
    if (nd != nh || nd < 1 || nd > SWIN_MAX_STAGES)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config MODEL.SWIN: %d depths and %d head counts (1..%d stages)", nd,
                        nh, SWIN_MAX_STAGES);
    c.n_stages = nd;
    for (int s = 0; s < nd; s++) {
        c.depths[s] = (int)depths[s];
        c.num_heads[s] = (int)heads[s];
    }
    VCT_TRY(swin_config_check(&c, err));
    *cfg = c;
    return VCT_STATUS_OK;
}

/* torch.linspace(0, rate, n, dtype=float32) on the CPU, as Debian's torch 1.13.1
 * (AVX2 kernels, built with FP contraction) computes it; matched on every element
 * for n = 1..128 and several rates (tests/backbone/test_swin.c checks n <= 64):
 *   step = (end - start) / (n - 1) in float;
 *   element k (scalar path): k < n/2 ? fma(step, k, start) : fma(-step, n-1-k, end);
 *   while 16 or more elements remain the kernel writes pairs of 8-lane vectors
 *   instead: base = the scalar rule at the vector's first index v, lane j =
 *   base + fl(j * step) (two roundings). */
double swin_drop_path_rate(const swin_config *cfg, int s, int j) {
    int64_t n = 0, k = 0;
    for (int i = 0; i < cfg->n_stages; i++) {
        if (i == s) k = n + j;
        n += cfg->depths[i];
    }
    const float start = 0.0f, end = (float)cfg->drop_path_rate;
    if (n == 1) return start;
    const float step = (end - start) / (float)(n - 1);
    const int64_t half = n / 2, vec = 8, vec_end = n / (2 * vec) * (2 * vec);
    float r;
    if (k < vec_end) {
        const int64_t v0 = k / vec * vec;
        const float base = v0 < half ? fmaf(step, (float)v0, start) : fmaf(-step, (float)(n - 1 - v0), end);
        const float lane = (float)(k - v0) * step;
        r = base + lane;
    } else {
        r = k < half ? fmaf(step, (float)k, start) : fmaf(-step, (float)(n - 1 - k), end);
    }
    return (double)r;
}

void swin_relative_position_index(int64_t *idx, int ws) {
    const int64_t N = (int64_t)ws * ws, M = 2 * ws - 1;
    for (int64_t i = 0; i < N; i++)
        for (int64_t j = 0; j < N; j++)
            idx[i * N + j] = (i / ws - j / ws + ws - 1) * M + (i % ws - j % ws + ws - 1);
}

vct_status swin_check_buffers(const tensor_dict *sd, const char *prefix, const swin_config *cfg, vct_error *err) {
    const int ws = cfg->window_size;
    const int64_t N = (int64_t)ws * ws, M = 2 * ws - 1;
    char name[256];
    for (int s = 0; s < cfg->n_stages; s++)
        for (int j = 0; j < cfg->depths[s]; j++) {
            snprintf(name, sizeof name, "%slayers.%d.blocks.%d.attn.relative_position_index", prefix, s, j);
            const tensor *x = tensor_dict_find(sd, name);
            char got[96];
            if (!x) return vct_fail(err, VCT_STATUS_FORMAT, "tensor '%s' is missing", name);
            if (x->ndim != 2 || x->shape[0] != N || x->shape[1] != N ||
                !(x->dtype == VCT_DTYPE_I64 || x->dtype == VCT_DTYPE_I32))
                return vct_fail(err, VCT_STATUS_SHAPE, "tensor '%s': %s %s, expected I64 [%lld,%lld] (window %d)", name,
                                dtype_name(x->dtype), shape_str(x->ndim, x->shape, got, sizeof got), (long long)N,
                                (long long)N, ws);
            for (int64_t i = 0; i < N; i++)
                for (int64_t k = 0; k < N; k++) {
                    int64_t want = (i / ws - k / ws + ws - 1) * M + (i % ws - k % ws + ws - 1);
                    int64_t have = (int64_t)dtype_get_f64(x->data, x->dtype, i * N + k);
                    if (have != want)
                        return vct_fail(err, VCT_STATUS_FORMAT,
                                        "tensor '%s' [%lld,%lld] = %lld, but the relative position index computed for "
                                        "window %d is %lld: this checkpoint's window attention is not the one "
                                        "implemented here",
                                        name, (long long)i, (long long)k, (long long)have, ws, (long long)want);
                }
        }
    return VCT_STATUS_OK;
}

/* ---- registration ---- */

typedef struct reg {
    param_table *pt;
    const char *prefix;
    int trainable;
} reg;

static void add(const reg *r, const char *name, int ndim, const int64_t *shape, param_kind kind, param_tensor *p) {
    param_add(r->pt, r->prefix, name, ndim, shape, r->trainable, kind, p);
}

#define ADD(name, nd, shape, kind, obj, field) add(&r, name, nd, shape, PARAM_KIND_##kind, &(obj)->field)

static void register_block(const reg *rr, const swin_config *cfg, int s, int j, swin_block_weights *b) {
    char base[96], n[160];
    snprintf(base, sizeof base, "layers.%d.blocks.%d.", s, j);
    const reg r = *rr;
    const int64_t D = swin_stage_dim(cfg, s), F = mlp_hidden(cfg, (int)D), M = 2 * cfg->window_size - 1;
    const int64_t sD[1] = {D}, sT[2] = {M * M, cfg->num_heads[s]}, sQ[2] = {3 * D, D}, sQb[1] = {3 * D};
    const int64_t sP[2] = {D, D}, s1[2] = {F, D}, sF[1] = {F}, s2[2] = {D, F};
#define B_ADD(suffix, nd, shape, kind, field)                                                                          \
    (snprintf(n, sizeof n, "%s%s", base, suffix), add(&r, n, nd, shape, PARAM_KIND_##kind, &b->field))
    B_ADD("norm1.weight", 1, sD, NORM, norm1_weight);
    B_ADD("norm1.bias", 1, sD, NORM, norm1_bias);
    B_ADD("attn.relative_position_bias_table", 2, sT, WEIGHT, attn_relative_position_bias_table);
    B_ADD("attn.qkv.weight", 2, sQ, WEIGHT, attn_qkv_weight);
    if (cfg->qkv_bias) B_ADD("attn.qkv.bias", 1, sQb, WEIGHT, attn_qkv_bias);
    B_ADD("attn.proj.weight", 2, sP, WEIGHT, attn_proj_weight);
    B_ADD("attn.proj.bias", 1, sD, WEIGHT, attn_proj_bias);
    B_ADD("norm2.weight", 1, sD, NORM, norm2_weight);
    B_ADD("norm2.bias", 1, sD, NORM, norm2_bias);
    B_ADD("mlp.fc1.weight", 2, s1, WEIGHT, mlp_fc1_weight);
    B_ADD("mlp.fc1.bias", 1, sF, WEIGHT, mlp_fc1_bias);
    B_ADD("mlp.fc2.weight", 2, s2, WEIGHT, mlp_fc2_weight);
    B_ADD("mlp.fc2.bias", 1, sD, WEIGHT, mlp_fc2_bias);
#undef B_ADD
}

void swin_register(param_table *pt, const char *prefix, const swin_config *cfg, swin_weights *w, int trainable) {
    if (pt->status != VCT_STATUS_OK) return;
    vct_error e;
    if (swin_config_check(cfg, &e) != VCT_STATUS_OK) {
        pt->status = vct_fail(&pt->err, e.status, "%s: %s", prefix, e.msg);
        return;
    }
    memset(w, 0, sizeof *w);
    const reg r = {pt, prefix, trainable};
    const int64_t E = cfg->embed_dim, P = cfg->patch_size;
    const int64_t sPW[4] = {E, cfg->in_chans, P, P}, sE[1] = {E};
    ADD("patch_embed.proj.weight", 4, sPW, WEIGHT, w, patch_embed_proj_weight);
    ADD("patch_embed.proj.bias", 1, sE, WEIGHT, w, patch_embed_proj_bias);
    if (cfg->patch_norm) {
        ADD("patch_embed.norm.weight", 1, sE, NORM, w, patch_embed_norm_weight);
        ADD("patch_embed.norm.bias", 1, sE, NORM, w, patch_embed_norm_bias);
    }
    for (int s = 0; s < cfg->n_stages; s++) {
        swin_layer_weights *l = &w->layers[s];
        for (int j = 0; j < cfg->depths[s]; j++) register_block(&r, cfg, s, j, &l->blocks[j]);
        if (s < cfg->n_stages - 1) {
            const int64_t D = swin_stage_dim(cfg, s), sR[2] = {2 * D, 4 * D}, s4[1] = {4 * D};
            char n[96];
            snprintf(n, sizeof n, "layers.%d.downsample.reduction.weight", s);
            add(&r, n, 2, sR, PARAM_KIND_WEIGHT, &l->downsample_reduction_weight);
            snprintf(n, sizeof n, "layers.%d.downsample.norm.weight", s);
            add(&r, n, 1, s4, PARAM_KIND_NORM, &l->downsample_norm_weight);
            snprintf(n, sizeof n, "layers.%d.downsample.norm.bias", s);
            add(&r, n, 1, s4, PARAM_KIND_NORM, &l->downsample_norm_bias);
        }
    }
    for (int s = 0; s < cfg->n_stages; s++) {
        const int64_t sD[1] = {swin_stage_dim(cfg, s)};
        char n[32];
        snprintf(n, sizeof n, "norm%d.weight", s);
        add(&r, n, 1, sD, PARAM_KIND_NORM, &w->norm_weight[s]);
        snprintf(n, sizeof n, "norm%d.bias", s);
        add(&r, n, 1, sD, PARAM_KIND_NORM, &w->norm_bias[s]);
    }
}

/* ---- forward ---- */

/* PatchEmbed: [B, Cin, H, W] -> tokens [B, Wh*Ww, E] (after its norm) */
static ag_var *patch_embed(ag_tape *t, const swin_config *cfg, const swin_weights *w, ag_var *x, int64_t *Wh,
                           int64_t *Ww) {
    const int64_t E = cfg->embed_dim, P = cfg->patch_size, B = x->shape[0], H = x->shape[2], W = x->shape[3];
    x = ag_pad(t, x, 3, 0, (P - W % P) % P); /* F.pad right, then bottom */
    x = ag_pad(t, x, 2, 0, (P - H % P) % P);
    x = ag_conv2d(t, x, ag_param(t, &w->patch_embed_proj_weight),
                  ag_param(t, &w->patch_embed_proj_bias), P, 0, 1, 1);
    if (!x) return NULL;
    *Wh = x->shape[2];
    *Ww = x->shape[3];
    int p021[3] = {0, 2, 1};
    x = ag_permute(t, ag_reshape(t, x, 3, (int64_t[3]){B, E, *Wh * *Ww}), p021); /* flatten(2).transpose(1, 2) */
    if (cfg->patch_norm)
        x = ag_layernorm(t, x, ag_param(t, &w->patch_embed_norm_weight),
                         ag_param(t, &w->patch_embed_norm_bias), 1e-5f);
    return x;
}

/* PatchMerging: [B, H*W, D] -> [B, ceil(H/2)*ceil(W/2), 2D] */
static ag_var *patch_merging(ag_tape *t, const swin_layer_weights *l, ag_var *x, int64_t H, int64_t W, int64_t D) {
    const int64_t B = x->shape[0], H2 = (H + 1) / 2, W2 = (W + 1) / 2;
    x = ag_reshape(t, x, 4, (int64_t[4]){B, H, W, D});
    x = ag_pad(t, ag_pad(t, x, 2, 0, W % 2), 1, 0, H % 2);
    /* [B, H2, hi, W2, wi, D] -> [B, H2, W2, wi, hi, D]: channel block 2*wi + hi is
     * x0 (even row, even col), x1 (odd, even), x2 (even, odd), x3 (odd, odd) */
    int perm[6] = {0, 1, 3, 4, 2, 5};
    x = ag_permute(t, ag_reshape(t, x, 6, (int64_t[6]){B, H2, 2, W2, 2, D}), perm);
    x = ag_reshape(t, x, 3, (int64_t[3]){B, H2 * W2, 4 * D});
    x = ag_layernorm(t, x, ag_param(t, &l->downsample_norm_weight),
                     ag_param(t, &l->downsample_norm_bias), 1e-5f);
    return ag_linear(t, x, ag_param(t, &l->downsample_reduction_weight), NULL);
}

ag_var *swin_forward(ag_tape *t, const swin_config *cfg, const swin_weights *w, ag_var *images, draw_source *draws,
                     const char *name, ag_var **outs) {
    if (!images || t->status != VCT_STATUS_OK) return NULL;
    char sh[96];
    if (!ag_check(t, images->ndim == 4 && images->shape[1] == cfg->in_chans && images->shape[0] >= 1 &&
                         images->shape[2] >= 1 && images->shape[3] >= 1,
                  "swin", "images %s, expected [B,%d,H,W]", shape_str(images->ndim, images->shape, sh, sizeof sh),
                  cfg->in_chans))
        return NULL;
    const int ws = cfg->window_size;
    const int64_t B = images->shape[0];
    int64_t H = 0, W = 0;
    size_t m = ag_mark(t);
    ag_var *x = ag_keep(t, m, patch_embed(t, cfg, w, images, &H, &W));
    for (int s = 0; s < cfg->n_stages && x; s++) {
        const int D = swin_stage_dim(cfg, s), heads = cfg->num_heads[s];
        /* the stage's shift mask, on the map padded to window multiples */
        const int64_t Hp = (H + ws - 1) / ws * ws, Wp = (W + ws - 1) / ws * ws, N = (int64_t)ws * ws;
        ag_var *mask = NULL;
        if (cfg->depths[s] > 1 && ws / 2 > 0) {
            mask = ag_new(t, 3, (int64_t[3]){(Hp / ws) * (Wp / ws), N, N});
            if (!mask) return NULL;
            swin_shift_mask(mask->data, Hp, Wp, ws);
        }
        for (int j = 0; j < cfg->depths[s]; j++) {
            char site[160];
            snprintf(site, sizeof site, "%s.layers.%d.blocks.%d.drop_path", name ? name : "swin", s, j);
            m = ag_mark(t);
            x = swin_block_forward(t, cfg, &w->layers[s].blocks[j], x, H, W, D, heads, j % 2 ? ws / 2 : 0, mask,
                                   swin_drop_path_rate(cfg, s, j), draws, site);
            x = ag_keep(t, m, x);
        }
        /* res{s+2} = norm{s}(x) as NCHW */
        int p0312[4] = {0, 3, 1, 2};
        m = ag_mark(t);
        ag_var *o = ag_layernorm(t, x, ag_param(t, &w->norm_weight[s]),
                                 ag_param(t, &w->norm_bias[s]), 1e-5f);
        o = ag_permute(t, ag_reshape(t, o, 4, (int64_t[4]){B, H, W, D}), p0312);
        outs[s] = ag_keep(t, m, o);
        if (s < cfg->n_stages - 1) {
            m = ag_mark(t);
            x = ag_keep(t, m, patch_merging(t, &w->layers[s], x, H, W, D));
            H = (H + 1) / 2;
            W = (W + 1) / 2;
        }
    }
    if (t->status != VCT_STATUS_OK) return NULL;
    return outs[cfg->n_stages - 1];
}
