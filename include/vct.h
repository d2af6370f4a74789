/* vct.h: the public API of vct, the Vision-Centric Transformer (CVPR 2025) for
 * audio-visual segmentation, in C11.
 *
 * Usage: segment one clip (T frames, their pre-SAM Maskiges, its audio):
 *
 *     vct_error err = {0};
 *     vct_model *model = NULL;
 *     if (vct_model_load("model_best.pth", NULL, &model, &err) != VCT_STATUS_OK) {
 *         fprintf(stderr, "vct: %s\n", err.msg);   // names the file and the problem
 *         return 1;
 *     }
 *     vct_clip clip = {.T = 5, .H = h, .W = w, .frames = rgb, .maskige = maskige_rgb,
 *                      .pcm = samples, .n_samples = n, .channels = 2, .sample_rate = 44100};
 *     vct_segment_params sp = vct_segment_default_params();
 *     vct_segmentation seg;
 *     if (vct_segment(model, &clip, &sp, &seg, &err) == VCT_STATUS_OK)
 *         use(seg.labels_224, seg.labels);          // class ids per pixel, [T,224,224] and [T,h,w]
 *     vct_segmentation_free(&seg);
 *     vct_model_free(model);
 *
 * Every fallible call returns a vct_status and fills a caller-owned vct_error.
 * The library never exits or aborts on input from a file, a flag or a shape.
 *
 * Thread safety: functions are reentrant; objects are not shared between
 * threads unless a function says so.
 */
#ifndef VCT_H
#define VCT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VCT_VERSION_STRING "0.1.0"

typedef enum vct_status {
    VCT_STATUS_OK = 0,
    VCT_STATUS_INVALID_ARGUMENT, /* a caller passed a bad value (flag, shape, option) */
    VCT_STATUS_IO,               /* a file could not be opened, read or written */
    VCT_STATUS_FORMAT,           /* a file is malformed, truncated or refused */
    VCT_STATUS_UNSUPPORTED,      /* valid input that vct does not handle */
    VCT_STATUS_NO_MEMORY,        /* an allocation failed */
    VCT_STATUS_SHAPE,            /* tensor shapes do not agree */
    VCT_STATUS_BACKEND,          /* a library (oneDNN, FFmpeg, ...) reported an error */
    VCT_STATUS_INTERNAL          /* a bug in vct */
} vct_status;

#define VCT_ERROR_MSG_MAX 2048

/* Caller-owned error record. msg holds the full message, innermost cause last:
 * "model_best.pth: tensor 'x': shape [2,3], expected [3,2]". */
typedef struct vct_error {
    vct_status status;
    char msg[VCT_ERROR_MSG_MAX];
} vct_error;

/* A short name for a status ("format error"). Never NULL. */
const char *vct_status_name(vct_status st);

/* Log callback: level 0 error, 1 warning, 2 info, 3 debug. */
typedef void (*vct_log_callback)(int level, const char *msg, void *user_data);
void vct_set_log_callback(vct_log_callback cb, void *user_data);

/* ------------------------------------------------------------------ model */

/* The three VCT set-ups (the config's INPUT.DATASET_MAPPER_NAME). */
typedef enum vct_task {
    VCT_TASK_S4 = 0, /* AVSBench single source: binary masks, 5 frames a clip */
    VCT_TASK_MS3,    /* AVSBench multiple sources: binary masks, 5 frames a clip */
    VCT_TASK_AVSS    /* AVSBench-semantic: 71 classes (0 background), 5 or 10 frames */
} vct_task;
const char *vct_task_name(vct_task task); /* "s4", "ms3", "avss" */

/* The loaded model: weights and configuration, read-only after loading, so one
 * model may serve several threads' vct_segment calls at once. */
typedef struct vct_model vct_model;

typedef struct vct_model_params {
    /* The detectron2 config.yaml the checkpoint was trained with. NULL: the config
     * the checkpoint carries (vct convert --config), else config.yaml in the
     * checkpoint's directory (where detectron2 writes it). */
    const char *config_path;
} vct_model_params;
vct_model_params vct_model_default_params(void);

/* Load an official model_best.pth or a vct safetensors checkpoint (params may be
 * NULL). Every tensor the config needs is checked for presence and shape (the
 * message names the tensor, got and expected); extra keys are ignored, as
 * detectron2 does. */
vct_status vct_model_load(const char *path, const vct_model_params *params, vct_model **model, vct_error *err);
void vct_model_free(vct_model *model); /* NULL-safe */
vct_task vct_model_task(const vct_model *model);
int vct_model_num_classes(const vct_model *model);  /* K: 71 AVSS, 2 S4/MS3 */
int vct_model_input_size(const vct_model *model);   /* the network's square input side: 384 */
int vct_model_has_prior(const vct_model *model);    /* 1: needs a Maskige per frame */

/* ---------------------------------------------------------------- segment */

/* One clip. Frames are independent in VCT: frame t sees audio example t only. */
typedef struct vct_clip {
    int64_t T, H, W;         /* frames, their size (all frames the same) */
    const uint8_t *frames;   /* [T,H,W,3] RGB; resized to the input size (PIL bilinear) */
    const uint8_t *maskige;  /* [T,H,W,3] RGB pre-SAM Maskige of each frame (resized nearest);
                                required when vct_model_has_prior() */
    const float *log_mel;    /* [A,96,64] VGGish log-mel examples, or NULL: pcm */
    int64_t A;
    const float *vid_flag;   /* [A] AVSS vid_temporal_mask_flag (rows with 1 are the T frames),
                                or NULL: rows 0..T-1 */
    const float *pcm; /* [n_samples, channels] interleaved, int16 scale divided by 32768 (full scale +-1) */
    int64_t n_samples;
    int channels;
    int sample_rate;
} vct_clip;

typedef void (*vct_progress_callback)(int64_t done, int64_t total, void *user_data);

typedef struct vct_segment_params {
    int own_size;          /* 1 (default): also labels at the frames' own size */
    int keep_scores;       /* 1: also return pred_logits, pred_masks and sem_seg (default 0) */
    int frames_per_batch;  /* frames through the network at once; 1 (default) needs the least memory */
    vct_progress_callback progress; /* after each batch (may be NULL) */
    void *progress_user_data;
} vct_segment_params;
vct_segment_params vct_segment_default_params(void);

typedef struct vct_segmentation {
    vct_task task;
    int64_t T, K;           /* frames; classes (2 for S4/MS3: 0 background, 1 sounding object) */
    uint8_t *labels_224;    /* [T,224,224] class ids at the official evaluation size: AVSS the
                               argmax of sem_seg, S4/MS3 softmax(sem_seg)[1] > 0.5 */
    int64_t H, W;
    uint8_t *labels;        /* [T,H,W] the same decision at the frames' own size, or NULL */
    int64_t Q, Hm, Wm;      /* queries, mask size (keep_scores) */
    float *pred_logits;     /* [T,Q,K+1] (keep_scores, else NULL) */
    float *pred_masks;      /* [T,Q,Hm,Wm] */
    float *sem_seg;         /* [T,K,224,224] */
    double seconds_audio, seconds_network, seconds_post;
} vct_segmentation;

/* Segment one clip. out is overwritten; free it with vct_segmentation_free (also
 * after a failure). */
vct_status vct_segment(const vct_model *model, const vct_clip *clip, const vct_segment_params *params,
                       vct_segmentation *out, vct_error *err);
void vct_segmentation_free(vct_segmentation *s);

#ifdef __cplusplus
}
#endif
#endif /* VCT_H */
