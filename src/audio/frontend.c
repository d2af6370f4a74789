/* frontend.c: decode -> 16 kHz -> VGGish examples -> the task's T rows (see frontend.h). */
#include "audio/frontend.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "audio/mel.h"
#include "audio/resample.h"
#include "core/log.h"

int audio_task_rows(audio_task task) {
    return task == AUDIO_TASK_AVSS ? 10 : 5;
}

const char *audio_task_name(audio_task task) {
    switch (task) {
    case AUDIO_TASK_S4: return "s4";
    case AUDIO_TASK_MS3: return "ms3";
    case AUDIO_TASK_AVSS: return "avss";
    }
    return "?";
}

int audio_task_from_name(const char *name, audio_task *out) {
    if (!name) return -1;
    if (!strcmp(name, "s4")) *out = AUDIO_TASK_S4;
    else if (!strcmp(name, "ms3")) *out = AUDIO_TASK_MS3;
    else if (!strcmp(name, "avss") || !strcmp(name, "ss")) *out = AUDIO_TASK_AVSS;
    else return -1;
    return 0;
}

vct_status audio_examples_all(float **out, int64_t *n_examples, const double *x, int64_t n, int sample_rate,
                              const char *what, vct_error *err) {
    const char *src = what ? what : "audio";
    const int64_t row = (int64_t)VGGISH_EXAMPLE_FRAMES * VGGISH_BANDS;
    double *x16 = NULL;
    float *ex = NULL;
    int64_t n16 = n;
    vct_status st = VCT_STATUS_OK;
    if (!out || !n_examples) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: NULL output", src);
    *out = NULL;
    *n_examples = 0;
    if (n <= 0 || !x) return vct_fail(err, VCT_STATUS_FORMAT, "%s: no audio samples", src);
    /* the rate, then the length (before resampling: a few samples at 44.1 kHz resample
     * to none, which would hide the real problem), then the work */
    if (sample_rate < AUDIO_RATE_MIN || sample_rate > AUDIO_RATE_MAX)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: sample rate %d Hz is outside the supported %d-%d Hz",
                        src, sample_rate, AUDIO_RATE_MIN, AUDIO_RATE_MAX);
    n16 = audio_resample_length(n, sample_rate, VGGISH_SAMPLE_RATE);
    const int64_t N = vggish_num_examples(n16);
    if (N == 0)
        return vct_fail(err, VCT_STATUS_FORMAT,
                        "%s: %.3f s of audio (%lld sample%s at %d Hz); one VGGish example needs "
                        "%.3f s (%d samples at 16 kHz)",
                        src, (double)n / sample_rate, (long long)n, n == 1 ? "" : "s", sample_rate,
                        (double)VGGISH_EXAMPLE_MIN_SAMPLES / VGGISH_SAMPLE_RATE, VGGISH_EXAMPLE_MIN_SAMPLES);
    if (sample_rate != VGGISH_SAMPLE_RATE) {
        st = audio_resample_alloc(&x16, &n16, x, n, sample_rate, VGGISH_SAMPLE_RATE, err);
        if (st != VCT_STATUS_OK) {
            vct_error_wrap(err, "%s", src);
            goto fail;
        }
    }
    ex = malloc((size_t)(N * row) * sizeof *ex);
    if (!ex) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory for %lld examples", src, (long long)N);
        goto fail;
    }
    int64_t got = 0;
    st = vggish_examples(ex, &got, x16 ? x16 : x, n16, err);
    if (st != VCT_STATUS_OK) {
        vct_error_wrap(err, "%s", src);
        goto fail;
    }
    assert(got == N);
    *out = ex;
    *n_examples = N;
    ex = NULL;
fail:
    free(ex);
    free(x16);
    return st;
}

vct_status audio_examples_for_task(float *out, int64_t *n_real, const double *x, int64_t n,
                                   int sample_rate, audio_task task, const char *what,
                                   vct_error *err) {
    const char *src = what ? what : "audio";
    if (n_real) *n_real = 0;
    if (task != AUDIO_TASK_S4 && task != AUDIO_TASK_MS3 && task != AUDIO_TASK_AVSS)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: unknown task %d", src, (int)task);
    const int64_t T = audio_task_rows(task);
    const int64_t row = (int64_t)VGGISH_EXAMPLE_FRAMES * VGGISH_BANDS;
    float *ex = NULL;
    int64_t N = 0;
    VCT_TRY(audio_examples_all(&ex, &N, x, n, sample_rate, what, err));
    if (N > T)
        log_warn("%s: %lld log-mel examples (%.2f s of audio); the %s task uses %lld, keeping the "
                 "first %lld",
                 src, (long long)N, (double)n / sample_rate, audio_task_name(task), (long long)T,
                 (long long)T);
    int64_t keep = N < T ? N : T;
    memcpy(out, ex, (size_t)(keep * row) * sizeof *out);
    for (int64_t r = keep; r < T; r++) {
        if (task == AUDIO_TASK_AVSS) /* ref: avs_tools/preprocess_avss_audio.py: zeros */
            memset(out + r * row, 0, (size_t)row * sizeof *out);
        else /* ref: AVSBench preprocess_s4.py / preprocess_ms3.py: repeat the last example */
            memcpy(out + r * row, ex + (N - 1) * row, (size_t)row * sizeof *out);
    }
    if (n_real) *n_real = keep;
    free(ex);
    return VCT_STATUS_OK;
}

vct_status audio_file_examples_all(float **out, int64_t *n_examples, const char *path,
                                   const audio_decode_params *params, vct_error *err) {
    audio_pcm pcm;
    vct_status st = audio_decode_ex(path, params, &pcm, err);
    if (st != VCT_STATUS_OK) return st;
    st = audio_examples_all(out, n_examples, pcm.samples, pcm.n, pcm.sample_rate, path, err);
    audio_pcm_free(&pcm);
    return st;
}

vct_status audio_file_examples(float *out, int64_t *n_real, const char *path, audio_task task,
                               const audio_decode_params *params, vct_error *err) {
    audio_pcm pcm;
    vct_status st = audio_decode_ex(path, params, &pcm, err);
    if (st != VCT_STATUS_OK) return st;
    st = audio_examples_for_task(out, n_real, pcm.samples, pcm.n, pcm.sample_rate, task, path, err);
    audio_pcm_free(&pcm);
    return st;
}
