/* frontend.c: decode -> 16 kHz -> VGGish examples -> the task's T rows (see frontend.h). */
#include "audio/frontend.h"

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

vct_status audio_examples_for_task(float *out, int64_t *n_real, const double *x, int64_t n,
                                   int sample_rate, audio_task task, const char *what,
                                   vct_error *err) {
    const char *src = what ? what : "audio";
    if (n_real) *n_real = 0;
    if (task != AUDIO_TASK_S4 && task != AUDIO_TASK_MS3 && task != AUDIO_TASK_AVSS)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: unknown task %d", src, (int)task);
    const int64_t T = audio_task_rows(task);
    const int64_t row = (int64_t)VGGISH_EXAMPLE_FRAMES * VGGISH_BANDS;
    double *x16 = NULL;
    float *ex = NULL;
    int64_t n16 = n;
    vct_status st = VCT_STATUS_OK;
    if (n <= 0 || !x) {
        st = vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: no audio samples", src);
        goto fail;
    }
    if (sample_rate != VGGISH_SAMPLE_RATE) {
        st = audio_resample_alloc(&x16, &n16, x, n, sample_rate, VGGISH_SAMPLE_RATE, err);
        if (st != VCT_STATUS_OK) {
            vct_error_wrap(err, "%s", src);
            goto fail;
        }
    }
    const double *w = x16 ? x16 : x;
    int64_t N = vggish_num_examples(n16);
    if (N == 0) {
        st = vct_fail(err, VCT_STATUS_FORMAT,
                      "%s: %.3f s of audio (%lld samples at 16 kHz); one VGGish example needs "
                      "%.3f s (%d samples)",
                      src, (double)n16 / VGGISH_SAMPLE_RATE, (long long)n16,
                      (double)VGGISH_EXAMPLE_MIN_SAMPLES / VGGISH_SAMPLE_RATE,
                      VGGISH_EXAMPLE_MIN_SAMPLES);
        goto fail;
    }
    ex = malloc((size_t)(N * row) * sizeof *ex);
    if (!ex) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory for %lld examples", src,
                      (long long)N);
        goto fail;
    }
    int64_t got = 0;
    st = vggish_examples(ex, &got, w, n16, err);
    if (st != VCT_STATUS_OK) {
        vct_error_wrap(err, "%s", src);
        goto fail;
    }
    if (N > T)
        log_warn("%s: %lld log-mel examples (%.2f s of audio); the %s task uses %lld, keeping the "
                 "first %lld",
                 src, (long long)N, (double)n16 / VGGISH_SAMPLE_RATE, audio_task_name(task),
                 (long long)T, (long long)T);
    int64_t keep = N < T ? N : T;
    memcpy(out, ex, (size_t)(keep * row) * sizeof *out);
    for (int64_t r = keep; r < T; r++) {
        if (task == AUDIO_TASK_AVSS) /* ref: avs_tools/preprocess_avss_audio.py: zeros */
            memset(out + r * row, 0, (size_t)row * sizeof *out);
        else /* ref: AVSBench preprocess_s4.py / preprocess_ms3.py: repeat the last example */
            memcpy(out + r * row, ex + (N - 1) * row, (size_t)row * sizeof *out);
    }
    if (n_real) *n_real = keep;
fail:
    free(ex);
    free(x16);
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
