/* conform_backbone.c: the visual backbone stage of `vct conform`.
 * frames and pre_masks (inputs.npz, u8 [T,3,H,W]) -> (x - PIXEL_MEAN) / PIXEL_STD
 * (fp32 subtract, fp32 divide, per channel) -> zero pad to SIZE_DIVISIBILITY ->
 * backbone (Swin) and the pre-SAM prior branch, eval mode; dumps
 * backbone.res2..5, pre_sam_backbone.res2..5, pre_sam_scale.0..3 and
 * fused_features.res2..5 (the case stores res5 only). */
#include <stdio.h>
#include <string.h>

#include "autograd/ag_shape.h"
#include "conform_stages.h"
#include "core/log.h"
#include "io/yaml.h"
#include "model/prior_branch.h"

vct_status conform_backbone(const conform_case *c, tensor_dict *dump, vct_error *err);

/* MODEL.PIXEL_MEAN / PIXEL_STD as float32 (torch.Tensor(list)) */
static vct_status pixel_stats(const cJSON *root, const char *key, float *out, vct_error *err) {
    char full[64];
    snprintf(full, sizeof full, "MODEL.%s", key);
    const cJSON *n = yaml_get(root, full);
    if (!n || !cJSON_IsArray(n) || cJSON_GetArraySize(n) != 3)
        return vct_fail(err, VCT_STATUS_FORMAT, "config %s: expected a list of 3 numbers", full);
    for (int i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetArrayItem(n, i);
        if (!cJSON_IsNumber(v)) return vct_fail(err, VCT_STATUS_FORMAT, "config %s[%d]: not a number", full, i);
        out[i] = (float)v->valuedouble;
    }
    return VCT_STATUS_OK;
}

/* u8 [T,3,H,W] -> normalised fp32 leaf [T,3,Hp,Wp], zero padded right/bottom to a multiple of div
 * (detectron2 ImageList.from_tensors pads the normalised image with 0) */
static ag_var *normalised(ag_tape *t, const tensor *u8, const float *mean, const float *std, int64_t div) {
    const int64_t T = u8->shape[0], C = u8->shape[1], H = u8->shape[2], W = u8->shape[3];
    ag_var *x = ag_new(t, 4, u8->shape);
    if (!x) return NULL;
    const uint8_t *p = u8->data;
    for (int64_t i = 0; i < T * C; i++)
        for (int64_t k = 0; k < H * W; k++) x->data[i * H * W + k] = ((float)p[i * H * W + k] - mean[i % C]) / std[i % C];
    if (div > 1) {
        x = ag_pad(t, x, 3, 0, (div - W % div) % div);
        x = ag_pad(t, x, 2, 0, (div - H % div) % div);
    }
    return x;
}

static vct_status put(tensor_dict *dump, const char *name, const ag_var *v, vct_error *err) {
    return tensor_dict_add(dump, name, VCT_DTYPE_F32, v->ndim, v->shape, v->data, NULL, err);
}

vct_status conform_backbone(const conform_case *c, tensor_dict *dump, vct_error *err) {
    swin_config cfg;
    swin_weights bw;
    prior_branch_weights pw;
    param_table pt;
    arena mem = {0}, scratch = {0};
    ag_tape t = {0};
    float mean[3], std[3];
    long div = 32;
    int use_pre_sam = 0;
    vct_status st;
    param_table_init(&pt);
    if ((st = swin_config_from_yaml(&cfg, c->config, err)) != VCT_STATUS_OK) goto fail;
    if ((st = prior_branch_config(c->config, &cfg, &use_pre_sam, err)) != VCT_STATUS_OK) goto fail;
    if (!use_pre_sam) {
        st = vct_fail(err, VCT_STATUS_UNSUPPORTED, "config MODEL.PRE_SAM.USE_PRE_SAM is false: the case names need the prior branch");
        goto fail;
    }
    if ((st = pixel_stats(c->config, "PIXEL_MEAN", mean, err)) != VCT_STATUS_OK ||
        (st = pixel_stats(c->config, "PIXEL_STD", std, err)) != VCT_STATUS_OK ||
        (st = yaml_get_int(c->config, "MODEL.MASK_FORMER.SIZE_DIVISIBILITY", &div, err)) != VCT_STATUS_OK)
        goto fail;
    const tensor *frames = tensor_dict_find(&c->inputs, "frames"), *masks = tensor_dict_find(&c->inputs, "pre_masks");
    if (!frames || !masks || frames->dtype != VCT_DTYPE_U8 || masks->dtype != VCT_DTYPE_U8 || frames->ndim != 4 ||
        frames->shape[1] != 3 || !shape_equal(frames->ndim, frames->shape, masks->ndim, masks->shape)) {
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s/inputs.npz: need u8 'frames' and 'pre_masks' of the same [T,3,H,W]", c->dir);
        goto fail;
    }
    swin_register(&pt, "backbone.", &cfg, &bw, 0);
    prior_branch_register(&pt, &cfg, &pw, 0);
    if ((st = param_table_alloc(&pt, err)) != VCT_STATUS_OK ||
        (st = param_table_load(&pt, &c->weights, "model_best.pth", NULL, err)) != VCT_STATUS_OK ||
        (st = swin_check_buffers(&c->weights, "backbone.", &cfg, err)) != VCT_STATUS_OK ||
        (st = swin_check_buffers(&c->weights, "pre_sam_backbone.", &cfg, err)) != VCT_STATUS_OK)
        goto fail;
    /* inference: activations of one block at a time, plus the outputs */
    if ((st = arena_init(&mem, (size_t)2 << 30, err)) != VCT_STATUS_OK ||
        (st = arena_init(&scratch, (size_t)256 << 20, err)) != VCT_STATUS_OK ||
        (st = ag_tape_init(&t, &mem, &scratch, 0, 0, err)) != VCT_STATUS_OK)
        goto fail;
    double t0 = wall_seconds();
    ag_var *F[SWIN_MAX_STAGES] = {0}, *P[SWIN_MAX_STAGES] = {0}, *G[SWIN_MAX_STAGES] = {0}, *R[SWIN_MAX_STAGES] = {0};
    ag_var *img = normalised(&t, frames, mean, std, div);
    swin_forward(&t, &cfg, &bw, img, NULL, "backbone", F);
    double t1 = wall_seconds();
    ag_var *msk = normalised(&t, masks, mean, std, div);
    prior_branch_forward(&t, &cfg, &pw, F, msk, NULL, P, G, R);
    if (t.status != VCT_STATUS_OK) {
        st = vct_fail(err, t.status, "%s", t.err.msg);
        goto fail;
    }
    log_info("backbone: Swin %.3f s, prior branch %.3f s for %lld frame(s) of %lldx%lld; arena peak %.1f MiB", t1 - t0,
             wall_seconds() - t1, (long long)frames->shape[0], (long long)frames->shape[2],
             (long long)frames->shape[3], (double)mem.peak / (1 << 20));
    for (int s = 0; s < cfg.n_stages && st == VCT_STATUS_OK; s++) {
        char n[64];
        snprintf(n, sizeof n, "backbone.res%d", s + 2);
        st = put(dump, n, F[s], err);
        snprintf(n, sizeof n, "pre_sam_backbone.res%d", s + 2);
        if (st == VCT_STATUS_OK) st = put(dump, n, P[s], err);
        snprintf(n, sizeof n, "pre_sam_scale.%d", s);
        if (st == VCT_STATUS_OK) st = put(dump, n, G[s], err);
        snprintf(n, sizeof n, "fused_features.res%d", s + 2);
        if (st == VCT_STATUS_OK) st = put(dump, n, R[s], err);
    }
fail:
    ag_tape_free(&t);
    arena_free(&mem);
    arena_free(&scratch);
    if (pt.status != VCT_STATUS_OK && st == VCT_STATUS_OK) st = vct_fail(err, pt.status, "%s", pt.err.msg);
    param_table_free(&pt);
    return st;
}
