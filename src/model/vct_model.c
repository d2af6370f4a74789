/* vct_model.c: see vct_model.h. Wiring only: every module's code is in its own file. */
#include "model/vct_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "io/pixels.h"
#include "io/yaml.h"
#include "model/semantic_inference.h"
#include "ops/interpolate.h"
#include "ops/softmax.h"

#define PD_PREFIX "sem_seg_head.pixel_decoder."
#define PRED_PREFIX "sem_seg_head.predictor."
#define VQB_PREFIX "sem_seg_head.predictor.visual_query_block."
#define MLP_PREFIX "sem_seg_head.audio_transformation."
#define EVAL_SIZE 224 /* sem_seg_postprocess output "for fair comparison" (model.md §1.10) */

/* MODEL.PIXEL_MEAN / PIXEL_STD as float32 (torch.Tensor(list)) */
static vct_status pixel_stats(const cJSON *root, const char *key, float *out, vct_error *err) {
    const cJSON *n = yaml_get(root, key);
    if (!n || !cJSON_IsArray(n) || cJSON_GetArraySize(n) != 3)
        return vct_fail(err, VCT_STATUS_FORMAT, "config %s: expected a list of 3 numbers", key);
    for (int i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetArrayItem(n, i);
        if (!cJSON_IsNumber(v)) return vct_fail(err, VCT_STATUS_FORMAT, "config %s[%d]: not a number", key, i);
        out[i] = (float)v->valuedouble;
    }
    return VCT_STATUS_OK;
}

static vct_status task_from_config(const cJSON *root, audio_task *task, vct_error *err) {
    const char *mapper;
    VCT_TRY(yaml_get_str(root, "INPUT.DATASET_MAPPER_NAME", &mapper, err));
    if (strcmp(mapper, "avss4_semantic") == 0) *task = AUDIO_TASK_S4;
    else if (strcmp(mapper, "avsms3_semantic") == 0) *task = AUDIO_TASK_MS3;
    else if (strcmp(mapper, "avss_semantic") == 0) *task = AUDIO_TASK_AVSS;
    else
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config INPUT.DATASET_MAPPER_NAME '%s': not a VCT task (avss4_semantic "
                        "S4, avsms3_semantic MS3, avss_semantic AVSS)", mapper);
    return VCT_STATUS_OK;
}

/* The module configurations: from the config, the hard-coded sizes from the checkpoint. */
static vct_status configure(vct_model *m, const tensor_dict *sd, vct_error *err) {
    const cJSON *root = m->config;
    long div = 32;
    VCT_TRY(task_from_config(root, &m->task, err));
    VCT_TRY(pixel_stats(root, "MODEL.PIXEL_MEAN", m->pixel_mean, err));
    VCT_TRY(pixel_stats(root, "MODEL.PIXEL_STD", m->pixel_std, err));
    VCT_TRY(yaml_get_int(root, "MODEL.MASK_FORMER.SIZE_DIVISIBILITY", &div, err));
    m->size_divisibility = div < 1 ? 1 : div;
    VCT_TRY(backbone_from_config(&m->bb, root, err));
    if (m->bb.spec.n_outs != MSDEFORMATTN_N_FEATURES)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "backbone %s gives %d outputs; the pixel decoder needs res2..res5",
                        m->bb.kind->name, m->bb.spec.n_outs);
    const cJSON *use = yaml_get(root, "MODEL.PRE_SAM.USE_PRE_SAM");
    if (use && cJSON_IsTrue(use) && m->bb.kind != &backbone_kind_swin)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config MODEL.PRE_SAM.USE_PRE_SAM with backbone %s: the prior branch "
                        "is a Swin here (as in every official VCT config)", m->bb.kind->name);
    if (m->bb.kind == &backbone_kind_swin) {
        VCT_TRY(swin_config_from_yaml(&m->pre_sam_cfg, root, err));
        VCT_TRY(prior_branch_config(root, &m->pre_sam_cfg, &m->use_pre_sam, err));
    } else if (use && !cJSON_IsBool(use)) {
        return vct_fail(err, VCT_STATUS_FORMAT, "config MODEL.PRE_SAM.USE_PRE_SAM: not true/false");
    }
    VCT_TRY(msdeformattn_config_from_yaml(&m->pd_cfg, root, m->bb.spec.channels, err));
    VCT_TRY(av_decoder_config_from_yaml(&m->dec_cfg, root, err));
    const char *mapper;
    VCT_TRY(yaml_get_str(root, "INPUT.DATASET_MAPPER_NAME", &mapper, err));
    VCT_TRY(ppqg_config_from_case(&m->q_cfg, &m->dec_cfg, mapper, sd, VQB_PREFIX, err));
    /* the audio MLP's sizes (hard-coded 512 -> 4096 -> 4096 -> 256 in the reference) */
    const tensor *w0 = tensor_dict_find(sd, MLP_PREFIX "embeddings.0.weight");
    const tensor *w4 = tensor_dict_find(sd, MLP_PREFIX "embeddings.4.weight");
    if (!w0 || !w4 || w0->ndim != 2 || w4->ndim != 2)
        return vct_fail(err, VCT_STATUS_FORMAT, "tensor '" MLP_PREFIX "embeddings.{0,4}.weight' is missing or not 2-d");
    m->audio.mlp_cfg.in_dim = 512; /* VGGish channels; a checkpoint of another width fails its shape check */
    m->audio.mlp_cfg.hidden_dim = w0->shape[0];
    m->audio.mlp_cfg.out_dim = w4->shape[0];
    if (m->audio.mlp_cfg.out_dim != m->dec_cfg.hidden_dim)
        return vct_fail(err, VCT_STATUS_SHAPE, "tensor '" MLP_PREFIX "embeddings.4.weight': %lld audio channels, the "
                        "decoder (MASK_FORMER.HIDDEN_DIM) has %lld", (long long)m->audio.mlp_cfg.out_dim,
                        (long long)m->dec_cfg.hidden_dim);
    /* the network input: query_mixer mixes Hm*Wm pixels of mask_features (res2's stride) */
    const int64_t side = (int64_t)llround(sqrt((double)m->q_cfg.num_pixel)), stride = m->bb.spec.strides[0];
    if (side < 1 || side * side != m->q_cfg.num_pixel)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "tensor '" VQB_PREFIX "query_mixer.layers.0.weight' mixes %lld "
                        "pixels: not a square mask map", (long long)m->q_cfg.num_pixel);
    m->input_h = m->input_w = side * stride;
    if (m->input_h % m->size_divisibility)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "input %lldx%lld (from %lld query_mixer pixels) is not a multiple "
                        "of SIZE_DIVISIBILITY %lld", (long long)m->input_h, (long long)m->input_w,
                        (long long)m->q_cfg.num_pixel, (long long)m->size_divisibility);
    return VCT_STATUS_OK;
}

vct_status vct_model_build(vct_model *m, cJSON *config, const char *config_source, const tensor_dict *sd,
                           const char *what, vct_error *err) {
    return vct_model_build_ex(m, config, config_source, sd, what, 0, err);
}

vct_status vct_model_build_ex(vct_model *m, cJSON *config, const char *config_source, const tensor_dict *sd,
                              const char *what, int trainable, vct_error *err) {
    memset(m, 0, sizeof *m);
    m->trainable = trainable = trainable != 0;
    m->config = config;
    snprintf(m->config_source, sizeof m->config_source, "%s", config_source);
    param_table_init(&m->pt);
    snprintf(m->what, sizeof m->what, "%s", what);
    vct_status st = configure(m, sd, err);
    if (st != VCT_STATUS_OK) return vct_error_wrap(err, "%s", what);
    param_table *pt = &m->pt;
    backbone_register(&m->bb, pt, "backbone.", trainable);
    if (m->use_pre_sam) prior_branch_register(pt, &m->pre_sam_cfg, &m->prior, trainable);
    msdeformattn_register(pt, PD_PREFIX, &m->pd_cfg, &m->pd, trainable);
    vggish_register(pt, "audio_backbone.", &m->audio.vgg); /* frozen: requires_grad False, under no_grad */
    audio_mlp_register(pt, MLP_PREFIX, &m->audio.mlp_cfg, &m->audio.mlp, trainable);
    av_decoder_register(pt, PRED_PREFIX, &m->dec_cfg, &m->dec, trainable);
    ppqg_register(pt, VQB_PREFIX, &m->q_cfg, &m->q, trainable);
    if (m->dec_cfg.has_proto_proj) { /* S4/AVSS: the prototype-audio loss's projection (unused at inference) */
        const int64_t E = m->audio.mlp_cfg.out_dim, ps[2] = {E, E};
        param_add(pt, PRED_PREFIX, "audio_proj.weight", 2, ps, trainable, PARAM_KIND_WEIGHT, &m->audio.audio_proj_weight);
        /* SetCriterion_SS_PAC / _S4_PAC: nn.Parameter(log(1/0.07)), trained, not clamped */
        if (trainable) param_add(pt, "criterion.", "logit_scale", 0, NULL, 1, PARAM_KIND_WEIGHT, &m->logit_scale);
    }
    if ((st = param_table_alloc(pt, err)) != VCT_STATUS_OK) return st;
    if (trainable && (st = param_table_alloc_grads(pt, err)) != VCT_STATUS_OK) return st;
    if ((st = param_table_load(pt, sd, what, &m->n_unused, err)) != VCT_STATUS_OK) {
        size_t n = strlen(err->msg); /* the shapes the config asks for: say which config */
        snprintf(err->msg + n, sizeof err->msg - n, " (as %s builds the model)", m->config_source);
        return st;
    }
    if ((st = backbone_check_buffers(&m->bb, sd, "backbone.", err)) != VCT_STATUS_OK ||
        (m->use_pre_sam && (st = swin_check_buffers(sd, "pre_sam_backbone.", &m->pre_sam_cfg, err)) != VCT_STATUS_OK))
        return vct_error_wrap(err, "%s", what);
    log_info("model: %s, %s, %lld tensors (%.1f M parameters), %lld checkpoint keys unused; input %lldx%lld",
             audio_task_name(m->task), m->use_pre_sam ? "with the pre-SAM prior branch" : "no prior branch",
             (long long)pt->count, (double)pt->total / 1e6, (long long)m->n_unused, (long long)m->input_h,
             (long long)m->input_w);
    return VCT_STATUS_OK;
}

void vct_model_release(vct_model *m) {
    param_table_free(&m->pt);
    backbone_free(&m->bb);
    cJSON_Delete(m->config);
    memset(m, 0, sizeof *m);
}

void vct_forward_outputs_free(vct_forward_outputs *o) {
    free(o->pred_logits);
    free(o->pred_masks);
    free(o->sem_seg);
    free(o->labels_224);
    free(o->labels_own);
    memset(o, 0, sizeof *o);
}

vct_status vct_model_decide(uint8_t *labels, const float *s, int64_t K, int64_t H, int64_t W, vct_error *err) {
    const int64_t HW = H * W;
    if (K != 2) {
        sem_seg_argmax(labels, s, 1, K, H, W);
        return VCT_STATUS_OK;
    }
    /* the evaluator's softmax over the 2 channels, as [HW, 2] rows in one call */
    float *x = calloc((size_t)(4 * HW), sizeof(float));
    if (!x) return vct_fail(err, VCT_STATUS_NO_MEMORY, "no memory for %lldx%lld probabilities", (long long)H, (long long)W);
    for (int64_t i = 0; i < HW; i++) x[2 * i] = s[i], x[2 * i + 1] = s[HW + i];
    vct_status st = softmax_forward(x + 2 * HW, x, HW, 2, err);
    for (int64_t i = 0; i < HW && st == VCT_STATUS_OK; i++) labels[i] = x[2 * HW + 2 * i + 1] > 0.5f;
    free(x);
    return st;
}

/* in groups of G >= 2 channels: the C > 1 kernel of interpolate.h, as a whole-tensor resize */
vct_status vct_model_decide_resized(uint8_t *labels, const float *s, int64_t K, int64_t H, int64_t W, int64_t Ho,
                                   int64_t Wo, vct_error *err) {
    const int64_t G = K == 2 ? 2 : 8, HW = Ho * Wo;
    float *buf = malloc((size_t)(G * HW) * sizeof(float)), *best = K == 2 ? NULL : malloc((size_t)HW * sizeof(float));
    vct_status st = VCT_STATUS_OK;
    if (!buf || (K != 2 && !best)) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "no memory for %lldx%lld labels",
                                                 (long long)Ho, (long long)Wo);
    for (int64_t next = 0; st == VCT_STATUS_OK && next < K;) {
        int64_t c1 = next + G < K ? next + G : K, c0 = c1 - next < 2 ? c1 - 2 : next;
        st = interpolate_bilinear_forward(buf, s + c0 * H * W, 1, c1 - c0, H, W, Ho, Wo, 0, NULL, err);
        if (st != VCT_STATUS_OK) break;
        if (K == 2) {
            st = vct_model_decide(labels, buf, 2, Ho, Wo, err);
            break;
        }
        for (int64_t c = next; c < c1; c++) { /* running first argmax; a NaN wins (sem_seg_argmax) */
            const float *x = buf + (c - c0) * HW;
            for (int64_t i = 0; i < HW; i++)
                if (c == 0 || (!isnan(best[i]) && (isnan(x[i]) || x[i] > best[i]))) {
                    best[i] = x[i];
                    labels[i] = (uint8_t)c;
                }
        }
        next = c1;
    }
    free(buf);
    free(best);
    return st;
}

/* u8 [B,H,W,3] -> normalised fp32 [B,3,H,W] (VCT.forward's (x - mean) / std) */
static ag_var *normalised(ag_tape *t, const vct_model *m, const uint8_t *px, int64_t B) {
    const int64_t H = m->input_h, W = m->input_w;
    ag_var *x = ag_new(t, 4, (int64_t[4]){B, 3, H, W});
    if (!x) return NULL;
    for (int64_t b = 0; b < B; b++) pixels_normalize(x->data + b * 3 * H * W, px + b * H * W * 3, H, W, m->pixel_mean, m->pixel_std);
    return x;
}

vct_status vct_model_network(ag_tape *t, const vct_model *m, const uint8_t *frames, const uint8_t *maskige,
                             int64_t B, ag_var *audio, draw_source *draws, const int64_t *force_idx,
                             vct_network_outputs *o, vct_error *err) {
    memset(o, 0, sizeof *o);
    ag_var *F[BACKBONE_MAX_OUTS] = {0};
    /* draw order as the reference: frame backbone, pre-SAM backbone, then the PPQG's Gumbel */
    backbone_forward(&m->bb, t, normalised(t, m, frames, B), draws, "backbone", F);
    if (m->use_pre_sam)
        prior_branch_forward(t, &m->pre_sam_cfg, &m->prior, F, normalised(t, m, maskige, B), draws, NULL, NULL,
                             o->fused);
    else
        memcpy(o->fused, F, sizeof F);
    msdeformattn_forward(t, &m->pd_cfg, &m->pd, o->fused, &o->pd);
    ag_var *vq = ppqg_forward(t, &m->q_cfg, &m->q, o->pd.mask_features, draws, force_idx, &o->q);
    av_decoder_forward(t, &m->dec_cfg, &m->dec, audio, o->pd.multi_scale_features, o->pd.mask_features, vq, NULL,
                       &o->dec);
    if (t->status != VCT_STATUS_OK) return vct_fail(err, t->status, "%s", t->err.msg);
    return VCT_STATUS_OK;
}

/* Inference on frames [b0, b0+B): pred_logits / pred_masks of the last layer. */
static vct_status network(ag_tape *t, const vct_model *m, const vct_forward_inputs *in, const float *audio, int64_t b0,
                          int64_t B, ag_var **logits, ag_var **masks, vct_error *err) {
    const int64_t HW = m->input_h * m->input_w, E = m->audio.mlp_cfg.out_dim;
    ag_var *a = ag_leaf(t, (float *)audio + b0 * E * 24, NULL, 4, (int64_t[4]){B, E, 6, 4}, 0);
    vct_network_outputs o;
    VCT_TRY(vct_model_network(t, m, in->frames + b0 * HW * 3, m->use_pre_sam ? in->maskige + b0 * HW * 3 : NULL, B, a,
                              NULL, NULL, &o, err));
    *logits = o.dec.pred_logits[o.dec.n_preds - 1];
    *masks = o.dec.pred_masks[o.dec.n_preds - 1];
    return VCT_STATUS_OK;
}

/* Post-processing of frame b (global index): sem_seg at 224 and the labels. */
static vct_status post(const vct_model *m, const vct_forward_inputs *in, vct_forward_outputs *o, int64_t b,
                       float *s, arena *scratch, vct_error *err) {
    const int64_t Q = o->Q, K = o->K, HmWm = o->Hm * o->Wm, E2 = (int64_t)EVAL_SIZE * EVAL_SIZE;
    /* the class scores at the network input (identity resize), then each output size
     * from them, as sem_seg_postprocess resizes the cropped map */
    sem_seg_params sp = sem_seg_params_own_size(m->input_h, m->input_w);
    /* AVSS multiplies frame b by the UNFILTERED flag vector's entry b (model.md §1.10 step 3) */
    const float *flag = m->task == AUDIO_TASK_AVSS && in->vid_flag ? in->vid_flag + b : NULL;
    VCT_TRY(semantic_inference(s, o->pred_logits + b * Q * (K + 1), o->pred_masks + b * Q * HmWm, flag, 1, Q, K, o->Hm,
                               o->Wm, &sp, scratch, err));
    float *s224 = o->sem_seg + b * K * E2;
    VCT_TRY(interpolate_bilinear_forward(s224, s, 1, K, sp.img_h, sp.img_w, EVAL_SIZE, EVAL_SIZE, 0, NULL, err));
    VCT_TRY(vct_model_decide(o->labels_224 + b * E2, s224, K, EVAL_SIZE, EVAL_SIZE, err));
    if (o->labels_own)
        VCT_TRY(vct_model_decide_resized(o->labels_own + b * in->own_h * in->own_w, s, K, sp.img_h, sp.img_w, in->own_h,
                               in->own_w, err));
    return VCT_STATUS_OK;
}

vct_status vct_model_check_inputs(const vct_model *m, const vct_forward_inputs *in, vct_error *err) {
    if (in->T < 1 || !in->frames)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "no frames");
    if (m->use_pre_sam && !in->maskige)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "the model has the pre-SAM prior branch "
                        "(MODEL.PRE_SAM.USE_PRE_SAM): every frame needs its Maskige");
    if (!in->log_mel || in->A < 1)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "no audio log-mel rows");
    int64_t kept = in->vid_flag ? 0 : in->A;
    for (int64_t a = 0; in->vid_flag && a < in->A; a++) kept += in->vid_flag[a] == 1.0f;
    if (in->vid_flag ? kept != in->T : in->A < in->T)
        return vct_fail(err, VCT_STATUS_SHAPE, "%lld frames, but %lld audio rows%s: one row per frame is needed",
                        (long long)in->T, (long long)kept, in->vid_flag ? " with vid flag 1" : "");
    return VCT_STATUS_OK;
}

vct_status vct_model_forward(const vct_model *m, const vct_forward_inputs *in, int64_t chunk,
                             vct_progress_callback on_progress, void *user_data, vct_forward_outputs *out, vct_error *err) {
    memset(out, 0, sizeof *out);
    VCT_TRY(vct_model_check_inputs(m, in, err));
    const int64_t T = in->T, Q = m->dec_cfg.num_queries, K = m->dec_cfg.num_classes;
    const int64_t Hm = m->input_h / m->bb.spec.strides[0], Wm = m->input_w / m->bb.spec.strides[0];
    const int64_t E2 = (int64_t)EVAL_SIZE * EVAL_SIZE, P = m->input_h * m->input_w;
    if (chunk <= 0 || chunk > T) chunk = T;
    arena mem = {0}, scratch = {0};
    ag_tape t = {0};
    audio_model_outputs ao;
    float *s = NULL;
    memset(&ao, 0, sizeof ao);
    out->B = T, out->Q = Q, out->K = K, out->Hm = Hm, out->Wm = Wm;
    out->pred_logits = malloc((size_t)(T * Q * (K + 1)) * sizeof(float));
    out->pred_masks = malloc((size_t)(T * Q * Hm * Wm) * sizeof(float));
    out->sem_seg = malloc((size_t)(T * K * E2) * sizeof(float));
    out->labels_224 = malloc((size_t)(T * E2));
    if (in->own_h > 0 && in->own_w > 0) out->labels_own = malloc((size_t)(T * in->own_h * in->own_w));
    s = malloc((size_t)(K * P) * sizeof(float));
    vct_status st = VCT_STATUS_OK;
    if (!out->pred_logits || !out->pred_masks || !out->sem_seg || !out->labels_224 || !s ||
        (in->own_h > 0 && in->own_w > 0 && !out->labels_own))
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "no memory for the outputs of %lld frames", (long long)T);
    /* activations of one chunk: the stage outputs plus the largest block (measured peaks:
     * docs/segment.md); the arena is virtual memory until touched */
    if (st == VCT_STATUS_OK) st = arena_init(&mem, ((size_t)512 << 20) + (size_t)(chunk * P) * 2048, err);
    if (st == VCT_STATUS_OK) st = arena_init(&scratch, ((size_t)256 << 20) + (size_t)(chunk * P) * 1024, err);
    if (st == VCT_STATUS_OK) st = ag_tape_init(&t, &mem, &scratch, 0, 0, err);
    double t0 = wall_seconds();
    if (st == VCT_STATUS_OK) st = audio_model_run(&m->audio, in->log_mel, in->A, in->vid_flag, &ao, err);
    out->seconds_audio = wall_seconds() - t0;
    for (int64_t b0 = 0; b0 < T && st == VCT_STATUS_OK; b0 += chunk) {
        const int64_t B = b0 + chunk < T ? chunk : T - b0;
        double t1 = wall_seconds();
        ag_var *lg = NULL, *mk = NULL;
        ag_tape_reset(&t);
        arena_rewind(&mem, 0);
        st = network(&t, m, in, ao.features, b0, B, &lg, &mk, err);
        if (st != VCT_STATUS_OK) break;
        memcpy(out->pred_logits + b0 * Q * (K + 1), lg->data, (size_t)ag_numel(lg) * sizeof(float));
        memcpy(out->pred_masks + b0 * Q * Hm * Wm, mk->data, (size_t)ag_numel(mk) * sizeof(float));
        double t2 = wall_seconds();
        out->seconds_network += t2 - t1;
        arena_rewind(&mem, 0); /* the network's activations are dead: post-processing scratch */
        for (int64_t b = b0; b < b0 + B && st == VCT_STATUS_OK; b++) st = post(m, in, out, b, s, &mem, err);
        out->seconds_post += wall_seconds() - t2;
        if (on_progress && st == VCT_STATUS_OK) on_progress(b0 + B, T, user_data);
    }
    out->arena_peak = mem.peak + scratch.peak;
    if (st == VCT_STATUS_OK)
        log_info("forward: %lld frame(s), %lld at a time: audio %.2f s, network %.2f s, post-processing %.2f s; "
                 "activation peak %.1f MiB", (long long)T, (long long)chunk, out->seconds_audio, out->seconds_network,
                 out->seconds_post, (double)out->arena_peak / (1 << 20));
    audio_model_outputs_free(&ao);
    ag_tape_free(&t);
    arena_free(&mem);
    arena_free(&scratch);
    free(s);
    if (st != VCT_STATUS_OK) vct_forward_outputs_free(out);
    return st;
}
