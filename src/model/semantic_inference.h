/* semantic_inference.h: VCT's inference post-processing, from the decoder's final
 * prediction to per-frame class scores at the evaluation size (inference only: no
 * tape, no gradient).
 *
 * Reference: models/vct_model.py VCT.forward (eval branch), VCT.semantic_inference
 * and semantic_inference_ss; detectron2 modeling/postprocessing.py
 * sem_seg_postprocess (model.md §1.10, §4 items 9 and 13):
 *   m = bilinear(pred_masks [B,Q,Hm,Wm], (pad_h, pad_w), align_corners=False)
 *   per frame b:  p = softmax(pred_logits[b] [Q,K+1])[:, :K]      (no-object dropped)
 *                 S = sum_q p[q,c] * sigmoid(m[b,q])               [K, pad_h, pad_w]
 *                 AVSS: S *= flag[b]   (the reference's vid_temporal_mask_flag entry)
 *                 sem_seg = bilinear(S[:, :img_h, :img_w], (out_h, out_w), align_corners=False)
 * The official evaluation hard-codes out = 224x224 ("for fair comparison");
 * sem_seg_params_official() gives that, sem_seg_params_own_size() keeps the
 * frame's size (or any size the caller sets, e.g. the video's own resolution).
 * Decisions on sem_seg (model.md §1.10 step 5): AVSS takes the per-pixel argmax over
 * the K classes (first maximum wins); S4/MS3 take softmax over the 2 channels, [1]. */
#ifndef VCT_MODEL_SEMANTIC_INFERENCE_H
#define VCT_MODEL_SEMANTIC_INFERENCE_H

#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"

typedef struct sem_seg_params {
    int64_t pad_h, pad_w; /* the network input after padding to SIZE_DIVISIBILITY: 384 x 384 */
    int64_t img_h, img_w; /* the frame inside it (detectron2 image_sizes): 384 x 384 */
    int64_t out_h, out_w; /* output size: 224 x 224 (official evaluation) or the frame's own */
} sem_seg_params;

/* official: pad = img = (H, W), out = 224 x 224 */
sem_seg_params sem_seg_params_official(int64_t H, int64_t W);
/* the variant: out = the frame's own size (H, W) */
sem_seg_params sem_seg_params_own_size(int64_t H, int64_t W);

/* sem_seg [B, K, out_h, out_w]; pred_logits [B, Q, K+1]; pred_masks [B, Q, Hm, Wm];
 * flags [B] (AVSS vid flags of the kept frames) or NULL (S4/MS3: no multiply).
 * scratch: temporaries (about (Q + K) * pad_h * pad_w floats per frame); NULL =
 * allocate internally. */
vct_status semantic_inference(float *sem_seg, const float *pred_logits, const float *pred_masks, const float *flags,
                              int64_t B, int64_t Q, int64_t K, int64_t Hm, int64_t Wm, const sem_seg_params *p,
                              arena *scratch, vct_error *err);

/* AVSS decision: labels [B, H, W] = first argmax over the K channels of sem_seg
 * [B, K, H, W] (K <= 256); a NaN wins, as in torch.argmax. */
void sem_seg_argmax(uint8_t *labels, const float *sem_seg, int64_t B, int64_t K, int64_t H, int64_t W);
/* S4/MS3: prob [B, H, W] = softmax over the 2 channels of sem_seg [B, 2, H, W], channel 1
 * (foreground iff > 0.5 for mIoU; thresholds swept for the F-measure) */
vct_status sem_seg_foreground(float *prob, const float *sem_seg, int64_t B, int64_t H, int64_t W, vct_error *err);

#endif
