/* mel.h: the VGGish log-mel front end (torchvggish mel_features.py
 * log_mel_spectrogram + vggish_input.py waveform_to_examples framing), in double
 * with one final cast to float, as the official numpy float64 path does.
 *
 * Input: mono 16 kHz samples (int16/32768 values, see decode.h).
 *   frames   n = 1 + floor((S - 400)/160), no padding, trailing samples dropped
 *   window   periodic Hann 0.5 - 0.5 cos(2 pi k/400), k = 0..399
 *   spectrum |rfft(frame * window, 512)|: 257 magnitudes (not power)
 *   mel      [257,64] HTK triangles: bin k at f = 8000 k/256 Hz, mel(f) = 1127 ln(1 + f/700),
 *            66 edges evenly spaced in mel from mel(125) to mel(7500), row 0 (DC) zero
 *   log      ln(mel + 0.01)
 *   examples N = 1 + floor((n - 96)/96) windows of 96 frames, hop 96; trailing frames dropped.
 * Example k covers samples [15360 k, 15360 k + 15600). */
#ifndef VCT_AUDIO_MEL_H
#define VCT_AUDIO_MEL_H

#include <stdint.h>

#include "core/error.h"

#define VGGISH_SAMPLE_RATE 16000
#define VGGISH_WINDOW 400 /* samples: 0.025 s */
#define VGGISH_HOP 160    /* samples: 0.010 s */
#define VGGISH_FFT 512
#define VGGISH_BINS 257   /* VGGISH_FFT/2 + 1 */
#define VGGISH_BANDS 64
#define VGGISH_MEL_MIN_HZ 125.0
#define VGGISH_MEL_MAX_HZ 7500.0
#define VGGISH_LOG_OFFSET 0.01
#define VGGISH_EXAMPLE_FRAMES 96 /* 0.96 s; the example hop is the same */
/* samples for one example: (96 - 1) * 160 + 400 */
#define VGGISH_EXAMPLE_MIN_SAMPLES ((VGGISH_EXAMPLE_FRAMES - 1) * VGGISH_HOP + VGGISH_WINDOW)

/* STFT frames of S samples: 1 + floor((S-400)/160), or 0 if S < 400. */
int64_t vggish_num_frames(int64_t S);
/* Examples of S samples: 1 + floor((n-96)/96) for n = vggish_num_frames(S), or 0 if n < 96. */
int64_t vggish_num_examples(int64_t S);

/* The mel weight matrix w[257][64] (row-major, bins x bands), as the official
 * spectrogram_to_mel_matrix computes it in double. */
void vggish_mel_matrix(double *w);

/* Log-mel of every frame: out[vggish_num_frames(S)][64] in double. Fails if
 * S < 400 (no frame; the official code raises there too). OpenMP over frames. */
vct_status vggish_log_mel(double *out, const double *x, int64_t S, vct_error *err);

/* The official examples: out[vggish_num_examples(S)][96][64], float (cast from
 * double); *n_examples receives the count (0 is not an error: out is untouched).
 * Only the frames that land in an example are computed. */
vct_status vggish_examples(float *out, int64_t *n_examples, const double *x, int64_t S,
                           vct_error *err);

#endif
