/* mel.c: VGGish log-mel features in double (see mel.h).
 * ref: models/modeling/audio_backbone/torchvggish/mel_features.py
 * (frame, periodic_hann, stft_magnitude, hertz_to_mel, spectrogram_to_mel_matrix,
 * log_mel_spectrogram) and vggish_input.py waveform_to_examples.
 * The FFT is a plain radix-2 transform of the zero-padded 512-point frame; numpy's
 * pocketfft differs from it by rounding only (~1e-16 of the frame energy). */
#include "audio/mel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/omp.h"

#define PI_D 3.14159265358979323846

int64_t vggish_num_frames(int64_t S) {
    if (S < VGGISH_WINDOW) return 0;
    return 1 + (S - VGGISH_WINDOW) / VGGISH_HOP;
}

int64_t vggish_num_examples(int64_t S) {
    int64_t n = vggish_num_frames(S);
    if (n < VGGISH_EXAMPLE_FRAMES) return 0;
    return 1 + (n - VGGISH_EXAMPLE_FRAMES) / VGGISH_EXAMPLE_FRAMES;
}

static double hertz_to_mel(double f) {
    return 1127.0 * log(1.0 + (f / 700.0));
}

void vggish_mel_matrix(double *w) {
    const int K = VGGISH_BINS, J = VGGISH_BANDS;
    const double nyquist = VGGISH_SAMPLE_RATE / 2.0;
    /* band edges: numpy linspace(lo, hi, J+2) = i*step + lo, the last one exactly hi */
    double edges[VGGISH_BANDS + 2];
    double lo = hertz_to_mel(VGGISH_MEL_MIN_HZ), hi = hertz_to_mel(VGGISH_MEL_MAX_HZ);
    double estep = (hi - lo) / (double)(J + 1);
    for (int i = 0; i < J + 2; i++) edges[i] = (double)i * estep + lo;
    edges[J + 1] = hi;
    for (int k = 0; k < K; k++) {
        double f = k == K - 1 ? nyquist : (double)k * (nyquist / (double)(K - 1));
        double m = hertz_to_mel(f);
        for (int j = 0; j < J; j++) {
            double lower = (m - edges[j]) / (edges[j + 1] - edges[j]);
            double upper = (edges[j + 2] - m) / (edges[j + 2] - edges[j + 1]);
            double v = lower < upper ? lower : upper;
            w[(size_t)k * J + j] = k == 0 ? 0.0 : (v > 0.0 ? v : 0.0); /* HTK drops the DC bin */
        }
    }
}

/* shared tables: periodic Hann window, FFT twiddles, bit reversal, mel weights */
typedef struct mel_tables {
    double window[VGGISH_WINDOW];
    double cosw[VGGISH_FFT / 2], sinw[VGGISH_FFT / 2];
    int rev[VGGISH_FFT];
    double mel[VGGISH_BINS * VGGISH_BANDS];
    int band_lo[VGGISH_BANDS], band_hi[VGGISH_BANDS]; /* non-zero bin range per band */
} mel_tables;

static void tables_init(mel_tables *t) {
    for (int k = 0; k < VGGISH_WINDOW; k++)
        t->window[k] = 0.5 - (0.5 * cos(2.0 * PI_D / VGGISH_WINDOW * (double)k));
    for (int k = 0; k < VGGISH_FFT / 2; k++) {
        t->cosw[k] = cos(2.0 * PI_D * (double)k / VGGISH_FFT);
        t->sinw[k] = -sin(2.0 * PI_D * (double)k / VGGISH_FFT);
    }
    int bits = 0;
    while ((1 << bits) < VGGISH_FFT) bits++;
    for (int i = 0; i < VGGISH_FFT; i++) {
        int r = 0;
        for (int b = 0; b < bits; b++)
            if (i & (1 << b)) r |= 1 << (bits - 1 - b);
        t->rev[i] = r;
    }
    vggish_mel_matrix(t->mel);
    for (int j = 0; j < VGGISH_BANDS; j++) {
        int lo = VGGISH_BINS, hi = -1;
        for (int k = 0; k < VGGISH_BINS; k++)
            if (t->mel[(size_t)k * VGGISH_BANDS + j] != 0.0) {
                if (k < lo) lo = k;
                hi = k;
            }
        t->band_lo[j] = lo;
        t->band_hi[j] = hi;
    }
}

/* log-mel of the frame starting at x: out[64] */
static void frame_log_mel(double *out, const double *x, const mel_tables *t) {
    double re[VGGISH_FFT], im[VGGISH_FFT], mag[VGGISH_BINS];
    /* windowed, zero-padded frame in bit-reversed order */
    for (int i = 0; i < VGGISH_FFT; i++) {
        int s = t->rev[i];
        re[i] = s < VGGISH_WINDOW ? x[s] * t->window[s] : 0.0;
        im[i] = 0.0;
    }
    for (int len = 2; len <= VGGISH_FFT; len <<= 1) {
        int half = len >> 1, tstep = VGGISH_FFT / len;
        for (int i = 0; i < VGGISH_FFT; i += len) {
            for (int j = 0; j < half; j++) {
                double wr = t->cosw[j * tstep], wi = t->sinw[j * tstep];
                int a = i + j, b = a + half;
                double br = re[b] * wr - im[b] * wi;
                double bi = re[b] * wi + im[b] * wr;
                re[b] = re[a] - br;
                im[b] = im[a] - bi;
                re[a] += br;
                im[a] += bi;
            }
        }
    }
    for (int k = 0; k < VGGISH_BINS; k++) mag[k] = hypot(re[k], im[k]);
    for (int j = 0; j < VGGISH_BANDS; j++) {
        double s = 0.0;
        for (int k = t->band_lo[j]; k <= t->band_hi[j]; k++)
            s += mag[k] * t->mel[(size_t)k * VGGISH_BANDS + j];
        out[j] = log(s + VGGISH_LOG_OFFSET);
    }
}

static mel_tables *tables_new(vct_error *err) {
    mel_tables *t = malloc(sizeof *t);
    if (!t) {
        vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory for the mel tables");
        return NULL;
    }
    tables_init(t);
    return t;
}

vct_status vggish_log_mel(double *out, const double *x, int64_t S, vct_error *err) {
    const int64_t n = vggish_num_frames(S);
    if (n < 1)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "%lld samples at 16 kHz: a log-mel frame needs at least %d", (long long)S,
                        VGGISH_WINDOW);
    mel_tables *t = tables_new(err);
    if (!t) return VCT_STATUS_NO_MEMORY;
#pragma omp parallel for schedule(static)
    for (int64_t f = 0; f < n; f++)
        frame_log_mel(out + f * VGGISH_BANDS, x + f * VGGISH_HOP, t);
    free(t);
    return VCT_STATUS_OK;
}

vct_status vggish_examples(float *out, int64_t *n_examples, const double *x, int64_t S,
                           vct_error *err) {
    const int64_t N = vggish_num_examples(S);
    *n_examples = N;
    if (N == 0) return VCT_STATUS_OK;
    mel_tables *t = tables_new(err);
    if (!t) return VCT_STATUS_NO_MEMORY;
    const int64_t n = N * VGGISH_EXAMPLE_FRAMES; /* frames used; the rest are dropped */
#pragma omp parallel for schedule(static)
    for (int64_t f = 0; f < n; f++) {
        double lm[VGGISH_BANDS];
        frame_log_mel(lm, x + f * VGGISH_HOP, t);
        for (int j = 0; j < VGGISH_BANDS; j++) out[f * VGGISH_BANDS + j] = (float)lm[j];
    }
    free(t);
    return VCT_STATUS_OK;
}
