/* eval.h: `vct eval` without the CLI: score a folder of predictions against a
 * folder of ground truths with the official metrics (data/metrics.h), in the test
 * loop of each official code base, and write the results as a table, JSON and
 * an HTML report.
 *
 * Folders (the convention of shared/conformance/harness/official_metrics.py):
 * every folder under gt_dir holding .png/.npy files is one video; its frames are
 * those files in natural order (digit runs compared as numbers); videos are in
 * natural order of their relative folder, or in the order of an --order file.
 * The prediction of a frame is at the same relative path under pred_dir, as
 * .npy (tried first) or .png.
 *
 * Values:
 *   S4/MS3 ground truth: PNG with values 0/255 (single-channel, or RGB with equal
 *     channels), or .npy of 0/1 or 0/255.
 *   S4/MS3 prediction: .npy [H,W] float logits (pred_kind LOGIT; the official
 *     sigmoid is applied as torch does) or probabilities (PROB), or a PNG read as
 *     PIL's convert('L') / 255.
 *   AVSS ground truth and prediction: single-channel PNG or integer .npy of class
 *     ids 0..70, or an RGB PNG in the AVSS palette.
 * Any unreadable, missing or mismatched file is an error naming it. */
#ifndef VCT_DATA_EVAL_H
#define VCT_DATA_EVAL_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "data/avsbench.h"
#include "data/metrics.h"
#include "io/image.h"

typedef enum eval_pred_kind { EVAL_PRED_LOGIT = 0, EVAL_PRED_PROB } eval_pred_kind;

enum { EVAL_FLAVOUR_AVSBENCH = 1, EVAL_FLAVOUR_VCT = 2, EVAL_FLAVOUR_OURS = 4 };

typedef struct eval_params {
    avs_task task;
    const char *pred_dir, *gt_dir;
    const char *order_file;   /* one video per line (relative folder or unique base name); NULL: natural order */
    int flavours;             /* EVAL_FLAVOUR_* bits [all three] */
    int batch_videos;         /* AVSBench test_batch_size; 0: every video in one batch [4] */
    int resize;               /* nearest-resize ground-truth PNGs to resize x resize; 0: as stored [0] */
    eval_pred_kind pred_kind; /* how an S4/MS3 .npy is read [LOGIT] */
    int avss_pad;             /* AVSBench AVSS: pad videos to 10 frames of background (GT and prediction) [0] */
    int strict_colours;       /* an RGB label colour outside the palette is an error (else class 0) [1] */
    int progress;             /* progress line on stderr [0] */
    /* what the JSON's "gt"/"pred" and the report's header name; NULL: gt_dir, pred_dir
     * (vct eval --data names the data set and the model, not its staging folder) */
    const char *gt_label, *pred_label;
} eval_params;

eval_params eval_default_params(void);

typedef struct eval_scores {
    int present;
    double M_J, M_F;
    int64_t groups;      /* batches or clips the loop averaged */
    int batch_videos;    /* videos per group (0 = all) */
    /* AVSS only */
    double M_J_noBg_official, M_F_noBg_official;
    int classes_seen, classes_never_seen;
    double miou_pc[METRIC_AVSS_CLASSES], f_pc[METRIC_AVSS_CLASSES];
} eval_scores;

typedef struct eval_video {
    char *rel;           /* folder relative to gt_dir ("." for gt_dir itself) */
    int64_t first_frame, n_frames;
} eval_video;

typedef struct eval_frame {
    char *rel;           /* relative path without extension */
    int64_t video;
    int64_t h, w;
    int empty_gt;        /* S4/MS3: no foreground pixel in the ground truth */
    double iou;          /* S4/MS3: the frame's IoU at p > 0.5; AVSS: mean IoU over classes in GT or prediction */
    double f;            /* S4/MS3: the frame's best F over the 255 thresholds (0 if empty); AVSS: mean F, same classes */
} eval_frame;

typedef struct eval_group { /* S4/MS3: videos sharing a top-level folder (the S4 category) */
    char *name;
    int64_t n_videos, n_frames;
    double M_J, M_F;     /* mean frame IoU; F of the group as one batch */
} eval_group;

typedef struct eval_result {
    avs_task task;
    eval_video *videos;
    int64_t n_videos;
    eval_frame *frames;
    int64_t n_frames, n_empty_gt;
    eval_scores avsbench, vct, ours;
    eval_group *groups;
    int64_t n_groups;
    int64_t class_frames[METRIC_AVSS_CLASSES]; /* AVSS: frames whose GT holds the class */
} eval_result;

vct_status eval_run(const eval_params *p, eval_result *out, vct_error *err);
void eval_result_free(eval_result *r);

/* The table `vct eval` prints. */
void eval_print_table(FILE *f, const eval_params *p, const eval_result *r);
/* {"task": ..., "gt": ..., "pred": ..., "avsbench": {"M_J", "M_F", ...}, "vct": {...},
 * "batch_independent": {...}} with the flavours asked for; written atomically. */
vct_status eval_write_json(const char *path, const eval_params *p, const eval_result *r, vct_error *err);

/* One frame's ground truth and prediction as the metrics see them, for the report:
 * gt: c = 1 (0/1, or class ids); pred: S4/MS3 probabilities p (float, [h*w], the
 * vector-path sigmoid for logits), AVSS class ids in pred_ids (c = 1). */
vct_status eval_read_frame(const eval_params *p, const char *rel, image_u8 *gt, float **prob, image_u8 *pred_ids,
                           vct_error *err);

/* The HTML report (eval_report.c): scores, per-class (AVSS) or per-folder bars,
 * and overlay thumbnails of the n_thumbs worst and best frames, drawn by vct;
 * frames_dir (may be NULL) is searched for the video frames under the ground
 * truth's relative paths. One self-contained file, written atomically. */
vct_status eval_write_report(const char *path, const eval_params *p, const eval_result *r, const char *frames_dir,
                             int n_thumbs, vct_error *err);

#endif
