/* predict.c: a model over one split of a data set, written as eval's pred/ and
 * gt/ folders (predict.h). */
#define _XOPEN_SOURCE 700 /* realpath, symlink */
#include "data/predict.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/tensor.h"
#include "data/metrics.h"
#include "io/atomic_file.h"
#include "io/fs.h"
#include "io/image.h"
#include "io/npy.h"
#include "io/resize.h"

#define PATH_CAP 4096

predict_params predict_default_params(void) {
    predict_params p = {AVS_SPLIT_TEST, AVS_LAYOUT_AUTO, 0, 1, 0, 0};
    return p;
}

static avs_task data_task(vct_task t) {
    return t == VCT_TASK_S4 ? AVS_TASK_S4 : t == VCT_TASK_MS3 ? AVS_TASK_MS3 : AVS_TASK_AVSS;
}

/* The labelled frames of one clip, ready for vct_segment. */
typedef struct clip_inputs {
    int n;                     /* labelled frames */
    int index[AVS_MAX_FRAMES]; /* their frame numbers in the clip */
    uint8_t *frames, *maskige; /* [n,S,S,3] */
    float *log_mel;            /* [n,96,64]: the audio example of each */
} clip_inputs;

static void clip_inputs_free(clip_inputs *ci) {
    free(ci->frames);
    free(ci->maskige);
    free(ci->log_mel);
    memset(ci, 0, sizeof *ci);
}

/* path's image into dst [S,S,3], resized (bilinear frames, nearest Maskiges) when stored at another size */
static vct_status read_square(const char *path, int is_maskige, int64_t S, uint8_t *dst, vct_error *err) {
    image_u8 im = {0};
    VCT_TRY(is_maskige ? avs_read_maskige(path, &im, err) : avs_read_frame(path, &im, err));
    vct_status st = resize_pil_in_place(&im, S, S, is_maskige, err);
    if (st == VCT_STATUS_OK) memcpy(dst, im.data, (size_t)(S * S * 3));
    image_free(&im);
    return st;
}

static vct_status read_audio(const avs_clip *c, avs_task task, clip_inputs *ci, vct_error *err) {
    float *all = NULL;
    int64_t rows = 0;
    const int need = ci->index[ci->n - 1] + 1;
    const int example = 96 * 64;
    vct_status st;
    if (c->needs_pkl && c->audio_pkl) {
        st = avs_read_audio_pkl(c->audio_pkl, 0, &all, &rows, err);
        if (st == VCT_STATUS_OK && rows < need)
            st = vct_fail(err, VCT_STATUS_SHAPE, "%s: %lld log-mel rows, but the clip's frame %d needs row %d",
                          c->audio_pkl, (long long)rows, need, need - 1);
    } else {
        int64_t n_real = 0;
        st = avs_read_audio_examples(c->audio_wav, task, c->n_frames, &all, &n_real, err);
    }
    if (st == VCT_STATUS_OK && !(ci->log_mel = malloc((size_t)ci->n * example * sizeof(float))))
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    for (int j = 0; st == VCT_STATUS_OK && j < ci->n; j++)
        memcpy(ci->log_mel + (size_t)j * example, all + (size_t)ci->index[j] * example, example * sizeof(float));
    free(all);
    return st;
}

static vct_status read_clip(const vct_model *model, const avs_dataset *ds, const avs_clip *c, clip_inputs *ci,
                            vct_error *err) {
    memset(ci, 0, sizeof *ci);
    for (int t = 0; t < c->n_frames; t++)
        if (c->labelled[t]) ci->index[ci->n++] = t;
    if (ci->n == 0) return vct_fail(err, VCT_STATUS_FORMAT, "clip %s: no labelled frame", c->name);
    const int64_t S = vct_model_input_size(model), one = S * S * 3;
    const int prior = vct_model_has_prior(model);
    if (!(ci->frames = malloc((size_t)(ci->n * one))) || (prior && !(ci->maskige = malloc((size_t)(ci->n * one)))))
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    for (int j = 0; j < ci->n; j++) {
        int t = ci->index[j];
        VCT_TRY(read_square(c->frame[t], 0, S, ci->frames + j * one, err));
        if (!prior) continue;
        if (!c->maskige[t])
            return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                            "%s: the model fuses a pre-SAM Maskige into every frame, and the %s layout has none: use "
                            "the vct layout (pre_SAM_mask_384; see docs/eval.md)", ds->root,
                            avs_layout_name(ds->layout));
        VCT_TRY(read_square(c->maskige[t], 1, S, ci->maskige + j * one, err));
    }
    return read_audio(c, ds->task, ci, err);
}

/* The ground truth VCT scores: 0/1 or class ids, at 224 (nearest when stored larger). */
static vct_status read_truth(const avs_dataset *ds, const char *path, image_u8 *gt, vct_error *err) {
    VCT_TRY(ds->task == AVS_TASK_AVSS ? avs_read_label_map(path, 1, gt, err) : avs_read_binary_mask(path, 1, gt, err));
    vct_status st = resize_pil_in_place(gt, PREDICT_SIZE, PREDICT_SIZE, 1, err);
    if (st != VCT_STATUS_OK) image_free(gt);
    return st;
}

static vct_status write_npy_2d(const char *path, void *data, vct_dtype dt, vct_error *err) {
    tensor t = {data, dt, 2, {PREDICT_SIZE, PREDICT_SIZE}};
    VCT_TRY(fs_mkdirs_parent(path, err));
    return npy_write(path, &t, err);
}

/* frames/<video>/<stem>.<ext> -> the frame file, for the report's thumbnails */
static vct_status link_frame(const char *out_dir, const char *video, const char *stem, const char *frame,
                             vct_error *err) {
    char target[PATH_MAX], link[PATH_CAP];
    if (!realpath(frame, target)) return vct_fail(err, VCT_STATUS_IO, "%s: %s", frame, strerror(errno));
    const char *dot = strrchr(frame, '.'), *slash = strrchr(frame, '/');
    if (!dot || (slash && dot < slash)) dot = "";
    if (snprintf(link, sizeof link, "%s/frames/%s/%s%s", out_dir, video, stem, dot) >= (int)sizeof link)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: path too long", out_dir);
    VCT_TRY(fs_mkdirs_parent(link, err));
    unlink(link); /* a resumed run may have made it before it stopped */
    if (symlink(target, link) != 0) return vct_fail(err, VCT_STATUS_IO, "%s: cannot link: %s", link, strerror(errno));
    return VCT_STATUS_OK;
}

/* <category>/<name>, <name> or <subset>/<uid> */
static void video_name(const avs_dataset *ds, const avs_clip *c, char *buf, size_t cap) {
    if (ds->task == AVS_TASK_S4) snprintf(buf, cap, "%s/%s", c->category, c->name);
    else if (ds->task == AVS_TASK_AVSS) snprintf(buf, cap, "%s/%s", c->subset, c->name);
    else snprintf(buf, cap, "%s", c->name);
}

/* the mask file's name without folder and extension */
static void stem_of(const char *path, char *buf, size_t cap) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *dot = strrchr(b, '.');
    int n = dot ? (int)(dot - b) : (int)strlen(b);
    snprintf(buf, cap, "%.*s", n, b);
}

/* resume: 1 when every labelled frame of the clip has its prediction and ground truth */
static int clip_done(const avs_dataset *ds, const avs_clip *c, const char *out_dir) {
    char video[1024], stem[512], path[PATH_CAP];
    video_name(ds, c, video, sizeof video);
    struct stat sb;
    for (int t = 0; t < c->n_frames; t++) {
        if (!c->labelled[t]) continue;
        stem_of(c->mask[t], stem, sizeof stem);
        static const char *const kinds[2] = {"pred", "gt"};
        for (int k = 0; k < 2; k++) {
            if (snprintf(path, sizeof path, "%s/%s/%s/%s.npy", out_dir, kinds[k], video, stem) >= (int)sizeof path ||
                stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
                return 0;
        }
    }
    return 1;
}

/* Write one clip's predictions and ground truths from its segmentation. */
static vct_status write_clip(const avs_dataset *ds, const avs_clip *c, const clip_inputs *ci,
                             const vct_segmentation *seg, const char *out_dir, vct_error *err) {
    const int64_t P = (int64_t)PREDICT_SIZE * PREDICT_SIZE, K = seg->K;
    char video[1024], stem[512], path[PATH_CAP];
    video_name(ds, c, video, sizeof video);
    float *prob = malloc((size_t)P * sizeof *prob);
    uint8_t *ids = malloc((size_t)P);
    vct_status st = prob && ids ? VCT_STATUS_OK : vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    for (int j = 0; st == VCT_STATUS_OK && j < ci->n; j++) {
        const int t = ci->index[j];
        const float *ss = seg->sem_seg + (size_t)j * K * P;
        stem_of(c->mask[t], stem, sizeof stem);
        image_u8 gt = {0};
        st = read_truth(ds, c->mask[t], &gt, err);
        if (st == VCT_STATUS_OK && snprintf(path, sizeof path, "%s/gt/%s/%s.npy", out_dir, video, stem) >= PATH_CAP)
            st = vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: path too long", out_dir);
        if (st == VCT_STATUS_OK) st = write_npy_2d(path, gt.data, VCT_DTYPE_U8, err);
        image_free(&gt);
        if (st == VCT_STATUS_OK) st = link_frame(out_dir, video, stem, c->frame[t], err);
        if (st != VCT_STATUS_OK) break;
        /* the prediction last: with it the frame is complete (clip_done) */
        snprintf(path, sizeof path, "%s/pred/%s/%s.npy", out_dir, video, stem);
        if (ds->task == AVS_TASK_AVSS) {
            for (int64_t i = 0; i < P; i++) ids[i] = (uint8_t)metric_softmax_argmax(ss + i, K, P);
            st = write_npy_2d(path, ids, VCT_DTYPE_U8, err);
        } else {
            for (int64_t i = 0; i < P; i++) prob[i] = metric_softmax_fg(ss[i], ss[P + i]);
            st = write_npy_2d(path, prob, VCT_DTYPE_F32, err);
        }
    }
    free(prob);
    free(ids);
    return st;
}

vct_status predict_dataset(const vct_model *model, const char *data_root, const predict_params *p,
                           const char *out_dir, predict_summary *summary, vct_error *err) {
    memset(summary, 0, sizeof *summary);
    const double t0 = wall_seconds();
    const avs_task task = data_task(vct_model_task(model));
    const int K = vct_model_num_classes(model);
    if ((task == AVS_TASK_AVSS) != (K == AVS_NUM_CLASSES) || (task != AVS_TASK_AVSS && K != 2))
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "a %s model with %d classes: vct eval scores %s with %d",
                        avs_task_name(task), K, avs_task_name(task), task == AVS_TASK_AVSS ? AVS_NUM_CLASSES : 2);
    /* auto: a model with the pre-SAM prior reads the vct layout, the only one with Maskiges
     * (AVSS auto-detection would otherwise pick the published layout) */
    avs_layout layout = p->layout == AVS_LAYOUT_AUTO && vct_model_has_prior(model) ? AVS_LAYOUT_VCT : p->layout;
    avs_dataset ds;
    VCT_TRY(avs_dataset_open(&ds, data_root, task, layout, err));
    summary->layout = ds.layout;
    int64_t n_split = avs_dataset_count(&ds, p->split), n_clips = n_split, n_frames = 0;
    if (p->limit > 0 && p->limit < n_clips) n_clips = p->limit;
    vct_status st = VCT_STATUS_OK;
    if (n_split == 0)
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: the %s split of this %s data set (%s layout) has no clips",
                      ds.index_path, avs_split_name(p->split), avs_task_name(task), avs_layout_name(ds.layout));
    /* the split's clips, in loader order, and the labelled frames that will be written */
    const avs_clip **clips = calloc((size_t)(n_clips ? n_clips : 1), sizeof *clips);
    uint8_t *done = calloc((size_t)(n_clips ? n_clips : 1), 1); /* resume: already written */
    if (st == VCT_STATUS_OK && (!clips || !done)) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    int64_t n_todo = 0; /* labelled frames to run */
    for (int64_t i = 0, k = 0; st == VCT_STATUS_OK && i < ds.n_clips && k < n_clips; i++) {
        if (ds.clips[i].split != p->split) continue;
        int n = 0;
        for (int t = 0; t < ds.clips[i].n_frames; t++) n += ds.clips[i].labelled[t];
        done[k] = p->resume && clip_done(&ds, &ds.clips[i], out_dir);
        n_frames += n;
        n_todo += done[k] ? 0 : n;
        clips[k++] = &ds.clips[i];
    }
    atomic_file order;
    char path[PATH_CAP];
    int order_open = 0;
    if (st == VCT_STATUS_OK && snprintf(path, sizeof path, "%s/order.txt", out_dir) >= (int)sizeof path)
        st = vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: path too long", out_dir);
    if (st == VCT_STATUS_OK && (st = atomic_file_open(&order, path, err)) == VCT_STATUS_OK) order_open = 1;
    log_info("eval: %s %s split: %lld clips, %lld labelled frames (%s layout) from %s", avs_task_name(task),
             avs_split_name(p->split), (long long)n_clips, (long long)n_frames, avs_layout_name(ds.layout),
             ds.root);
    progress pr;
    const int show = p->progress && st == VCT_STATUS_OK;
    if (show) progress_begin(&pr, "eval", n_todo);
    vct_segment_params sp = vct_segment_default_params();
    sp.own_size = 0;
    sp.keep_scores = 1;
    sp.frames_per_batch = p->frames_per_batch;
    for (int64_t i = 0; st == VCT_STATUS_OK && i < n_clips; i++) {
        const avs_clip *c = clips[i];
        char video[1024];
        video_name(&ds, c, video, sizeof video);
        if (done[i]) {
            st = atomic_file_write(&order, video, strlen(video), err);
            if (st == VCT_STATUS_OK) st = atomic_file_write(&order, "\n", 1, err);
            summary->clips++;
            summary->clips_kept++;
            for (int t = 0; t < c->n_frames; t++) summary->frames += c->labelled[t];
            continue;
        }
        clip_inputs ci;
        vct_segmentation seg;
        memset(&seg, 0, sizeof seg);
        st = read_clip(model, &ds, c, &ci, err);
        const int64_t S = vct_model_input_size(model);
        vct_clip vc = {ci.n, S, S, ci.frames, ci.maskige, ci.log_mel, ci.n, NULL, NULL, 0, 0, 0};
        if (st == VCT_STATUS_OK) st = vct_segment(model, &vc, &sp, &seg, err);
        if (st == VCT_STATUS_OK) st = write_clip(&ds, c, &ci, &seg, out_dir, err);
        if (st == VCT_STATUS_OK) {
            st = atomic_file_write(&order, video, strlen(video), err);
            if (st == VCT_STATUS_OK) st = atomic_file_write(&order, "\n", 1, err);
            summary->clips++;
            summary->frames += ci.n;
            summary->seconds_audio += seg.seconds_audio;
            summary->seconds_network += seg.seconds_network;
            summary->seconds_post += seg.seconds_post;
        } else {
            vct_error_wrap(err, "clip %s (%s split, clip %lld of %lld)", c->name, avs_split_name(p->split),
                           (long long)i + 1, (long long)n_clips);
        }
        if (show && st == VCT_STATUS_OK) progress_step(&pr, ci.n);
        vct_segmentation_free(&seg);
        clip_inputs_free(&ci);
    }
    if (show) progress_end(&pr);
    if (summary->clips_kept)
        log_info("eval: resumed: %lld of %lld clips were already done", (long long)summary->clips_kept,
                 (long long)n_clips);
    if (order_open) {
        if (st == VCT_STATUS_OK) st = atomic_file_commit(&order, err);
        else atomic_file_abort(&order);
    }
    free(clips);
    free(done);
    avs_dataset_free(&ds);
    summary->seconds_total = wall_seconds() - t0;
    return st;
}
