/* resample.c: resampy-compatible kaiser_best resampling (see resample.h).
 * Every floating-point step follows resampy's numpy/numba arithmetic in the
 * same order (no FMA contraction: ISO C mode), so the result agrees with
 * python3-resampy to within the few-ulp differences of the filter table. */
#include "audio/resample.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/omp.h"

/* Modified Bessel function of the first kind, order 0: sum_k ((x/2)^2)^k / (k!)^2.
 * All terms are positive; summed in long double (64-bit mantissa on x86-64) the
 * result rounds to within ~0.5 ulp of double for the |x| <= 13 used here. */
static double bessel_i0(double x) {
    long double q = 0.25L * (long double)x * (long double)x, term = 1.0L, sum = 1.0L;
    for (int k = 1; k < 500; k++) {
        term *= q / ((long double)k * (long double)k);
        sum += term;
        if (term < sum * 1e-21L) break;
    }
    return (double)sum;
}

static double *g_table;
static pthread_once_t g_table_once = PTHREAD_ONCE_INIT;

static void build_table(void) {
    const int64_t N = (int64_t)RESAMPY_BEST_ZEROS * RESAMPY_BEST_PRECISION; /* 409,600 */
    double *w = malloc((size_t)(N + 1) * sizeof *w);
    if (!w) return;
    const double beta = RESAMPY_BEST_BETA, roll = RESAMPY_BEST_ROLLOFF;
    const double i0_beta = bessel_i0(beta);
    const double step = (double)RESAMPY_BEST_ZEROS / (double)N; /* linspace(0, 50, N+1): 1/8192 */
    const double pi = 3.14159265358979323846;
    for (int64_t i = 0; i <= N; i++) {
        /* taper: numpy kaiser(2N+1, beta)[N + i]; (j - alpha)/alpha with alpha = N */
        double r = (double)i / (double)N;
        double taper = bessel_i0(beta * sqrt(1.0 - r * r)) / i0_beta;
        /* rolloff * sinc(rolloff * t), numpy's sinc(y) = sin(pi y)/(pi y) with y=0 -> 1e-20 */
        double t = i == N ? (double)RESAMPY_BEST_ZEROS : (double)i * step;
        double y = roll * t;
        double py = pi * (y == 0.0 ? 1.0e-20 : y);
        double sinc = sin(py) / py;
        w[i] = taper * (roll * sinc);
    }
    g_table = w;
}

const double *resampy_kaiser_best_table(void) {
    pthread_once(&g_table_once, build_table);
    return g_table;
}

int64_t audio_resample_length_ex(int64_t n, int sr_orig, int sr_new, audio_resampy_version version) {
    if (sr_orig == sr_new) return n;
    if (sr_orig <= 0 || sr_new <= 0 || n <= 0) return 0;
    if (version == AUDIO_RESAMPY_0_3) /* int(n * sample_ratio) */
        return (int64_t)((double)n * ((double)sr_new / (double)sr_orig));
    /* resampy >= 0.4.1: int(n * float(sr_new) / float(sr_orig)) */
    return (int64_t)((double)n * (double)sr_new / (double)sr_orig);
}

int64_t audio_resample_length(int64_t n, int sr_orig, int sr_new) {
    return audio_resample_length_ex(n, sr_orig, sr_new, AUDIO_RESAMPY_0_4);
}

static vct_status check_rates(int sr_orig, int sr_new, vct_error *err) {
    if (sr_orig < AUDIO_RATE_MIN || sr_orig > AUDIO_RATE_MAX)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED,
                        "sample rate %d Hz is outside the supported %d-%d Hz", sr_orig,
                        AUDIO_RATE_MIN, AUDIO_RATE_MAX);
    if (sr_new < AUDIO_RATE_MIN || sr_new > AUDIO_RATE_MAX)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED,
                        "target sample rate %d Hz is outside the supported %d-%d Hz", sr_new,
                        AUDIO_RATE_MIN, AUDIO_RATE_MAX);
    return VCT_STATUS_OK;
}

vct_status audio_resample(double *out, const double *x, int64_t n, int sr_orig, int sr_new,
                          vct_error *err) {
    return audio_resample_ex(out, x, n, sr_orig, sr_new, AUDIO_RESAMPY_0_4, err);
}

vct_status audio_resample_ex(double *out, const double *x, int64_t n, int sr_orig, int sr_new,
                             audio_resampy_version version, vct_error *err) {
    VCT_TRY(check_rates(sr_orig, sr_new, err));
    if (version != AUDIO_RESAMPY_0_4 && version != AUDIO_RESAMPY_0_3)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "audio_resample: unknown resampy version %d",
                        (int)version);
    if (n < 0 || (n > 0 && (!x || !out)))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "audio_resample: bad buffer or length");
    if (sr_orig == sr_new) {
        if (n > 0) memmove(out, x, (size_t)n * sizeof *out);
        return VCT_STATUS_OK;
    }
    const int64_t n_out = audio_resample_length_ex(n, sr_orig, sr_new, version);
    if (n_out < 1)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "%lld samples are too few to resample from %d to %d Hz", (long long)n,
                        sr_orig, sr_new);
    const double *base = resampy_kaiser_best_table();
    if (!base) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory for the resampling filter");
    const int64_t nwin = RESAMPY_BEST_TAPS;
    const int64_t num_table = RESAMPY_BEST_PRECISION;
    const double sample_ratio = (double)sr_new / (double)sr_orig;
    /* ref: resampy core.py: the wing scaled when downsampling, then its forward differences */
    double *win = malloc((size_t)nwin * 2 * sizeof *win);
    if (!win) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory for the resampling filter");
    double *delta = win + nwin;
    for (int64_t i = 0; i < nwin; i++) win[i] = sample_ratio < 1.0 ? sample_ratio * base[i] : base[i];
    for (int64_t i = 0; i + 1 < nwin; i++) delta[i] = win[i + 1] - win[i];
    delta[nwin - 1] = 0.0;
    double scale = sample_ratio < 1.0 ? sample_ratio : 1.0;
    if (version == AUDIO_RESAMPY_0_3) scale = (double)(float)scale; /* its kernel's float32 arg */
    const double time_increment = 1.0 / sample_ratio;
    const int64_t index_step = (int64_t)(scale * (double)num_table);

    /* ref: resampy interpn.py _resample_loop */
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < n_out; t++) {
        double time_register = (double)t * time_increment;
        int64_t m = (int64_t)time_register; /* input sample at or before the output time */
        double frac = scale * (time_register - (double)m);
        double index_frac = frac * (double)num_table;
        int64_t offset = (int64_t)index_frac;
        double eta = index_frac - (double)offset;
        double y = 0.0;
        int64_t i_max = (nwin - offset) / index_step;
        if (m + 1 < i_max) i_max = m + 1;
        for (int64_t i = 0; i < i_max; i++) {
            int64_t j = offset + i * index_step;
            double weight = win[j] + eta * delta[j];
            y += weight * x[m - i];
        }
        frac = scale - frac;
        index_frac = frac * (double)num_table;
        offset = (int64_t)index_frac;
        eta = index_frac - (double)offset;
        int64_t k_max = (nwin - offset) / index_step;
        if (n - m - 1 < k_max) k_max = n - m - 1;
        for (int64_t k = 0; k < k_max; k++) {
            int64_t j = offset + k * index_step;
            double weight = win[j] + eta * delta[j];
            y += weight * x[m + k + 1];
        }
        out[t] = y;
    }
    free(win);
    return VCT_STATUS_OK;
}

vct_status audio_resample_alloc(double **out, int64_t *n_out, const double *x, int64_t n,
                                int sr_orig, int sr_new, vct_error *err) {
    *out = NULL;
    *n_out = 0;
    VCT_TRY(check_rates(sr_orig, sr_new, err));
    int64_t m = audio_resample_length(n, sr_orig, sr_new);
    if (m < 1)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "%lld samples are too few to resample from %d to %d Hz", (long long)n,
                        sr_orig, sr_new);
    double *y = malloc((size_t)m * sizeof *y);
    if (!y) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory for %lld samples", (long long)m);
    vct_status st = audio_resample(y, x, n, sr_orig, sr_new, err);
    if (st != VCT_STATUS_OK) {
        free(y);
        return st;
    }
    *out = y;
    *n_out = m;
    return VCT_STATUS_OK;
}
