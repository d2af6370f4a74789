/* conform_train.c: the training stage of `vct conform` (train.npz).
 * One training step of the official model, as run_ref.py records it: the model in
 * training mode (model/vct_train.h) on the case's clip, with the case's recorded
 * random draws replayed in order (each checked against manifest.json
 * "rng_draws": kind, shape, call site), then the criterion and the backward.
 * The harness runs one unrecorded warm-up step first; it changes no parameter
 * (zero_grad(set_to_none) before the recorded step, no optimizer step) and exists
 * only because torch.jit.script'ed losses change by ~1 ulp after their first
 * calls, so there is nothing to repeat here.
 * Reads: model_best.pth, config.yaml, inputs.npz and the INPUT entries of
 * train.npz (targets, rng.NNNN.*), never an expected value (io/conform_case.h).
 * Dumps: train_fwd.* (the training-mode forward under the inference names).
 * A case without train.npz runs inference only (this stage says so and dumps
 * nothing). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform_stages.h"
#include "core/log.h"
#include "model/vct_train.h"

vct_status conform_train(const conform_case *c, tensor_dict *dump, vct_error *err);

static vct_status put(tensor_dict *dump, const char *name, const ag_var *v, vct_error *err) {
    return tensor_dict_add(dump, name, VCT_DTYPE_F32, v->ndim, v->shape, v->data, NULL, err);
}

/* the case's clip: u8 [T,3,H,W] -> [T,H,W,3] as vct_forward_inputs holds it */
static vct_status clip_inputs(const conform_case *c, const vct_model *m, vct_forward_inputs *in, uint8_t **frames,
                              uint8_t **maskige, vct_error *err) {
    const tensor *fr = tensor_dict_find(&c->inputs, "frames"), *pm = tensor_dict_find(&c->inputs, "pre_masks");
    const tensor *mel = tensor_dict_find(&c->inputs, "audio_log_mel");
    const tensor *vid = tensor_dict_find(&c->inputs, "vid_temporal_mask_flag");
    memset(in, 0, sizeof *in);
    if (!fr || fr->dtype != VCT_DTYPE_U8 || fr->ndim != 4 || fr->shape[1] != 3 || fr->shape[2] != m->input_h ||
        fr->shape[3] != m->input_w)
        return vct_fail(err, VCT_STATUS_FORMAT, "%s/inputs.npz: need u8 'frames' [T,3,%lld,%lld] (the model's input)",
                        c->dir, (long long)m->input_h, (long long)m->input_w);
    if (m->use_pre_sam && (!pm || pm->dtype != VCT_DTYPE_U8 || !shape_equal(pm->ndim, pm->shape, fr->ndim, fr->shape)))
        return vct_fail(err, VCT_STATUS_FORMAT, "%s/inputs.npz: need u8 'pre_masks' of the frames' shape", c->dir);
    if (!mel || mel->dtype != VCT_DTYPE_F32 || mel->ndim != 4 || mel->shape[1] != 1 || mel->shape[2] != 96 ||
        mel->shape[3] != 64)
        return vct_fail(err, VCT_STATUS_FORMAT, "%s/inputs.npz: need f32 'audio_log_mel' [A,1,96,64]", c->dir);
    const int64_t T = fr->shape[0], HW = fr->shape[2] * fr->shape[3];
    *frames = malloc((size_t)(T * HW * 3));
    *maskige = m->use_pre_sam ? malloc((size_t)(T * HW * 3)) : NULL;
    if (!*frames || (m->use_pre_sam && !*maskige)) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    for (int64_t b = 0; b < T; b++)
        for (int64_t ch = 0; ch < 3; ch++)
            for (int64_t i = 0; i < HW; i++) {
                (*frames)[(b * HW + i) * 3 + ch] = ((const uint8_t *)fr->data)[(b * 3 + ch) * HW + i];
                if (*maskige) (*maskige)[(b * HW + i) * 3 + ch] = ((const uint8_t *)pm->data)[(b * 3 + ch) * HW + i];
            }
    in->T = T;
    in->frames = *frames;
    in->maskige = *maskige;
    in->log_mel = mel->data;
    in->A = mel->shape[0];
    if (m->task == AUDIO_TASK_AVSS) { /* VCT.forward filters the audio rows by the vid flag (AVSS only) */
        if (!vid || vid->dtype != VCT_DTYPE_F32 || tensor_numel(vid) != in->A)
            return vct_fail(err, VCT_STATUS_FORMAT, "%s/inputs.npz: AVSS needs f32 'vid_temporal_mask_flag' [%lld]",
                            c->dir, (long long)in->A);
        in->vid_flag = vid->data;
    }
    return VCT_STATUS_OK;
}

/* train_fwd.*: the training forward under the inference names */
static vct_status dump_forward(const vct_train_outputs *o, tensor_dict *dump, vct_error *err) {
    const av_decoder_outputs *d = &o->net.dec;
    char n[64];
    VCT_TRY(put(dump, "train_fwd.vision_queries", o->net.q.queries, err));
    if (o->net.q.prototypes) VCT_TRY(put(dump, "train_fwd.vision_query_prototypes", o->net.q.prototypes, err));
    for (int i = 0; i < d->n_preds - 1; i++) {
        snprintf(n, sizeof n, "train_fwd.decoder.query_after_layer.%d", i);
        VCT_TRY(put(dump, n, d->query_after_layer[i], err));
        snprintf(n, sizeof n, "train_fwd.aux.%d.pred_logits", i);
        VCT_TRY(put(dump, n, d->pred_logits[i], err));
        snprintf(n, sizeof n, "train_fwd.aux.%d.pred_masks", i);
        VCT_TRY(put(dump, n, d->pred_masks[i], err));
    }
    VCT_TRY(put(dump, "train_fwd.pred_logits", d->pred_logits[d->n_preds - 1], err));
    VCT_TRY(put(dump, "train_fwd.pred_masks", d->pred_masks[d->n_preds - 1], err));
    if (o->audio_feat) VCT_TRY(put(dump, "train_fwd.feats.audio_feat", o->audio_feat, err));
    if (o->proto_feat) VCT_TRY(put(dump, "train_fwd.feats.proto_feat", o->proto_feat, err));
    return VCT_STATUS_OK;
}

vct_status conform_train(const conform_case *c, tensor_dict *dump, vct_error *err) {
    if (!c->has_train) {
        log_info("train: %s has no train.npz: inference only (no training entries)", c->dir);
        return VCT_STATUS_OK;
    }
    conform_draws cd;
    VCT_TRY(conform_case_draws(c, &cd, err));
    vct_model m;
    vct_forward_inputs in;
    uint8_t *frames = NULL, *maskige = NULL;
    arena mem = {0}, scratch = {0};
    ag_tape t = {0};
    draw_source ds;
    memset(&ds, 0, sizeof ds);
    char what[1100];
    snprintf(what, sizeof what, "%s/model_best.pth", c->dir);
    cJSON *cfg = cJSON_Duplicate(c->config, 1);
    vct_status st = cfg ? vct_model_build_ex(&m, cfg, "config.yaml", &c->weights, what, 1, err)
                        : vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    if (!cfg) memset(&m, 0, sizeof m);
    if (st == VCT_STATUS_OK) st = clip_inputs(c, &m, &in, &frames, &maskige, err);
    if (st == VCT_STATUS_OK) st = draw_source_init_replay(&ds, &c->train_inputs, "rng", err);
    if (st == VCT_STATUS_OK) st = draw_source_set_sites(&ds, cd.sites, cd.n, err);
    /* every activation of the step stays on the tape until the backward: ~9.5 KiB per input
     * pixel on the reduced model (1.4 GiB for one 384x384 frame), more with a wider Swin; the
     * arena is virtual memory until touched */
    const size_t P = (size_t)(in.T * m.input_h * m.input_w);
    const size_t widen = (size_t)(m.pre_sam_cfg.embed_dim > 32 ? m.pre_sam_cfg.embed_dim / 32 : 1);
    if (st == VCT_STATUS_OK) st = arena_init(&mem, ((size_t)1 << 30) + P * 12288 * widen, err);
    if (st == VCT_STATUS_OK) st = arena_init(&scratch, ((size_t)256 << 20) + P * 1024, err);
    if (st == VCT_STATUS_OK) st = ag_tape_init(&t, &mem, &scratch, 1, 200000, err);
    double t0 = wall_seconds();
    vct_train_outputs o;
    if (st == VCT_STATUS_OK) st = vct_model_train_forward(&m, &t, &in, &ds, NULL, &o, err);
    if (st == VCT_STATUS_OK)
        log_info("train: forward of %lld frame(s) in training mode %.2f s, %lld tape nodes, %lld of %lld draws, "
                 "activations %.1f MiB", (long long)in.T, wall_seconds() - t0, (long long)t.n_nodes, (long long)ds.pos,
                 (long long)ds.n_draws, (double)mem.peak / (1 << 20));
    if (st == VCT_STATUS_OK) st = dump_forward(&o, dump, err);
    ag_tape_free(&t);
    arena_free(&mem);
    arena_free(&scratch);
    draw_source_free(&ds);
    conform_draws_free(&cd);
    vct_model_release(&m);
    free(frames);
    free(maskige);
    return st;
}
