/* audio_mlp.h: the audio projection of the VCT head
 * (ref: models/modeling/misc/audio_transformation.py audio_mlp, built in
 * meta_arch/vct_model_head.py VCT_Model_Head.from_config; model.md §1.7).
 *
 *   a [B,512,6,4] -> transpose(1,3) [B,4,6,512] -> Linear(512,H) -> ReLU
 *     -> Linear(H,H) -> ReLU -> Linear(H,256) -> [B,4,6,256] -> transpose(1,3) -> [B,256,6,4]
 *
 * The official code hard-codes 512 -> 4096 -> 4096 -> 256; here the sizes are
 * configuration, read from (and checked against) the checkpoint. Trained:
 * forward on the tape. Keys: sem_seg_head.audio_transformation.embeddings.{0,2,4}.{weight,bias}. */
#ifndef VCT_MODEL_AUDIO_MLP_H
#define VCT_MODEL_AUDIO_MLP_H

#include "autograd/tape.h"
#include "autograd/param_table.h"

typedef struct audio_mlp_config {
    int64_t in_dim;     /* 512: VGGish channels */
    int64_t hidden_dim; /* 4096 (official); 256 in the reduced conformance preset */
    int64_t out_dim;    /* 256: the decoder width */
} audio_mlp_config;

typedef struct audio_mlp_weights {
    param_tensor emb0_weight, emb0_bias; /* [hidden, in], [hidden] */
    param_tensor emb2_weight, emb2_bias; /* [hidden, hidden], [hidden] */
    param_tensor emb4_weight, emb4_bias; /* [out, hidden], [out] */
} audio_mlp_weights;

audio_mlp_config audio_mlp_default_config(void);
/* trainable = 0: no gradient slots (inference) */
void audio_mlp_register(param_table *pt, const char *prefix, const audio_mlp_config *cfg, audio_mlp_weights *w,
                        int trainable);
/* a: [B, in, 6, 4] -> [B, out, 6, 4]; *mlp_out_bhwc (may be NULL) receives the
 * [B, 4, 6, out] tensor before the final transpose (the case's audio.mlp_out_BHWC). */
ag_var *audio_mlp_forward(ag_tape *t, const audio_mlp_config *cfg, const audio_mlp_weights *w, ag_var *a,
                          ag_var **mlp_out_bhwc);

#endif
