/* segment_out.h: the outputs of `vct segment` for one clip, all or nothing (io/staging.h:
 * written into OUT.partial, which becomes OUT when complete; OUT itself is untouched by a
 * run that fails):
 *   OUT/masks_224/<stem>.png  224x224, the official evaluation size
 *   OUT/masks/<stem>.png      the frame's own size
 *   OUT/segment.json          model, config, task, inputs; per frame its files, size and the
 *                             classes present with pixel counts; timings
 * AVSS masks are palette PNGs (pixel value = class id, the AVSBench palette), S4/MS3 8-bit
 * gray (255 = sounding object). Optionally a safetensors dump of the scores under the
 * conformance names (pred_logits, pred_masks, sem_seg, sem_seg_argmax), written before
 * OUT is committed and removed again if the commit fails. See docs/segment.md. */
#ifndef VCT_DATA_SEGMENT_OUT_H
#define VCT_DATA_SEGMENT_OUT_H

#include "core/error.h"
#include "data/clip.h"

typedef struct segment_out_info {
    const char *model_path;    /* as given */
    const char *config_source; /* where the model's config came from */
    const char *task_name;     /* "s4", "ms3", "avss" */
    int input_size;            /* the network's square input side */
    const char *source;        /* the frames folder or the video */
    const char *audio;         /* the audio file or the video */
    const char *maskige_dir;   /* NULL: the blank fallback */
    const char *dump_path;     /* NULL: no dump; else a .safetensors file (seg needs keep_scores) */
    double t0;                 /* wall_seconds() when the command started (for total_s) */
    double load_s;             /* seconds to load the model */
} segment_out_info;

/* Write seg (the segmentation of c) to out. A staging folder out.partial left by a run
 * that stopped is refused (remove it). */
vct_status segment_out_write(const char *out, const clip *c, const vct_segmentation *seg,
                             const segment_out_info *info, vct_error *err);

#endif
