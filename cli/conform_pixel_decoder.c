/* conform_pixel_decoder.c: the pixel decoder stage of `vct conform`.
 * fused_features.res2..5 (put in the dump by the backbone stage) ->
 * MSDeformAttnPixelDecoder.forward_features (src/model/msdeformattn.c), eval mode;
 * dumps multi_scale_features.0..2, mask_features (all channels: the manifest's
 * subset is applied by compare.py), pixel_decoder.spatial_shapes and
 * pixel_decoder.level_start_index. */
#include <stdio.h>
#include <string.h>

#include "conform_stages.h"
#include "core/log.h"
#include "model/msdeformattn.h"

vct_status conform_pixel_decoder(const conform_case *c, tensor_dict *dump, vct_error *err);

#define PD_PREFIX "sem_seg_head.pixel_decoder."

static vct_status put(tensor_dict *dump, const char *name, const ag_var *v, vct_error *err) {
    return tensor_dict_add(dump, name, VCT_DTYPE_F32, v->ndim, v->shape, v->data, NULL, err);
}

vct_status conform_pixel_decoder(const conform_case *c, tensor_dict *dump, vct_error *err) {
    msdeformattn_config cfg;
    msdeformattn_weights w;
    param_table pt;
    arena mem = {0}, scratch = {0};
    ag_tape t = {0};
    vct_status st = VCT_STATUS_OK;
    param_table_init(&pt);
    memset(&w, 0, sizeof w);
    const tensor *res[MSDEFORMATTN_N_FEATURES];
    int ch[MSDEFORMATTN_N_FEATURES];
    for (int i = 0; i < MSDEFORMATTN_N_FEATURES; i++) {
        char name[64];
        snprintf(name, sizeof name, "fused_features.res%d", i + 2);
        res[i] = tensor_dict_find(dump, name);
        if (!res[i] || res[i]->dtype != VCT_DTYPE_F32 || res[i]->ndim != 4 || res[i]->shape[0] != res[0]->shape[0]) {
            st = vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                          "needs %s as f32 [B,C,H,W] from the backbone stage (run it first)", name);
            goto fail;
        }
        ch[i] = (int)res[i]->shape[1];
    }
    if ((st = msdeformattn_config_from_yaml(&cfg, c->config, ch, err)) != VCT_STATUS_OK) goto fail;
    msdeformattn_register(&pt, PD_PREFIX, &cfg, &w, 0);
    if ((st = param_table_alloc(&pt, err)) != VCT_STATUS_OK ||
        (st = param_table_load(&pt, &c->weights, "model_best.pth", NULL, err)) != VCT_STATUS_OK)
        goto fail;
    /* inference: the outputs plus one block at a time (the 3x3 conv's columns in scratch) */
    if ((st = arena_init(&mem, (size_t)1 << 30, err)) != VCT_STATUS_OK ||
        (st = arena_init(&scratch, (size_t)512 << 20, err)) != VCT_STATUS_OK ||
        (st = ag_tape_init(&t, &mem, &scratch, 0, 0, err)) != VCT_STATUS_OK)
        goto fail;
    ag_var *feats[MSDEFORMATTN_N_FEATURES];
    for (int i = 0; i < MSDEFORMATTN_N_FEATURES; i++)
        feats[i] = ag_leaf(&t, res[i]->data, NULL, 4, res[i]->shape, 0);
    msdeformattn_outputs o;
    double t0 = wall_seconds();
    msdeformattn_forward(&t, &cfg, &w, feats, &o);
    if (t.status != VCT_STATUS_OK) {
        st = vct_fail(err, t.status, "%s", t.err.msg);
        goto fail;
    }
    log_info("pixel decoder: %d encoder layer(s), %lld tokens, %.3f s; arena peak %.1f MiB, scratch peak %.1f MiB",
             cfg.enc_layers, (long long)(o.level_start_index[cfg.n_levels - 1] +
                                         o.spatial_shapes[2 * (cfg.n_levels - 1)] * o.spatial_shapes[2 * cfg.n_levels - 1]),
             wall_seconds() - t0, (double)mem.peak / (1 << 20), (double)scratch.peak / (1 << 20));
    for (int k = 0; k < MSDEFORMATTN_N_MS && st == VCT_STATUS_OK; k++) {
        char name[64];
        snprintf(name, sizeof name, "multi_scale_features.%d", k);
        st = put(dump, name, o.multi_scale_features[k], err);
    }
    if (st == VCT_STATUS_OK) st = put(dump, "mask_features", o.mask_features, err);
    int64_t s2[2] = {cfg.n_levels, 2}, s1[1] = {cfg.n_levels};
    if (st == VCT_STATUS_OK)
        st = tensor_dict_add(dump, "pixel_decoder.spatial_shapes", VCT_DTYPE_I64, 2, s2, o.spatial_shapes, NULL, err);
    if (st == VCT_STATUS_OK)
        st = tensor_dict_add(dump, "pixel_decoder.level_start_index", VCT_DTYPE_I64, 1, s1, o.level_start_index, NULL,
                             err);
fail:
    ag_tape_free(&t);
    arena_free(&mem);
    arena_free(&scratch);
    if (pt.status != VCT_STATUS_OK && st == VCT_STATUS_OK) st = vct_fail(err, pt.status, "%s", pt.err.msg);
    param_table_free(&pt);
    return st;
}
