/* predict.h: run a VCT model over one split of an AVSBench data set (or
 * SynthAVS) and write what VCT's evaluators score, in the folder convention of
 * data/eval.h, so `vct eval --data --model` is this followed by eval_run, and the
 * written folder can be scored again with `vct eval --pred --gt`.
 *
 * Written under out_dir (which must exist):
 *   pred/<video>/<stem>.npy  S4/MS3: float32 [224,224], softmax(sem_seg)[1] (the
 *                            foreground probability VCT's SemSegEvaluator scores);
 *                            AVSS: uint8 [224,224], argmax(softmax(sem_seg)) (its
 *                            SemSegEvaluator_SS); both with torch's rounding
 *                            (metric_softmax_*)
 *   gt/<video>/<stem>.npy    uint8 [224,224] ground truth as VCT reads it: 0/1 or
 *                            class ids, nearest-resized to 224 when stored larger
 *   frames/<video>/<stem>.*  a symbolic link to the frame (report thumbnails)
 *   order.txt                the videos in the loader's order
 * <video> is <category>/<name> (S4), <name> (MS3) or <subset>/<uid> (AVSS); <stem>
 * is the mask file's name without its extension. Only labelled frames are written,
 * and only they go through the network (VCT segments each frame on its own, with
 * its own audio example).
 *
 * Inputs per clip as the layout's loader reads them: frames (resized to the
 * model's input size, PIL bilinear), pre-SAM Maskiges (nearest; the vct layout
 * has them, the avsbench layout does not), audio from the log-mel .pkl where the
 * layout has one, else the WAV through the official front end. */
#ifndef VCT_DATA_PREDICT_H
#define VCT_DATA_PREDICT_H

#include <stdint.h>

#include "core/error.h"
#include "data/avsbench.h"
#include "vct.h"

#define PREDICT_SIZE 224 /* VCT's evaluation size */

typedef struct predict_params {
    avs_split split;      /* [TEST] */
    avs_layout layout;    /* [AUTO] */
    int64_t limit;        /* only the first N clips of the split; 0: all [0] */
    int frames_per_batch; /* frames through the network at once [1] */
    int progress;         /* progress line on stderr [0] */
    int resume;           /* keep the clips out_dir already holds (every labelled frame's pred and
                             gt file present: each is written atomically) and run the rest [0] */
} predict_params;

predict_params predict_default_params(void);

typedef struct predict_summary {
    avs_layout layout; /* resolved */
    int64_t clips, frames;
    int64_t clips_kept;   /* resume: clips found complete and not run again */
    double seconds_total, seconds_audio, seconds_network, seconds_post;
} predict_summary;

/* The model's task decides the data set's task. Any unreadable or malformed
 * input is an error naming the file; out_dir is then left as it is (the caller
 * removes it). */
vct_status predict_dataset(const vct_model *model, const char *data_root, const predict_params *p,
                           const char *out_dir, predict_summary *summary, vct_error *err);

#endif
