/* conform_audio.c: the audio stages of `vct conform`.
 * front end: input_audio.wav -> decode -> resample to 16 kHz -> VGGish log-mel
 * examples, zero-padded to one row per frame, dumped as audio_log_mel [T,1,96,64]. */
#include <stdlib.h>
#include <string.h>

#include "audio/decode.h"
#include "audio/mel.h"
#include "audio/resample.h"
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
