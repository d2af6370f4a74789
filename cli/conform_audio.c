/* conform_audio.c: the audio stages of `vct conform`.
 * front end: input_audio.wav -> decode -> resample to 16 kHz -> VGGish log-mel
 * examples, zero-padded to one row per frame, dumped as audio_log_mel [T,1,96,64]. */
#include <stdlib.h>
#include <string.h>

#include "audio/decode.h"
#include "audio/mel.h"
#include "audio/resample.h"
#include "audio/vggish.h"
#include "autograd/ag_ops.h"
#include "autograd/ag_shape.h"
#include "model/audio_mlp.h"
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

/* VGGish on the case's own audio_log_mel input (one example per frame), the rows
 * of real frames, the audio MLP, and the prototype-audio feature:
 * audio.vggish_features, audio.selected_vggish_features, audio.mlp_out_BHWC,
 * audio.features_to_decoder, feats.audio_feat. */
vct_status conform_audio_head(const conform_case *c, tensor_dict *dump, vct_error *err);

typedef struct audio_stage {
    param_table pt;
    vggish_weights vgg;
    audio_mlp_weights mlp;
    float *audio_proj_weight; /* [256, 256], no bias */
    arena scratch, mem;
} audio_stage;

static vct_status audio_stage_setup(audio_stage *s, const conform_case *c, audio_mlp_config *mc, vct_error *err) {
    const tensor *w0 = tensor_dict_find(&c->weights, "sem_seg_head.audio_transformation.embeddings.0.weight");
    const tensor *w4 = tensor_dict_find(&c->weights, "sem_seg_head.audio_transformation.embeddings.4.weight");
    if (!w0 || !w4 || w0->ndim != 2 || w4->ndim != 2)
        return vct_fail(err, VCT_STATUS_FORMAT, "%s/model_best.pth: no audio MLP weights", c->dir);
    /* the official sizes are hard-coded 512 -> 4096 -> 4096 -> 256; take them from the checkpoint */
    mc->in_dim = w0->shape[1];
    mc->hidden_dim = w0->shape[0];
    mc->out_dim = w4->shape[0];
    param_table_init(&s->pt);
    vggish_register(&s->pt, "audio_backbone.", &s->vgg);
    audio_mlp_register(&s->pt, "sem_seg_head.audio_transformation.", mc, &s->mlp);
    int64_t ps[2] = {mc->out_dim, mc->out_dim};
    param_add(&s->pt, "sem_seg_head.predictor.", "audio_proj.weight", 2, ps, 1, &s->audio_proj_weight, NULL);
    VCT_TRY(param_table_alloc(&s->pt, err));
    char what[1100];
    conform_case_path(c, "model_best.pth", what, sizeof what);
    VCT_TRY(param_table_load(&s->pt, &c->weights, what, NULL, err));
    return VCT_STATUS_OK;
}

vct_status conform_audio_head(const conform_case *c, tensor_dict *dump, vct_error *err) {
    const tensor *lm = tensor_dict_find(&c->inputs, "audio_log_mel");
    const tensor *flag = tensor_dict_find(&c->inputs, "vid_temporal_mask_flag");
    if (!lm || lm->dtype != VCT_DTYPE_F32 || lm->ndim != 4 || lm->shape[1] != 1 || lm->shape[2] != 96 || lm->shape[3] != 64)
        return vct_fail(err, VCT_STATUS_FORMAT, "%s/inputs.npz: 'audio_log_mel' is not F32 [A,1,96,64]", c->dir);
    int64_t A = lm->shape[0];
    audio_stage s;
    memset(&s, 0, sizeof s);
    audio_mlp_config mc;
    vct_status st = audio_stage_setup(&s, c, &mc, err);
    if (st == VCT_STATUS_OK) st = arena_init(&s.scratch, vggish_arena_bytes(A) + ((size_t)64 << 20), err);
    if (st == VCT_STATUS_OK) st = arena_init(&s.mem, (size_t)256 << 20, err);
    tensor *vf = NULL;
    int64_t vshape[4] = {A, 512, 6, 4};
    if (st == VCT_STATUS_OK) st = tensor_dict_add(dump, "audio.vggish_features", VCT_DTYPE_F32, 4, vshape, NULL, &vf, err);
    if (st == VCT_STATUS_OK) st = vggish_forward(&s.vgg, lm->data, A, vf->data, &s.scratch, err);
    /* AVSS: keep the rows of real frames (vid flag 1); S4/MS3 keep every row */
    int64_t B = 0;
    float *sel = NULL;
    if (st == VCT_STATUS_OK) {
        sel = malloc((size_t)A * 512 * 24 * sizeof(float));
        if (!sel) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
        for (int64_t a = 0; sel && a < A; a++)
            if (!flag || dtype_get_f64(flag->data, flag->dtype, a) == 1.0)
                memcpy(sel + (B++) * 512 * 24, (float *)vf->data + a * 512 * 24, 512 * 24 * sizeof(float));
    }
    int64_t bshape[4] = {B, 512, 6, 4};
    if (st == VCT_STATUS_OK)
        st = tensor_dict_add(dump, "audio.selected_vggish_features", VCT_DTYPE_F32, 4, bshape, sel, NULL, err);
    ag_tape t;
    if (st == VCT_STATUS_OK) st = ag_tape_init(&t, &s.mem, &s.scratch, 0, 0, err);
    if (st == VCT_STATUS_OK) {
        ag_var *a = ag_leaf(&t, sel, NULL, 4, bshape, 0), *bhwc = NULL;
        ag_var *feat = audio_mlp_forward(&t, &mc, &s.mlp, a, &bhwc);
        int axes[2] = {2, 3};
        int64_t ps[2] = {mc.out_dim, mc.out_dim};
        ag_var *pw = ag_leaf(&t, s.audio_proj_weight, NULL, 2, ps, 0);
        ag_var *af = ag_l2normalize(&t, ag_linear(&t, ag_mean(&t, feat, axes, 2, 0), pw, NULL));
        if (t.status != VCT_STATUS_OK) st = vct_fail(err, t.status, "%s", t.err.msg);
        if (st == VCT_STATUS_OK)
            st = tensor_dict_add(dump, "audio.mlp_out_BHWC", VCT_DTYPE_F32, 4, bhwc->shape, bhwc->data, NULL, err);
        if (st == VCT_STATUS_OK)
            st = tensor_dict_add(dump, "audio.features_to_decoder", VCT_DTYPE_F32, 4, feat->shape, feat->data, NULL, err);
        if (st == VCT_STATUS_OK)
            st = tensor_dict_add(dump, "feats.audio_feat", VCT_DTYPE_F32, 2, af->shape, af->data, NULL, err);
        ag_tape_free(&t);
    }
    free(sel);
    arena_free(&s.scratch);
    arena_free(&s.mem);
    param_table_free(&s.pt);
    return st;
}
