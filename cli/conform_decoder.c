/* conform_decoder.c: the query-generator, decoder and post-processing stages of
 * `vct conform`, eval mode. Three stages, so that `--inject ppqg.assign_idx`
 * (applied by cmd_conform.c after each stage) reaches everything downstream:
 *   ppqg.assign          mask_features -> ProtoVCQ/VCQ (src/model/ppqg.c) up to the
 *                        AssignAttention logits and their argmax: ppqg.assign_logits
 *                        [B,1,Q,HW], ppqg.assign_idx i64 [B,1,HW]
 *   decoder              the query generator again with the assignment READ FROM THE
 *                        DUMP (so an injected decision is used), then the decoder
 *                        (src/model/av_decoder.c) on audio.features_to_decoder,
 *                        multi_scale_features.0..2 and mask_features: vision_queries,
 *                        vision_query_prototypes, aux.i.*, decoder.query_after_layer.i,
 *                        pred_logits, pred_masks, feats.proto_feat (S4/AVSS)
 *   semantic_inference   pred_logits/pred_masks from the dump -> VCT.forward's eval
 *                        post-processing (src/model/semantic_inference.c): sem_seg
 *                        [B,K,224,224] (all K channels; compare.py applies the subset),
 *                        sem_seg_argmax u8 [B,224,224]
 * Every input comes from the dump (earlier stages) or model_best.pth / config.yaml /
 * inputs.npz. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform_stages.h"
#include "core/log.h"
#include "io/yaml.h"
#include "model/av_decoder.h"
#include "model/ppqg.h"
#include "model/semantic_inference.h"

vct_status conform_ppqg_assign(const conform_case *c, tensor_dict *dump, vct_error *err);
vct_status conform_decoder(const conform_case *c, tensor_dict *dump, vct_error *err);
vct_status conform_semantic_inference(const conform_case *c, tensor_dict *dump, vct_error *err);

#define PRED_PREFIX "sem_seg_head.predictor."
#define VQB_PREFIX "sem_seg_head.predictor.visual_query_block."

static vct_status put(tensor_dict *dump, const char *name, const ag_var *v, vct_error *err) {
    return tensor_dict_add(dump, name, VCT_DTYPE_F32, v->ndim, v->shape, v->data, NULL, err);
}

/* a float [B,C,H,W] tensor an earlier stage put in the dump */
static vct_status need(const tensor_dict *dump, const char *name, const char *stage, const tensor **out,
                       vct_error *err) {
    const tensor *x = tensor_dict_find(dump, name);
    if (!x || x->dtype != VCT_DTYPE_F32 || x->ndim != 4)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "needs %s as f32 [B,C,H,W] from the %s stage (run it first)",
                        name, stage);
    *out = x;
    return VCT_STATUS_OK;
}

/* the model parts: configs from config.yaml and the checkpoint, weights loaded */
typedef struct parts {
    av_decoder_config dcfg;
    ppqg_config qcfg;
    av_decoder_weights dw;
    ppqg_weights qw;
    param_table pt;
    arena mem, scratch;
    ag_tape t;
} parts;

static vct_status parts_init(parts *p, const conform_case *c, int with_decoder, vct_error *err) {
    memset(p, 0, sizeof *p);
    param_table_init(&p->pt);
    const char *mapper;
    VCT_TRY(av_decoder_config_from_yaml(&p->dcfg, c->config, err));
    VCT_TRY(yaml_get_str(c->config, "INPUT.DATASET_MAPPER_NAME", &mapper, err));
    VCT_TRY(ppqg_config_from_case(&p->qcfg, &p->dcfg, mapper, &c->weights, VQB_PREFIX, err));
    ppqg_register(&p->pt, VQB_PREFIX, &p->qcfg, &p->qw, 0);
    if (with_decoder) av_decoder_register(&p->pt, PRED_PREFIX, &p->dcfg, &p->dw, 0);
    VCT_TRY(param_table_alloc(&p->pt, err));
    VCT_TRY(param_table_load(&p->pt, &c->weights, "model_best.pth", NULL, err));
    VCT_TRY(arena_init(&p->mem, (size_t)1 << 30, err));
    VCT_TRY(arena_init(&p->scratch, (size_t)512 << 20, err));
    return ag_tape_init(&p->t, &p->mem, &p->scratch, 0, 0, err);
}

static void parts_free(parts *p) {
    ag_tape_free(&p->t);
    arena_free(&p->mem);
    arena_free(&p->scratch);
    param_table_free(&p->pt);
}

static vct_status tape_status(const ag_tape *t, vct_error *err) {
    return t->status == VCT_STATUS_OK ? VCT_STATUS_OK : vct_fail(err, t->status, "%s", t->err.msg);
}

vct_status conform_ppqg_assign(const conform_case *c, tensor_dict *dump, vct_error *err) {
    const tensor *mf = NULL;
    parts p;
    vct_status st = need(dump, "mask_features", "pixel_decoder", &mf, err);
    if (st != VCT_STATUS_OK) return st;
    if ((st = parts_init(&p, c, 0, err)) != VCT_STATUS_OK) goto fail;
    double t0 = wall_seconds();
    ppqg_outputs o;
    ppqg_forward(&p.t, &p.qcfg, &p.qw, ag_leaf(&p.t, mf->data, NULL, 4, mf->shape, 0), NULL, NULL, &o);
    if ((st = tape_status(&p.t, err)) != VCT_STATUS_OK) goto fail;
    const int64_t B = mf->shape[0], Q = p.qcfg.num_query, HW = p.qcfg.num_pixel;
    log_info("ppqg: %s, %lld queries over %lld pixels, %.3f s", p.qcfg.num_prototypes ? "PPQG" : "VCQ", (long long)Q,
             (long long)HW, wall_seconds() - t0);
    /* the case's layout keeps AssignAttention's head axis: [B,1,Q,HW] and [B,1,HW] */
    st = tensor_dict_add(dump, "ppqg.assign_logits", VCT_DTYPE_F32, 4, (int64_t[4]){B, 1, Q, HW}, o.assign_logits->data,
                         NULL, err);
    if (st == VCT_STATUS_OK)
        st = tensor_dict_add(dump, "ppqg.assign_idx", VCT_DTYPE_I64, 3, (int64_t[3]){B, 1, HW}, o.assign_idx, NULL, err);
fail:
    parts_free(&p);
    return st;
}

vct_status conform_decoder(const conform_case *c, tensor_dict *dump, vct_error *err) {
    const tensor *mf = NULL, *au = NULL, *ms[3] = {0};
    parts p;
    vct_status st;
    if ((st = need(dump, "mask_features", "pixel_decoder", &mf, err)) != VCT_STATUS_OK ||
        (st = need(dump, "audio.features_to_decoder", "audio.head", &au, err)) != VCT_STATUS_OK ||
        (st = need(dump, "multi_scale_features.0", "pixel_decoder", &ms[0], err)) != VCT_STATUS_OK ||
        (st = need(dump, "multi_scale_features.1", "pixel_decoder", &ms[1], err)) != VCT_STATUS_OK ||
        (st = need(dump, "multi_scale_features.2", "pixel_decoder", &ms[2], err)) != VCT_STATUS_OK)
        return st;
    const tensor *idx = tensor_dict_find(dump, "ppqg.assign_idx");
    if (!idx || idx->dtype != VCT_DTYPE_I64 || tensor_numel(idx) != mf->shape[0] * mf->shape[2] * mf->shape[3])
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "needs ppqg.assign_idx as i64 [B,1,HW] from the ppqg.assign stage (run it first)");
    if ((st = parts_init(&p, c, 1, err)) != VCT_STATUS_OK) goto fail;
    ag_tape *t = &p.t;
    double t0 = wall_seconds();
    ppqg_outputs q;
    /* the assignment the dump holds: ours, or the case's when injected */
    ag_var *vq = ppqg_forward(t, &p.qcfg, &p.qw, ag_leaf(t, mf->data, NULL, 4, mf->shape, 0), NULL, idx->data, &q);
    double t1 = wall_seconds();
    ag_var *msv[3];
    for (int l = 0; l < 3; l++) msv[l] = ag_leaf(t, ms[l]->data, NULL, 4, ms[l]->shape, 0);
    av_decoder_masks masks = {0};
    av_decoder_outputs o;
    av_decoder_forward(t, &p.dcfg, &p.dw, ag_leaf(t, au->data, NULL, 4, au->shape, 0), msv,
                       ag_leaf(t, mf->data, NULL, 4, mf->shape, 0), vq, &masks, &o);
    ag_var *proto = p.dcfg.has_proto_proj ? av_decoder_proto_feat(t, &p.dcfg, &p.dw, q.prototypes) : NULL;
    if ((st = tape_status(t, err)) != VCT_STATUS_OK) goto fail;
    char opened[256] = "";
    for (int64_t i = 0; i < p.dcfg.num_layers; i++)
        snprintf(opened + strlen(opened), sizeof opened - strlen(opened), "%s%lld", i ? "," : "",
                 (long long)masks.rows_opened[i]);
    log_info("decoder: query generator %.3f s, %lld layers %.3f s (fully blocked rows opened per layer: %s); "
             "arena peak %.1f MiB",
             t1 - t0, (long long)p.dcfg.num_layers, wall_seconds() - t1, opened, (double)p.mem.peak / (1 << 20));
    st = put(dump, "vision_queries", vq, err);
    if (st == VCT_STATUS_OK && q.prototypes) st = put(dump, "vision_query_prototypes", q.prototypes, err);
    for (int i = 0; i < o.n_preds - 1 && st == VCT_STATUS_OK; i++) {
        char n[64];
        snprintf(n, sizeof n, "aux.%d.pred_logits", i);
        st = put(dump, n, o.pred_logits[i], err);
        snprintf(n, sizeof n, "aux.%d.pred_masks", i);
        if (st == VCT_STATUS_OK) st = put(dump, n, o.pred_masks[i], err);
        snprintf(n, sizeof n, "decoder.query_after_layer.%d", i);
        if (st == VCT_STATUS_OK) st = put(dump, n, o.query_after_layer[i], err);
    }
    if (st == VCT_STATUS_OK) st = put(dump, "pred_logits", o.pred_logits[o.n_preds - 1], err);
    if (st == VCT_STATUS_OK) st = put(dump, "pred_masks", o.pred_masks[o.n_preds - 1], err);
    if (st == VCT_STATUS_OK && proto) st = put(dump, "feats.proto_feat", proto, err);
fail:
    parts_free(&p);
    return st;
}

vct_status conform_semantic_inference(const conform_case *c, tensor_dict *dump, vct_error *err) {
    const tensor *pl = tensor_dict_find(dump, "pred_logits"), *pm = tensor_dict_find(dump, "pred_masks");
    const tensor *frames = tensor_dict_find(&c->inputs, "frames");
    const tensor *flag = tensor_dict_find(&c->inputs, "vid_temporal_mask_flag");
    if (!pl || !pm || pl->dtype != VCT_DTYPE_F32 || pm->dtype != VCT_DTYPE_F32 || pl->ndim != 3 || pm->ndim != 4 ||
        pl->shape[0] != pm->shape[0] || pl->shape[1] != pm->shape[1])
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "needs pred_logits [B,Q,K+1] and pred_masks [B,Q,H,W] from the "
                        "decoder stage (run it first)");
    if (!frames || frames->ndim != 4)
        return vct_fail(err, VCT_STATUS_FORMAT, "%s/inputs.npz: no [T,3,H,W] 'frames'", c->dir);
    const char *mapper;
    long div;
    VCT_TRY(yaml_get_str(c->config, "INPUT.DATASET_MAPPER_NAME", &mapper, err));
    VCT_TRY(yaml_get_int(c->config, "MODEL.MASK_FORMER.SIZE_DIVISIBILITY", &div, err));
    const int64_t B = pl->shape[0], Q = pl->shape[1], K = pl->shape[2] - 1, H = frames->shape[2], W = frames->shape[3];
    if (K < 1 || K > 256) return vct_fail(err, VCT_STATUS_UNSUPPORTED, "semantic_inference: %lld classes", (long long)K);
    /* padded network input (ImageList.from_tensors to SIZE_DIVISIBILITY), the image inside it */
    sem_seg_params sp = sem_seg_params_official(H, W);
    if (div > 1) {
        sp.pad_h = (H + div - 1) / div * div;
        sp.pad_w = (W + div - 1) / div * div;
    }
    /* AVSS: semantic_inference_ss multiplies frame b by vid_temporal_mask_flag[b] of the
     * UNFILTERED flag vector (model.md §1.10 step 3; the reference's indexing, kept) */
    float *flags = NULL;
    const int avss = strcmp(mapper, "avss_semantic") == 0;
    if (avss) {
        if (!flag || flag->dtype != VCT_DTYPE_F32 || tensor_numel(flag) < B)
            return vct_fail(err, VCT_STATUS_FORMAT, "%s/inputs.npz: AVSS needs 'vid_temporal_mask_flag' (f32, >= %lld)",
                            c->dir, (long long)B);
        flags = (float *)flag->data;
    }
    const int64_t n = B * K * sp.out_h * sp.out_w;
    float *ss = malloc((size_t)n * sizeof(float));
    uint8_t *lab = malloc((size_t)(B * sp.out_h * sp.out_w));
    vct_status st = VCT_STATUS_OK;
    if (!ss || !lab) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "semantic_inference: no memory for [%lld,%lld,%lld,%lld]",
                                   (long long)B, (long long)K, (long long)sp.out_h, (long long)sp.out_w);
    double t0 = wall_seconds();
    if (st == VCT_STATUS_OK)
        st = semantic_inference(ss, pl->data, pm->data, flags, B, Q, K, pm->shape[2], pm->shape[3], &sp, NULL, err);
    if (st == VCT_STATUS_OK) {
        sem_seg_argmax(lab, ss, B, K, sp.out_h, sp.out_w);
        log_info("semantic inference: %lld frame(s), %lld classes, %lldx%lld -> %lldx%lld, %.3f s", (long long)B,
                 (long long)K, (long long)sp.pad_h, (long long)sp.pad_w, (long long)sp.out_h, (long long)sp.out_w,
                 wall_seconds() - t0);
        st = tensor_dict_add(dump, "sem_seg", VCT_DTYPE_F32, 4, (int64_t[4]){B, K, sp.out_h, sp.out_w}, ss, NULL, err);
    }
    if (st == VCT_STATUS_OK)
        st = tensor_dict_add(dump, "sem_seg_argmax", VCT_DTYPE_U8, 3, (int64_t[3]){B, sp.out_h, sp.out_w}, lab, NULL, err);
    free(ss);
    free(lab);
    return st;
}
