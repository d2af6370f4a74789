/* avsbench_audio.c: the audio files of an AVSBench clip: the pickled log-mel
 * tensors the official loaders read (.pkl, through the safe pickle reader of
 * io/pth.h) and the WAV the preprocessing starts from (audio/frontend.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/decode.h"
#include "audio/frontend.h"
#include "core/tensor.h"
#include "data/avsbench.h"
#include "io/pth.h"

#define PKL_BANDS 64
#define PKL_FRAMES 96

vct_status avs_read_audio_pkl(const char *path, int64_t want_rows, float **out, int64_t *rows,
                              vct_error *err) {
    *out = NULL;
    *rows = 0;
    tensor_dict d;
    VCT_TRY(pth_read_all(path, &d, err));
    vct_status st = VCT_STATUS_OK;
    char sh[128];
    if (d.count != 1) {
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: holds %lld tensors; a log-mel .pkl holds one [T,1,96,64]",
                      path, (long long)d.count);
        goto done;
    }
    const tensor *t = &d.items[0].t;
    shape_str(t->ndim, t->shape, sh, sizeof sh);
    int ok_shape = (t->ndim == 4 && t->shape[1] == 1 && t->shape[2] == PKL_FRAMES && t->shape[3] == PKL_BANDS) ||
                   (t->ndim == 3 && t->shape[1] == PKL_FRAMES && t->shape[2] == PKL_BANDS);
    if (t->dtype != VCT_DTYPE_F32 || !ok_shape || t->shape[0] < 1) {
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: log-mel tensor is %s %s; expected F32 [T,1,96,64]", path,
                      dtype_name(t->dtype), sh);
        goto done;
    }
    if (want_rows > 0 && t->shape[0] != want_rows) {
        st = vct_fail(err, VCT_STATUS_SHAPE, "%s: log-mel tensor %s has %lld rows; the clip needs %lld", path, sh,
                      (long long)t->shape[0], (long long)want_rows);
        goto done;
    }
    int64_t n = tensor_numel(t);
    const float *v = t->data;
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(v[i])) {
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s: log-mel value %g at row %lld is not finite", path,
                          (double)v[i], (long long)(i / (PKL_FRAMES * PKL_BANDS)));
            goto done;
        }
    *out = malloc((size_t)n * sizeof **out);
    if (!*out) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
        goto done;
    }
    memcpy(*out, v, (size_t)n * sizeof **out);
    *rows = t->shape[0];
done:
    tensor_dict_free(&d);
    return st;
}

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

vct_status avs_check_wav_complete(const char *path, vct_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return vct_fail(err, VCT_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    vct_status st = VCT_STATUS_OK;
    unsigned char h[12];
    if (fseek(f, 0, SEEK_END) != 0) goto done;
    long size = ftell(f);
    rewind(f);
    if (size < 12 || fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) != 0 || memcmp(h + 8, "WAVE", 4) != 0)
        goto done; /* not a RIFF WAV: the decoder decides */
    long pos = 12;
    while (pos + 8 <= size) {
        unsigned char c[8];
        if (fseek(f, pos, SEEK_SET) != 0 || fread(c, 1, 8, f) != 8) break;
        uint32_t n = le32(c + 4);
        if (memcmp(c, "data", 4) == 0) {
            long have = size - (pos + 8);
            if (n != 0xffffffffu && (long)n > have)
                st = vct_fail(err, VCT_STATUS_FORMAT,
                              "%s: truncated WAV: the data chunk declares %lu bytes, the file holds %ld", path,
                              (unsigned long)n, have);
            goto done;
        }
        pos += 8 + (long)n + (long)(n & 1);
    }
    st = vct_fail(err, VCT_STATUS_FORMAT, "%s: truncated or malformed WAV: no data chunk within its %ld bytes",
                  path, size);
done:
    fclose(f);
    return st;
}

static audio_task audio_task_of(avs_task t) {
    return t == AVS_TASK_S4 ? AUDIO_TASK_S4 : t == AVS_TASK_MS3 ? AUDIO_TASK_MS3 : AUDIO_TASK_AVSS;
}

vct_status avs_read_audio_examples(const char *path, avs_task task, int need_examples, float **out,
                                   int64_t *n_real, vct_error *err) {
    *out = NULL;
    *n_real = 0;
    VCT_TRY(avs_check_wav_complete(path, err));
    audio_pcm pcm;
    audio_decode_params prm = audio_decode_default_params();
    vct_status st = audio_decode_ex(path, &prm, &pcm, err);
    if (st != VCT_STATUS_OK) {
        audio_pcm_free(&pcm);
        return st;
    }
    audio_task at = audio_task_of(task);
    int64_t T = audio_task_rows(at);
    float *ex = NULL;
    if (pcm.truncated || pcm.damaged_packets) {
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: damaged audio: decoding %s after %lld samples", path,
                      pcm.truncated ? "ended early" : "skipped damaged packets", (long long)pcm.n);
        goto done;
    }
    ex = malloc((size_t)(T * PKL_FRAMES * PKL_BANDS) * sizeof *ex);
    if (!ex) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
        goto done;
    }
    st = audio_examples_for_task(ex, n_real, pcm.samples, pcm.n, pcm.sample_rate, at, path, err);
    if (st != VCT_STATUS_OK) goto done;
    if (*n_real < need_examples) {
        /* VGGish: N examples need 240 + 15360 N samples at 16 kHz */
        double need_s = (240.0 + 15360.0 * need_examples) / 16000.0;
        st = vct_fail(err, VCT_STATUS_FORMAT,
                      "%s: %.3f s of audio (%lld samples at %d Hz) gives %lld log-mel examples; the clip has "
                      "%d frames and needs %d (at least %.3f s)",
                      path, (double)pcm.n / pcm.sample_rate, (long long)pcm.n, pcm.sample_rate,
                      (long long)*n_real, need_examples, need_examples, need_s);
        goto done;
    }
    *out = ex;
    ex = NULL;
done:
    free(ex);
    audio_pcm_free(&pcm);
    return st;
}
