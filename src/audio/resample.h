/* resample.h: band-limited sample-rate conversion matching resampy's
 * resample(x, sr_orig, sr_new) with the default filter 'kaiser_best'
 * (resampy 0.4.x: core.py resample + interpn.py _resample_loop), in double.
 *
 * Filter: the right wing of a Kaiser-windowed sinc, computed here from the
 * documented parameters (resampy filters.py): 50 zero crossings, 2^13 = 8192
 * table entries per crossing (409,601 taps), roll-off 0.917347, Kaiser
 * beta 12.9846:  win[i] = kaiser(2N+1, beta)[N + i] * rolloff * sinc(rolloff * i/8192),
 * N = 409,600. It equals resampy's packaged kaiser_best.npz to ~1e-16.
 * Interpolation: for output t at input time t_out = t * (sr_orig/sr_new), a left
 * wing over x[n], x[n-1], ... and a right wing over x[n+1], ..., with linearly
 * interpolated table weights, accumulated in resampy's order; when downsampling
 * the table is scaled by sr_new/sr_orig and stepped by int(8192 * sr_new/sr_orig).
 * Output length: floor(n * sr_new / sr_orig) (resampy >= 0.4.1).
 *
 * resampy 0.3.1 (the version VCT's requirements.txt pins) differs in two details:
 * its numba kernel took `scale` as float32 (downsampling by a ratio that is not a
 * power of two reads the table at phases off by ~1e-8 relative: waveform changes of
 * ~2e-8, log-mel up to ~3e-5 on chirps), and it computed the length as
 * int(n * (sr_new / sr_orig)), which can be one sample shorter than 0.4's
 * int(n * sr_new / sr_orig) (never for 8-48 kHz -> 16 kHz and n <= 480,000).
 * AUDIO_RESAMPY_0_3 reproduces both; the default follows 0.4.x, the version
 * Debian ships and the tests run against. */
#ifndef VCT_AUDIO_RESAMPLE_H
#define VCT_AUDIO_RESAMPLE_H

#include <stdint.h>

#include "core/error.h"

#define AUDIO_RATE_MIN 4000   /* Hz: audio_resample refuses rates outside [min, max] */
#define AUDIO_RATE_MAX 192000

#define RESAMPY_BEST_ZEROS 50
#define RESAMPY_BEST_PRECISION 8192 /* 2^13 table entries per zero crossing */
#define RESAMPY_BEST_ROLLOFF 0.917347
#define RESAMPY_BEST_BETA 12.9846
#define RESAMPY_BEST_TAPS (RESAMPY_BEST_ZEROS * RESAMPY_BEST_PRECISION + 1)

typedef enum audio_resampy_version {
    AUDIO_RESAMPY_0_4 = 0, /* resampy 0.4.x (default) */
    AUDIO_RESAMPY_0_3      /* resampy 0.3.x: float32 `scale`, length int(n * ratio) */
} audio_resampy_version;

/* The kaiser_best right wing [RESAMPY_BEST_TAPS], computed once and shared
 * (thread-safe); never NULL unless out of memory. */
const double *resampy_kaiser_best_table(void);

/* Output length resampy gives: floor(n * sr_new / sr_orig); n if the rates are equal. */
int64_t audio_resample_length(int64_t n, int sr_orig, int sr_new);

/* out[audio_resample_length(n, sr_orig, sr_new)] = x[n] resampled from sr_orig to
 * sr_new. Fails for rates outside [AUDIO_RATE_MIN, AUDIO_RATE_MAX] or an output
 * of zero samples. Equal rates copy. Deterministic; OpenMP over output samples. */
vct_status audio_resample(double *out, const double *x, int64_t n, int sr_orig, int sr_new,
                          vct_error *err);

/* Same with the arithmetic of another resampy version; the output length is
 * audio_resample_length_ex(n, sr_orig, sr_new, version). */
int64_t audio_resample_length_ex(int64_t n, int sr_orig, int sr_new, audio_resampy_version version);
vct_status audio_resample_ex(double *out, const double *x, int64_t n, int sr_orig, int sr_new,
                             audio_resampy_version version, vct_error *err);

/* Same as audio_resample, allocating: *out (malloc'ed) and *n_out. */
vct_status audio_resample_alloc(double **out, int64_t *n_out, const double *x, int64_t n,
                                int sr_orig, int sr_new, vct_error *err);

#endif
