/* vct_train.c: see vct_train.h. */
#include "model/vct_train.h"

#include <string.h>

vct_status vct_model_train_forward(const vct_model *m, ag_tape *t, const vct_forward_inputs *in, draw_source *draws,
                                   const int64_t *force_idx, vct_train_outputs *out, vct_error *err) {
    memset(out, 0, sizeof *out);
    if (!m->trainable)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: the model was built for inference (no gradient slots); "
                        "a training step needs vct_model_build_ex(trainable = 1)", m->what);
    if (!t->training)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "training forward on an inference tape (nothing would be "
                        "recorded for the backward)");
    if (!draws)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "training forward without a draw source (drop path and the "
                        "Gumbel assignment draw in training mode)");
    VCT_TRY(vct_model_check_inputs(m, in, err));
    const int64_t T = in->T, A = in->A, VG = 512 * 24;
    /* VGGish: frozen and under torch.no_grad in the reference, so off the tape */
    float *vgg = arena_alloc(t->mem, (size_t)(A * VG) * sizeof(float));
    ag_var *sel = ag_new(t, 4, (int64_t[4]){A, 512, 6, 4});
    if (!vgg || !sel) return vct_fail(err, VCT_STATUS_NO_MEMORY, "training forward: no memory for %lld VGGish rows",
                                      (long long)A);
    int64_t B = 0;
    VCT_TRY(audio_model_vggish(&m->audio, in->log_mel, A, in->vid_flag, vgg, sel->data, &B, err));
    if (B != T) /* vct_model_check_inputs guarantees it; a cheap guard for the views below */
        return vct_fail(err, VCT_STATUS_SHAPE, "training forward: %lld audio rows for %lld frames", (long long)B,
                        (long long)T);
    sel->shape[0] = B;
    out->B = T;
    /* the trained audio head, then the network on every frame at once */
    out->audio_features = audio_model_head(t, &m->audio, sel, &out->audio_bhwc, &out->audio_feat);
    if (t->status != VCT_STATUS_OK) return vct_fail(err, t->status, "audio: %s", t->err.msg);
    VCT_TRY(vct_model_network(t, m, in->frames, m->use_pre_sam ? in->maskige : NULL, T, out->audio_features, draws,
                              force_idx, &out->net, err));
    if (m->dec_cfg.has_proto_proj) {
        out->proto_feat = av_decoder_proto_feat(t, &m->dec_cfg, &m->dec, out->net.q.prototypes);
        out->logit_scale = ag_param(t, &m->logit_scale);
    }
    if (t->status != VCT_STATUS_OK) return vct_fail(err, t->status, "%s", t->err.msg);
    return VCT_STATUS_OK;
}
