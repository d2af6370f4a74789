/* vct_model.h: the whole VCT model: one configuration, ONE parameter table with
 * every module registered under the official state_dict keys, and the inference
 * forward of one clip.
 *
 * Reference: models/vct_model.py VCT (from_config, forward in eval mode) and
 * meta_arch/vct_model_head.py VCT_Model_Head; model.md §1 and §2:
 *   frames u8 [T,H,W,3] -> (x - PIXEL_MEAN) / PIXEL_STD, zero pad to SIZE_DIVISIBILITY
 *   F = backbone(frames)                      res2..res5 (backbone.*)
 *   USE_PRE_SAM: res_i = F_i + g_i * P_i      P = pre_sam_backbone(maskige) (model/prior_branch.h)
 *   pixel decoder(res2..5) -> multi_scale_features 0..2, mask_features (model/msdeformattn.h)
 *   audio: VGGish(log-mel rows) -> rows with vid flag 1 -> audio MLP (model/audio_model.h)
 *   PPQG (S4, AVSS) or VCQ (MS3) on mask_features -> vision queries (model/ppqg.h)
 *   decoder(audio, multi_scale_features, mask_features, queries) -> pred_logits [B,Q,K+1],
 *          pred_masks [B,Q,Hm,Wm] (model/av_decoder.h)
 *   semantic inference -> sem_seg [B,K,224,224] (model/semantic_inference.h)
 * The task comes from INPUT.DATASET_MAPPER_NAME (avss4_semantic s4, avsms3_semantic
 * ms3, avss_semantic avss). Sizes come from the config; the checkpoint is checked
 * against them tensor by tensor (param_table_load names the tensor, got and
 * expected); PPQG's and the audio MLP's hard-coded sizes are read from the
 * checkpoint and checked against the config. The network input side is
 * sqrt(query_mixer input) * (stride of res2): 96*96 pixels -> 384 x 384.
 * Frames are independent in VCT (frame t sees audio row t only), so the forward
 * runs `chunk` frames at a time and rewinds its arena between chunks.
 * Training mode (model/vct_train.h) runs the same network (vct_model_network) on a
 * training tape with drop path and the Gumbel assignment; a model built with
 * trainable = 1 has gradient slots for every parameter the official code trains.
 * Not supported: panoptic/instance heads. */
#ifndef VCT_MODEL_VCT_MODEL_H
#define VCT_MODEL_VCT_MODEL_H

#include <cjson/cJSON.h>

#include "audio/frontend.h"
#include "backbone/backbone.h"
#include "model/audio_model.h"
#include "model/av_decoder.h"
#include "model/msdeformattn.h"
#include "model/ppqg.h"
#include "model/prior_branch.h"
#include "vct.h"

struct vct_model {
    cJSON *config;             /* the merged detectron2 config (owned) */
    char what[1024];           /* the checkpoint path, for messages */
    char config_source[1100];  /* where the config came from */
    audio_task task;           /* from INPUT.DATASET_MAPPER_NAME */
    float pixel_mean[3], pixel_std[3]; /* MODEL.PIXEL_MEAN / PIXEL_STD (RGB, as fp32) */
    int64_t size_divisibility; /* MODEL.MASK_FORMER.SIZE_DIVISIBILITY: 32 */
    int64_t input_h, input_w;  /* network input: 384 x 384 */
    backbone bb;               /* backbone.* (MODEL.BACKBONE.NAME) */
    int use_pre_sam;           /* MODEL.PRE_SAM.USE_PRE_SAM */
    swin_config pre_sam_cfg;   /* the pre-SAM Swin (= the frame Swin's config) */
    prior_branch_weights prior; /* pre_sam_backbone.*, scale_factor_module.* */
    msdeformattn_config pd_cfg;
    msdeformattn_weights pd;   /* sem_seg_head.pixel_decoder.* */
    audio_model audio;         /* audio_backbone.*, sem_seg_head.audio_transformation.*, audio_proj (its pt unused) */
    av_decoder_config dec_cfg;
    av_decoder_weights dec;    /* sem_seg_head.predictor.* */
    ppqg_config q_cfg;
    ppqg_weights q;            /* sem_seg_head.predictor.visual_query_block.* */
    param_tensor logit_scale;  /* criterion.logit_scale [] (S4/AVSS PAC loss; registered in trainable builds) */
    int trainable;             /* built with gradient slots (vct_model_build_ex) */
    param_table pt;            /* every tensor above, one buffer */
    int64_t n_unused;          /* checkpoint keys no module reads (criterion.*, VGGish embeddings, ...) */
};

/* Configure from the detectron2 config tree (config_source names it) and the
 * checkpoint's state dict sd (`what` names it in messages), register every module,
 * allocate and load. Takes ownership of config; on failure too, release m with
 * vct_model_release. */
vct_status vct_model_build(vct_model *m, cJSON *config, const char *config_source, const tensor_dict *sd,
                           const char *what, vct_error *err);
/* The same with trainable = 1: every parameter the official code trains
 * (requires_grad: all but the frozen VGGish, audio_backbone.*) gets a gradient
 * slot in one flat buffer (param_table_alloc_grads, zeroed), and the PAC loss's
 * criterion.logit_scale (S4/AVSS) is registered too (the checkpoint must hold it,
 * as every official checkpoint does). trainable = 0 is vct_model_build. */
vct_status vct_model_build_ex(vct_model *m, cJSON *config, const char *config_source, const tensor_dict *sd,
                              const char *what, int trainable, vct_error *err);
/* Free what vct_model_build made (not m itself). */
void vct_model_release(vct_model *m);

typedef struct vct_forward_inputs {
    int64_t T;               /* frames */
    const uint8_t *frames;   /* [T, input_h, input_w, 3] RGB */
    const uint8_t *maskige;  /* [T, input_h, input_w, 3] RGB, or NULL without the prior branch */
    const float *log_mel;    /* [A, 96, 64] */
    int64_t A;
    const float *vid_flag;   /* [A]: rows with 1.0 are the frames, in order; NULL: rows 0..T-1 */
    int64_t own_h, own_w;    /* > 0: also decide labels at this size (the frames' own) */
} vct_forward_inputs;

typedef struct vct_forward_outputs {
    int64_t B, Q, K, Hm, Wm;  /* frames, queries, classes (no "no object"), mask size */
    float *pred_logits;       /* [B, Q, K+1] */
    float *pred_masks;        /* [B, Q, Hm, Wm] */
    float *sem_seg;           /* [B, K, 224, 224]: the official evaluation output */
    uint8_t *labels_224;      /* [B, 224, 224]: AVSS argmax; S4/MS3 softmax(sem_seg)[1] > 0.5 */
    uint8_t *labels_own;      /* [B, own_h, own_w] the same decision at the own size, or NULL */
    double seconds_audio, seconds_network, seconds_post;
    size_t arena_peak;        /* bytes of activations at the peak */
} vct_forward_outputs;

/* What the network computes for B frames (every prediction, not only the last). */
typedef struct vct_network_outputs {
    ag_var *fused[BACKBONE_MAX_OUTS]; /* res2..res5 after the prior-branch fusion (the pixel decoder's input) */
    msdeformattn_outputs pd;          /* multi_scale_features, mask_features */
    ppqg_outputs q;                   /* vision queries, prototypes, assignment */
    av_decoder_outputs dec;           /* pred_logits / pred_masks of every layer, queries after each layer */
} vct_network_outputs;

/* The network on B frames from frames / maskige (u8 [B, input_h, input_w, 3]; maskige
 * NULL without the prior branch) and the decoder's audio memory audio [B, E, 6, 4]:
 * backbone, prior branch, pixel decoder, query generator, decoder. draws: NULL =
 * eval semantics; otherwise training mode (drop path, Gumbel), every draw from it in
 * the reference order. force_idx: NULL, or [B, HW] PPQG assignments to use instead
 * of the argmax (near-tie injection). The same code runs inference and training. */
vct_status vct_model_network(ag_tape *t, const vct_model *m, const uint8_t *frames, const uint8_t *maskige,
                             int64_t B, ag_var *audio, draw_source *draws, const int64_t *force_idx,
                             vct_network_outputs *o, vct_error *err);

/* The checks vct_model_forward makes on a clip: frames, a Maskige per frame with the
 * prior branch, log-mel rows, one audio row (with vid flag 1) per frame. */
vct_status vct_model_check_inputs(const vct_model *m, const vct_forward_inputs *in, vct_error *err);

/* Inference on one clip, `chunk` frames at a time (<= 0: all at once). Outputs
 * are malloc'ed (vct_forward_outputs_free). progress (may be NULL) is called after
 * each chunk. */
vct_status vct_model_forward(const vct_model *m, const vct_forward_inputs *in, int64_t chunk,
                             vct_progress_callback on_progress, void *user_data, vct_forward_outputs *out, vct_error *err);
void vct_forward_outputs_free(vct_forward_outputs *o);

/* The per-pixel decision of one frame's class scores s [K, H, W] (AVSS: first argmax;
 * K = 2: foreground iff softmax over the 2 channels, [1] > 0.5). */
vct_status vct_model_decide(uint8_t *labels, const float *s, int64_t K, int64_t H, int64_t W, vct_error *err);
/* The same decision on bilinear(s, (Ho, Wo)) (align_corners=False), without holding the
 * resized [K, Ho, Wo] tensor (a few channels at a time, K >= 2). */
vct_status vct_model_decide_resized(uint8_t *labels, const float *s, int64_t K, int64_t H, int64_t W, int64_t Ho,
                                    int64_t Wo, vct_error *err);

#endif
