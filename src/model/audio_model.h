/* audio_model.h: the audio path of VCT as one unit: VGGish (frozen) -> the rows
 * of real frames -> the audio MLP -> (for the prototype-audio loss) the
 * normalised audio feature. Shared by `vct conform`, `vct features` and the
 * full model. Sizes come from the checkpoint (the official MLP sizes are
 * hard-coded; here they are read and checked). */
#ifndef VCT_MODEL_AUDIO_MODEL_H
#define VCT_MODEL_AUDIO_MODEL_H

#include "audio/vggish.h"
#include "model/audio_mlp.h"

typedef struct audio_model {
    param_table pt;
    vggish_weights vgg;
    audio_mlp_config mlp_cfg;
    audio_mlp_weights mlp;
    param_tensor audio_proj_weight; /* [out, out], no bias; .data NULL when the checkpoint has none (MS3) */
} audio_model;

typedef struct audio_model_outputs {
    float *vggish;       /* [A, 512, 6, 4] every example */
    int64_t B;           /* rows kept (vid flag 1) */
    float *selected;     /* [B, 512, 6, 4] */
    float *mlp_out_bhwc; /* [B, 4, 6, out] */
    float *features;     /* [B, out, 6, 4]: the decoder's audio memory */
    float *audio_feat;   /* [B, out] normalised, or NULL without audio_proj */
} audio_model_outputs;

/* Register and load from a state dict (`what` names it in messages). */
vct_status audio_model_load(audio_model *m, const tensor_dict *sd, const char *what, vct_error *err);
void audio_model_free(audio_model *m);
/* logmel [A,1,96,64]; vid_flag [A] (1 = real frame) or NULL for all rows.
 * Outputs are malloc'ed; free with audio_model_outputs_free. */
vct_status audio_model_run(const audio_model *m, const float *logmel, int64_t A, const float *vid_flag,
                           audio_model_outputs *out, vct_error *err);
void audio_model_outputs_free(audio_model_outputs *o);

/* The two halves of audio_model_run, shared with training (model/vct_train.h):
 * 1. VGGish (frozen; the reference runs it under torch.no_grad, so no tape):
 *    logmel [A,1,96,64] -> vggish [A,512,6,4]; selected [B,512,6,4] = the rows with
 *    vid flag 1 (all rows if vid_flag is NULL), *B their count (both buffers A rows).
 * 2. The trained head on tape t: selected -> audio MLP -> the decoder's audio memory
 *    [B,out,6,4] (returned); *bhwc (may be NULL) the [B,4,6,out] MLP output;
 *    *audio_feat (may be NULL) = normalize(audio_proj(mean over 6x4)) [B,out], or NULL
 *    without audio_proj (MS3). */
vct_status audio_model_vggish(const audio_model *m, const float *logmel, int64_t A, const float *vid_flag, float *vggish,
                              float *selected, int64_t *B, vct_error *err);
ag_var *audio_model_head(ag_tape *t, const audio_model *m, ag_var *selected, ag_var **bhwc, ag_var **audio_feat);

#endif
