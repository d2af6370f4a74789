/* vct_train.h: the training-mode forward of the whole VCT model on a training
 * tape; the criterion (src/loss) and ag_backward() follow it.
 *
 * Reference: models/vct_model.py VCT.forward with self.training (model.md §5,
 * training.md §1.2-1.4). The network is the inference code (vct_model_network)
 * run in training mode, which differs from eval in exactly these places:
 *   - DropPath in both Swins (timm drop_path, DROP_PATH_RATE linearly over the
 *     blocks, block rate 0 = identity): two keep masks [B,1,1] per block
 *     (after attention, after the MLP), frame Swin first, then the pre-SAM Swin;
 *   - PPQG / VCQ AssignAttention: gumbel_softmax(hard) with Gumbel(0,1) noise
 *     [B,1,Q,HW] instead of hard_softmax (straight-through one-hot);
 *   - every prediction (final and aux) and the PAC features are outputs.
 * Dropout is 0 everywhere in VCT (Swin DROP_RATE/ATTN_DROP_RATE, MSDeformAttn,
 * the decoder layers), so train and eval agree elsewhere. Frozen exactly as the
 * official code: VGGish has requires_grad False and runs under torch.no_grad
 * (here: off the tape); the decoder's attention masks are detached (computed off
 * the tape); everything else is trained (Swin frozen_stages = -1, no BatchNorm).
 * Every random draw comes from the draw source, in the reference order (the
 * criterion's torch.rand draws follow on the same source).
 * The model must be built with vct_model_build_ex(trainable = 1); gradients land
 * in m->pt.grad (accumulated: zero it between steps). */
#ifndef VCT_MODEL_VCT_TRAIN_H
#define VCT_MODEL_VCT_TRAIN_H

#include "model/vct_model.h"

typedef struct vct_train_outputs {
    int64_t B;                /* frames through the network (every frame, loss-carrying or not) */
    vct_network_outputs net;  /* predictions of every layer: net.dec.pred_logits[0..n_preds-1] (0 = aux 0,
                                 n_preds-1 = final), net.dec.pred_masks, net.q.queries / prototypes */
    ag_var *audio_features;   /* [B, E, 6, 4]: the decoder's audio memory (audio MLP output) */
    ag_var *audio_bhwc;       /* [B, 4, 6, E]: the MLP output before the transpose */
    ag_var *audio_feat;       /* feats.audio_feat [B, E] (S4/AVSS), else NULL */
    ag_var *proto_feat;       /* feats.proto_feat [B, K_p, E] (S4/AVSS), else NULL */
    ag_var *logit_scale;      /* criterion.logit_scale [] on the tape (S4/AVSS), else NULL */
} vct_train_outputs;

/* The training forward of one clip (in->T frames at once; in->own_h/own_w unused)
 * on tape t (training mode: t->training = 1) with draws (required). force_idx:
 * NULL, or [T, HW] PPQG assignments to use instead of the Gumbel argmax. Fails,
 * naming the problem, for a model built without gradient slots, an inference
 * tape, no draw source, or inputs vct_model_forward would refuse. */
vct_status vct_model_train_forward(const vct_model *m, ag_tape *t, const vct_forward_inputs *in, draw_source *draws,
                                   const int64_t *force_idx, vct_train_outputs *out, vct_error *err);

#endif
