/* vct_segment.c: the public model API of include/vct.h: loading a checkpoint with
 * its config, and segmenting one clip (inputs resized to the network's size as
 * the official 384 data was made, audio through the official front end, then
 * vct_model_forward). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audio/decode.h"
#include "audio/mel.h"
#include "audio/resample.h"
#include "core/log.h"
#include "io/resize.h"
#include "io/tensor_file.h"
#include "io/yaml.h"
#include "model/vct_model.h"

#define CHECKPOINT_FORMAT "vct-checkpoint"
#define CHECKPOINT_VERSION "1"

const char *vct_task_name(vct_task task) {
    switch (task) {
    case VCT_TASK_S4: return "s4";
    case VCT_TASK_MS3: return "ms3";
    case VCT_TASK_AVSS: return "avss";
    }
    return "?";
}

static vct_task public_task(audio_task t) {
    return t == AUDIO_TASK_S4 ? VCT_TASK_S4 : t == AUDIO_TASK_MS3 ? VCT_TASK_MS3 : VCT_TASK_AVSS;
}

vct_model_params vct_model_default_params(void) {
    vct_model_params p = {NULL};
    return p;
}

vct_segment_params vct_segment_default_params(void) {
    vct_segment_params p = {1, 0, 1, NULL, NULL};
    return p;
}

vct_task vct_model_task(const vct_model *model) { return public_task(model->task); }
int vct_model_num_classes(const vct_model *model) { return (int)model->dec_cfg.num_classes; }
int vct_model_input_size(const vct_model *model) { return (int)model->input_h; }
int vct_model_has_prior(const vct_model *model) { return model->use_pre_sam; }

/* The config: the caller's file, else the checkpoint's metadata, else config.yaml beside it. */
static vct_status find_config(const char *path, const vct_model_params *p, const tensor_dict *sd, cJSON **cfg,
                              char *source, size_t cap, vct_error *err) {
    const char *meta = tensor_dict_get_meta(sd, "detectron2_config");
    if (p && p->config_path) {
        snprintf(source, cap, "%s", p->config_path);
        return yaml_read(p->config_path, cfg, err);
    }
    if (meta) {
        snprintf(source, cap, "%s (its detectron2_config)", path);
        *cfg = cJSON_Parse(meta);
        return *cfg ? VCT_STATUS_OK : vct_fail(err, VCT_STATUS_FORMAT, "%s: metadata detectron2_config is not JSON", path);
    }
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path) + 1 : 0;
    snprintf(source, cap, "%.*sconfig.yaml", dir_len, path);
    struct stat sb;
    if (stat(source, &sb) != 0)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "%s carries no config and there is no %s beside it: give the detectron2 config.yaml the model "
                        "was trained with (vct segment --config; or store it with vct convert --config)", path, source);
    log_info("model: config from %s (beside the checkpoint)", source);
    return yaml_read(source, cfg, err);
}

vct_status vct_model_load(const char *path, const vct_model_params *params, vct_model **model, vct_error *err) {
    *model = NULL;
    tensor_dict sd;
    tensor_file_kind kind;
    cJSON *cfg = NULL;
    char source[1100];
    double t0 = wall_seconds();
    VCT_TRY(tensor_file_read(path, 0, &sd, &kind, err));
    vct_status st = VCT_STATUS_OK;
    const char *fmt = tensor_dict_get_meta(&sd, "format"), *ver = tensor_dict_get_meta(&sd, "format_version");
    if (kind != TENSOR_FILE_PTH && kind != TENSOR_FILE_PICKLE && kind != TENSOR_FILE_SAFETENSORS)
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: a %s file, not a checkpoint (.pth or .safetensors)", path,
                      tensor_file_kind_name(kind));
    else if (sd.count == 0)
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: holds no tensors", path);
    else if (fmt && (strcmp(fmt, CHECKPOINT_FORMAT) != 0 || !ver || strcmp(ver, CHECKPOINT_VERSION) != 0))
        st = vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: checkpoint format '%s' version '%s'; this vct reads '%s' "
                      "version %s", path, fmt, ver ? ver : "(none)", CHECKPOINT_FORMAT, CHECKPOINT_VERSION);
    if (st == VCT_STATUS_OK) st = find_config(path, params, &sd, &cfg, source, sizeof source, err);
    vct_model *m = NULL;
    if (st == VCT_STATUS_OK && !(m = calloc(1, sizeof *m))) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    if (st == VCT_STATUS_OK) {
        st = vct_model_build(m, cfg, source, &sd, path, err);
        cfg = NULL; /* owned by m */
    }
    tensor_dict_free(&sd); /* the table holds its own copy */
    cJSON_Delete(cfg);
    if (st != VCT_STATUS_OK) {
        vct_model_free(m);
        return st;
    }
    log_info("model: %s loaded in %.1f s", path, wall_seconds() - t0);
    *model = m;
    return VCT_STATUS_OK;
}

void vct_model_free(vct_model *model) {
    if (!model) return;
    vct_model_release(model);
    free(model);
}

void vct_segmentation_free(vct_segmentation *s) {
    if (!s) return;
    free(s->labels_224);
    free(s->labels);
    free(s->pred_logits);
    free(s->pred_masks);
    free(s->sem_seg);
    memset(s, 0, sizeof *s);
}

/* The first T log-mel examples of the clip's samples (the official front end: the mean
 * over channels, 16 kHz; S4/MS3/AVSS take their rows from the start of the same sequence). */
static vct_status audio_rows(const vct_clip *clip, int64_t T, float **out, vct_error *err) {
    const char *path = "the clip's audio";
    double *mono = NULL;
    VCT_TRY(audio_mono_alloc(&mono, clip->pcm, clip->n_samples, clip->channels, path, err));
    double *x = mono, *res = NULL;
    int64_t n = clip->n_samples, N = 0;
    vct_status st = VCT_STATUS_OK;
    if (clip->sample_rate != 16000) {
        st = audio_resample_alloc(&res, &n, mono, clip->n_samples, clip->sample_rate, 16000, err);
        x = res;
    }
    if (st == VCT_STATUS_OK && vggish_num_examples(n) < T)
        st = vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                      "%.3f s of audio gives %lld VGGish example(s) (one per 0.96 s, the first needs 0.975 s), but the "
                      "clip has %lld frame(s): the audio is shorter than the clip", (double)n / 16000,
                      (long long)vggish_num_examples(n), (long long)T);
    if (st == VCT_STATUS_OK && !(*out = malloc((size_t)vggish_num_examples(n) * 96 * 64 * sizeof(float))))
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    if (st == VCT_STATUS_OK) st = vggish_examples(*out, &N, x, n, err);
    free(res);
    free(mono);
    if (st != VCT_STATUS_OK) vct_error_wrap(err, "%s", path);
    return st;
}

/* [T,H,W,3] -> [T,S,S,3]: PIL bilinear (frames, as generate_data_384) or nearest (Maskiges) */
static vct_status resized(uint8_t **out, const uint8_t *in, int64_t T, int64_t H, int64_t W, int64_t S, int nearest,
                          vct_error *err) {
    const int64_t n = S * S * 3;
    if (!(*out = malloc((size_t)(T * n)))) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    for (int64_t t = 0; t < T; t++) {
        image_u8 src = {(uint8_t *)in + t * H * W * 3, H, W, 3}, dst;
        VCT_TRY(nearest ? resize_nearest_pil(&dst, &src, S, S, err) : resize_bilinear_pil(&dst, &src, S, S, err));
        memcpy(*out + t * n, dst.data, (size_t)n);
        image_free(&dst);
    }
    return VCT_STATUS_OK;
}

vct_status vct_segment(const vct_model *model, const vct_clip *clip, const vct_segment_params *params,
                       vct_segmentation *out, vct_error *err) {
    memset(out, 0, sizeof *out);
    vct_segment_params p = params ? *params : vct_segment_default_params();
    if (clip->T < 1 || clip->H < 1 || clip->W < 1 || !clip->frames)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "clip: %lld frame(s) of %lldx%lld", (long long)clip->T,
                        (long long)clip->H, (long long)clip->W);
    if (model->use_pre_sam && !clip->maskige)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "the model fuses a pre-SAM Maskige into every frame "
                        "(MODEL.PRE_SAM.USE_PRE_SAM), and the clip has none");
    if (!clip->log_mel && !clip->pcm)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "clip: no audio (log_mel or pcm)");
    const int64_t T = clip->T, S = model->input_h;
    uint8_t *frames = NULL, *masks = NULL;
    float *rows = NULL;
    vct_forward_outputs fo;
    memset(&fo, 0, sizeof fo);
    vct_status st = VCT_STATUS_OK;
    double t0 = wall_seconds();
    if (!clip->log_mel) st = audio_rows(clip, T, &rows, err);
    const int same = clip->H == S && clip->W == S;
    if (st == VCT_STATUS_OK && !same) st = resized(&frames, clip->frames, T, clip->H, clip->W, S, 0, err);
    if (st == VCT_STATUS_OK && !same && model->use_pre_sam)
        st = resized(&masks, clip->maskige, T, clip->H, clip->W, S, 1, err);
    vct_forward_inputs in = {T, same ? clip->frames : frames, same ? clip->maskige : masks,
                             rows ? rows : clip->log_mel, rows ? T : clip->A, rows ? NULL : clip->vid_flag,
                             p.own_size ? clip->H : 0, p.own_size ? clip->W : 0};
    double t1 = wall_seconds();
    if (st == VCT_STATUS_OK)
        st = vct_model_forward(model, &in, p.frames_per_batch, p.progress, p.progress_user_data, &fo, err);
    free(frames);
    free(masks);
    free(rows);
    if (st != VCT_STATUS_OK) return st;
    out->task = public_task(model->task);
    out->T = T, out->K = fo.K, out->H = clip->H, out->W = clip->W, out->Q = fo.Q, out->Hm = fo.Hm, out->Wm = fo.Wm;
    out->labels_224 = fo.labels_224, out->labels = fo.labels_own;
    if (p.keep_scores) {
        out->pred_logits = fo.pred_logits, out->pred_masks = fo.pred_masks, out->sem_seg = fo.sem_seg;
    } else {
        free(fo.pred_logits);
        free(fo.pred_masks);
        free(fo.sem_seg);
    }
    out->seconds_audio = fo.seconds_audio + (t1 - t0);
    out->seconds_network = fo.seconds_network;
    out->seconds_post = fo.seconds_post;
    return VCT_STATUS_OK;
}
