/* segment_out.c: vct segment's masks, JSON and dump, staged and committed; see segment_out.h. */
#include "data/segment_out.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/tensor.h"
#include "data/avsbench.h"
#include "io/fs.h"
#include "io/image.h"
#include "io/json_file.h"
#include "io/safetensors.h"
#include "io/staging.h"

/* one mask PNG: AVSS palette indices (value = class id), S4/MS3 gray 0/255 */
static vct_status write_mask(const char *path, const uint8_t *lab, int64_t H, int64_t W, int64_t K, vct_error *err) {
    image_u8 im = {0};
    VCT_TRY(image_alloc(&im, H, W, 1, err));
    uint8_t pal[256 * 3];
    for (int64_t i = 0; i < H * W; i++) im.data[i] = K == 2 ? (uint8_t)(lab[i] ? 255 : 0) : lab[i];
    for (int c = 0; c < K && K != 2; c++) avs_palette_colour(c, pal + 3 * c);
    vct_status st = image_write_png(path, &im, K == 2 ? NULL : pal, K == 2 ? 0 : (int)K, err);
    image_free(&im);
    return st;
}

static cJSON *class_list(const uint8_t *lab, int64_t n, int64_t K) {
    int64_t count[256] = {0};
    for (int64_t i = 0; i < n; i++) count[lab[i]]++;
    cJSON *a = cJSON_CreateArray();
    for (int64_t c = 0; c < K; c++) {
        if (!count[c]) continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", (double)c);
        cJSON_AddStringToObject(o, "name", K == 2 ? (c ? "sounding object" : "background")
                                           : K == AVS_NUM_CLASSES ? avs_class_name((int)c) : "");
        cJSON_AddNumberToObject(o, "pixels", (double)count[c]);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

/* labels[b,i] = the class with the largest score over K (the first on ties; a NaN wins),
 * the decision of semantic_inference's sem_seg_argmax, for the dump's sem_seg_argmax */
static void class_argmax(uint8_t *labels, const float *sem_seg, int64_t B, int64_t K, int64_t HW) {
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < HW; i++) {
            const float *x = sem_seg + b * K * HW + i;
            int64_t best = 0;
            for (int64_t c = 1; c < K; c++)
                if (isnan(x[best * HW]) ? 0 : (isnan(x[c * HW]) || x[c * HW] > x[best * HW])) best = c;
            labels[b * HW + i] = (uint8_t)best;
        }
}

static vct_status write_dump(const char *path, const vct_segmentation *s, vct_error *err) {
    if (!s->pred_logits || !s->pred_masks || !s->sem_seg)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: the segmentation kept no scores to dump", path);
    tensor_dict d;
    tensor_dict_init(&d);
    const int64_t T = s->T, K = s->K;
    uint8_t *am = malloc((size_t)(T * 224 * 224));
    vct_status st = am ? VCT_STATUS_OK : vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    if (st == VCT_STATUS_OK) class_argmax(am, s->sem_seg, T, K, 224 * 224);
    if (st == VCT_STATUS_OK)
        st = tensor_dict_add(&d, "pred_logits", VCT_DTYPE_F32, 3, (int64_t[3]){T, s->Q, K + 1}, s->pred_logits, NULL, err);
    if (st == VCT_STATUS_OK)
        st = tensor_dict_add(&d, "pred_masks", VCT_DTYPE_F32, 4, (int64_t[4]){T, s->Q, s->Hm, s->Wm}, s->pred_masks, NULL,
                             err);
    if (st == VCT_STATUS_OK)
        st = tensor_dict_add(&d, "sem_seg", VCT_DTYPE_F32, 4, (int64_t[4]){T, K, 224, 224}, s->sem_seg, NULL, err);
    if (st == VCT_STATUS_OK)
        st = tensor_dict_add(&d, "sem_seg_argmax", VCT_DTYPE_U8, 3, (int64_t[3]){T, 224, 224}, am, NULL, err);
    if (st == VCT_STATUS_OK) st = tensor_dict_set_meta(&d, "vct_version", VCT_VERSION_STRING, err);
    if (st == VCT_STATUS_OK) st = safetensors_write(path, &d, err);
    free(am);
    tensor_dict_free(&d);
    return st;
}

static cJSON *describe(const clip *c, const vct_segmentation *seg, const segment_out_info *info) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "vct_version", VCT_VERSION_STRING);
    cJSON_AddStringToObject(root, "model", info->model_path);
    cJSON_AddStringToObject(root, "config", info->config_source);
    cJSON_AddStringToObject(root, "task", info->task_name);
    cJSON_AddNumberToObject(root, "classes", (double)seg->K);
    cJSON_AddNumberToObject(root, "input_size", info->input_size);
    cJSON_AddStringToObject(root, "source", info->source);
    cJSON_AddStringToObject(root, "audio", info->audio);
    cJSON_AddStringToObject(root, "maskige", info->maskige_dir ? info->maskige_dir
                                                               : "fallback blank: every pixel (120,120,120), no "
                                                                 "Semantic-SAM prior (see docs/segment.md)");
    cJSON *o = cJSON_AddObjectToObject(root, "outputs");
    cJSON_AddStringToObject(o, "mask_224", "masks_224/<frame>.png: 224x224, the official evaluation size "
                                           "(sem_seg_postprocess of the 384x384 map)");
    cJSON_AddStringToObject(o, "mask", "masks/<frame>.png: the frame's own size (the same 384x384 map resized "
                                       "bilinearly, then decided)");
    cJSON_AddStringToObject(o, "encoding", seg->K == 2 ? "8-bit gray: 255 = sounding object (softmax > 0.5), 0 = "
                                                         "background"
                                                       : "palette PNG: pixel value = class id (AVSBench palette)");
    cJSON *fr = cJSON_AddArrayToObject(root, "frames");
    char rel[4200];
    for (int64_t t = 0; t < seg->T; t++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddItemToArray(fr, f);
        cJSON_AddStringToObject(f, "frame", c->frame[t] ? c->frame[t] : c->stem[t]);
        if (c->maskige[t]) cJSON_AddStringToObject(f, "maskige", c->maskige[t]);
        cJSON_AddNumberToObject(f, "width", (double)seg->W);
        cJSON_AddNumberToObject(f, "height", (double)seg->H);
        snprintf(rel, sizeof rel, "masks_224/%s.png", c->stem[t]);
        cJSON_AddStringToObject(f, "mask_224", rel);
        cJSON_AddItemToObject(f, "classes_224", class_list(seg->labels_224 + t * 224 * 224, 224 * 224, seg->K));
        snprintf(rel, sizeof rel, "masks/%s.png", c->stem[t]);
        cJSON_AddStringToObject(f, "mask", rel);
        cJSON_AddItemToObject(f, "classes", class_list(seg->labels + t * seg->H * seg->W, seg->H * seg->W, seg->K));
    }
    return root;
}

/* the masks and the JSON into the staging folder dir, the dump to its own path */
static vct_status write_all(const char *dir, const clip *c, const vct_segmentation *seg, const segment_out_info *info,
                            int *dump_written, vct_error *err) {
    char path[STAGING_PATH_MAX + 300];
    const double t_start = wall_seconds();
    if (!seg->labels) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: the segmentation has no own-size labels", dir);
    snprintf(path, sizeof path, "%s/masks", dir);
    VCT_TRY(fs_mkdirs(path, err));
    snprintf(path, sizeof path, "%s/masks_224", dir);
    VCT_TRY(fs_mkdirs(path, err));
    for (int64_t t = 0; t < seg->T; t++) {
        snprintf(path, sizeof path, "%s/masks_224/%s.png", dir, c->stem[t]);
        VCT_TRY(write_mask(path, seg->labels_224 + t * 224 * 224, 224, 224, seg->K, err));
        snprintf(path, sizeof path, "%s/masks/%s.png", dir, c->stem[t]);
        VCT_TRY(write_mask(path, seg->labels + t * seg->H * seg->W, seg->H, seg->W, seg->K, err));
    }
    if (info->dump_path) {
        VCT_TRY(write_dump(info->dump_path, seg, err));
        *dump_written = 1;
    }
    cJSON *root = describe(c, seg, info);
    if (!root) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    cJSON *tm = cJSON_AddObjectToObject(root, "timings");
    cJSON_AddNumberToObject(tm, "load_s", info->load_s);
    cJSON_AddNumberToObject(tm, "audio_and_resize_s", seg->seconds_audio);
    cJSON_AddNumberToObject(tm, "network_s", seg->seconds_network);
    cJSON_AddNumberToObject(tm, "network_per_frame_s", seg->seconds_network / (double)seg->T);
    cJSON_AddNumberToObject(tm, "postprocess_s", seg->seconds_post);
    cJSON_AddNumberToObject(tm, "write_s", wall_seconds() - t_start);
    cJSON_AddNumberToObject(tm, "total_s", wall_seconds() - info->t0);
    snprintf(path, sizeof path, "%s/segment.json", dir);
    vct_status st = json_file_write(path, root, err);
    cJSON_Delete(root);
    return st;
}

vct_status segment_out_write(const char *out, const clip *c, const vct_segmentation *seg,
                             const segment_out_info *info, vct_error *err) {
    staging s;
    VCT_TRY(staging_init(&s, out, err));
    if (staging_left_over(&s))
        return vct_fail(err, VCT_STATUS_IO, "%s exists (left by a run that stopped): remove it", s.dir);
    VCT_TRY(staging_create(&s, err));
    int dump_written = 0;
    vct_status st = write_all(s.dir, c, seg, info, &dump_written, err);
    if (st == VCT_STATUS_OK) st = staging_commit(&s, err);
    if (st != VCT_STATUS_OK) {
        if (dump_written) unlink(info->dump_path); /* nothing half-done stays behind */
        vct_error rm = {0};
        if (staging_discard(&s, &rm) != VCT_STATUS_OK) log_warn("%s", rm.msg);
    }
    return st;
}
