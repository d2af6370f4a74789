/* conform_audio.c: the audio stages of `vct conform`.
 * front end: input_audio.wav -> decode -> resample to 16 kHz -> VGGish log-mel
 * examples, zero-padded to one row per frame, dumped as audio_log_mel [T,1,96,64]. */
#include <stdlib.h>
#include <string.h>

#include "audio/decode.h"
#include "audio/mel.h"
#include "audio/resample.h"
#include "model/audio_model.h"
#include "conform_stages.h"

vct_status conform_audio_front_end(const conform_case *c, tensor_dict *dump, vct_error *err);

vct_status conform_audio_front_end(const conform_case *c, tensor_dict *dump, vct_error *err) {
    const tensor *frames = tensor_dict_find(&c->inputs, "frames");
    if (!frames || frames->ndim != 4)
        return vct_fail(err, VCT_STATUS_FORMAT, "%s/inputs.npz: no [T,3,H,W] 'frames'", c->dir);
    int64_t T = frames->shape[0];
    char path[1100];
    conform_case_path(c, "input_audio.wav", path, sizeof path);
    audio_pcm pcm;
    VCT_TRY(audio_decode(path, &pcm, err));
    double *x = pcm.samples, *res = NULL;
    int64_t n = pcm.n;
    vct_status st = VCT_STATUS_OK;
    if (pcm.sample_rate != 16000) {
        st = audio_resample_alloc(&res, &n, pcm.samples, pcm.n, pcm.sample_rate, 16000, err);
        x = res;
    }
    int64_t N = st == VCT_STATUS_OK ? vggish_num_examples(n) : 0;
    float *ex = NULL;
    if (st == VCT_STATUS_OK) {
        ex = calloc((size_t)(N > T ? N : T) * 96 * 64 + 1, sizeof(float));
        if (!ex) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    }
    int64_t got = 0;
    if (st == VCT_STATUS_OK) st = vggish_examples(ex, &got, x, n, err);
    if (st == VCT_STATUS_OK) {
        /* the harness zero-pads (or cuts) to one example per frame */
        int64_t shape[4] = {T, 1, 96, 64};
        if (got < T) memset(ex + got * 96 * 64, 0, (size_t)(T - got) * 96 * 64 * sizeof(float));
        st = tensor_dict_add(dump, "audio_log_mel", VCT_DTYPE_F32, 4, shape, ex, NULL, err);
    }
    free(ex);
    free(res);
    audio_pcm_free(&pcm);
    if (st != VCT_STATUS_OK) vct_error_wrap(err, "%s", path);
    return st;
}

/* The audio path on the case's own audio_log_mel input (one example per frame):
 * audio.vggish_features, audio.selected_vggish_features, audio.mlp_out_BHWC,
 * audio.features_to_decoder, feats.audio_feat. */
vct_status conform_audio_head(const conform_case *c, tensor_dict *dump, vct_error *err);

vct_status conform_audio_head(const conform_case *c, tensor_dict *dump, vct_error *err) {
    const tensor *lm = tensor_dict_find(&c->inputs, "audio_log_mel");
    const tensor *flag = tensor_dict_find(&c->inputs, "vid_temporal_mask_flag");
    if (!lm || lm->dtype != VCT_DTYPE_F32 || lm->ndim != 4 || lm->shape[1] != 1 || lm->shape[2] != 96 || lm->shape[3] != 64)
        return vct_fail(err, VCT_STATUS_FORMAT, "%s/inputs.npz: 'audio_log_mel' is not F32 [A,1,96,64]", c->dir);
    if (flag && (flag->dtype != VCT_DTYPE_F32 || tensor_numel(flag) != lm->shape[0]))
        return vct_fail(err, VCT_STATUS_FORMAT, "%s/inputs.npz: 'vid_temporal_mask_flag' is not F32 [A]", c->dir);
    int64_t A = lm->shape[0];
    char what[1100];
    conform_case_path(c, "model_best.pth", what, sizeof what);
    audio_model m;
    VCT_TRY(audio_model_load(&m, &c->weights, what, err));
    audio_model_outputs o;
    vct_status st = audio_model_run(&m, lm->data, A, flag ? flag->data : NULL, &o, err);
    int64_t E = m.mlp_cfg.out_dim;
    int64_t vs[4] = {A, 512, 6, 4}, bs[4] = {o.B, 512, 6, 4}, hs[4] = {o.B, 4, 6, E}, fs[4] = {o.B, E, 6, 4},
            as[2] = {o.B, E};
    if (st == VCT_STATUS_OK) st = tensor_dict_add(dump, "audio.vggish_features", VCT_DTYPE_F32, 4, vs, o.vggish, NULL, err);
    if (st == VCT_STATUS_OK)
        st = tensor_dict_add(dump, "audio.selected_vggish_features", VCT_DTYPE_F32, 4, bs, o.selected, NULL, err);
    if (st == VCT_STATUS_OK) st = tensor_dict_add(dump, "audio.mlp_out_BHWC", VCT_DTYPE_F32, 4, hs, o.mlp_out_bhwc, NULL, err);
    if (st == VCT_STATUS_OK) st = tensor_dict_add(dump, "audio.features_to_decoder", VCT_DTYPE_F32, 4, fs, o.features, NULL, err);
    if (st == VCT_STATUS_OK && o.audio_feat)
        st = tensor_dict_add(dump, "feats.audio_feat", VCT_DTYPE_F32, 2, as, o.audio_feat, NULL, err);
    audio_model_outputs_free(&o);
    audio_model_free(&m);
    return st;
}
