/* audio_ref.h: helpers shared by the audio tests (static, header-only): typed
 * access to the reference tensors of tests/ref/gen_audio.py, the media paths,
 * and a double-precision comparison of a waveform against a stored subset
 * (<key>.n, <key>.sum = [sum, sum of squares], <key>.idx, <key>.val). */
#ifndef VCT_TESTS_AUDIO_REF_H
#define VCT_TESTS_AUDIO_REF_H

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#define AR_MEDIA "tests/ref/data/audio_media"
#define AR_MAX_STEMS 64

static inline const void *ar_get(const tensor_dict *d, const char *key, vct_dtype dt, int64_t *n) {
    const tensor *t = tl_ref_tensor(d, key);
    if (!t) return NULL;
    if (t->dtype != dt) {
        tl_fail(key, "reference dtype %s, expected %s", dtype_name(t->dtype), dtype_name(dt));
        return NULL;
    }
    if (n) *n = tensor_numel(t);
    return t->data;
}

static inline const int64_t *ar_i64(const tensor_dict *d, const char *stem, const char *field, int64_t *n) {
    char key[512];
    snprintf(key, sizeof key, "%.300s.%.100s", stem, field);
    return ar_get(d, key, VCT_DTYPE_I64, n);
}

static inline const double *ar_f64(const tensor_dict *d, const char *stem, const char *field, int64_t *n) {
    char key[512];
    snprintf(key, sizeof key, "%.300s.%.100s", stem, field);
    return ar_get(d, key, VCT_DTYPE_F64, n);
}

static inline int ar_has(const tensor_dict *d, const char *stem, const char *field) {
    char key[512];
    snprintf(key, sizeof key, "%.300s.%.100s", stem, field);
    return tensor_dict_find(d, key) != NULL;
}

/* stems of the keys "<stem>.rate"; returns the count */
typedef struct ar_stem {
    char s[128];
} ar_stem;

static inline int ar_stems(const tensor_dict *d, ar_stem *stems, int cap) {
    int n = 0;
    for (int64_t i = 0; i < d->count && n < cap; i++) {
        const char *k = d->items[i].name;
        size_t L = strlen(k);
        if (L > 5 && !strcmp(k + L - 5, ".rate") && L - 5 < 128) {
            memcpy(stems[n].s, k, L - 5);
            stems[n].s[L - 5] = '\0';
            n++;
        }
    }
    return n;
}

/* AR_MEDIA/<stem>.<ext> for the one file whose name is stem + "." + ext; 0 if found */
static inline int ar_media_path(const char *stem, char *out, size_t cap) {
    DIR *dir = opendir(AR_MEDIA);
    if (!dir) return -1;
    struct dirent *e;
    int found = -1;
    size_t L = strlen(stem);
    while ((e = readdir(dir))) {
        if (!strncmp(e->d_name, stem, L) && e->d_name[L] == '.' && !strchr(e->d_name + L + 1, '.')) {
            snprintf(out, cap, "%s/%s", AR_MEDIA, e->d_name);
            found = 0;
            break;
        }
    }
    closedir(dir);
    return found;
}

/* Compare got[n_got] with the stored subset of key; the length must match and
 * every stored sample be within atol. *max_err (may be NULL) receives the largest
 * deviation. Returns 1 if it passed (and counts a pass or a failure). */
static inline int ar_check_wave(const char *name, const double *got, int64_t n_got, const tensor_dict *d,
                         const char *key, double atol, double *max_err) {
    int64_t nn = 0, ni = 0, nv = 0, ns = 0;
    const int64_t *n = ar_i64(d, key, "n", &nn);
    const int64_t *idx = ar_i64(d, key, "idx", &ni);
    const double *val = ar_f64(d, key, "val", &nv);
    const double *sum = ar_f64(d, key, "sum", &ns);
    if (!n || !idx || !val || !sum || nn != 1 || ni != nv || ns != 2) {
        tl_fail(name, "reference %s incomplete", key);
        return 0;
    }
    if (n[0] != n_got) {
        tl_fail(name, "%lld samples, the reference has %lld", (long long)n_got, (long long)n[0]);
        return 0;
    }
    double worst = 0;
    int64_t wi = -1;
    for (int64_t i = 0; i < ni; i++) {
        if (idx[i] < 0 || idx[i] >= n_got) {
            tl_fail(name, "reference index %lld out of range", (long long)idx[i]);
            return 0;
        }
        double e = fabs(got[idx[i]] - val[i]);
        if (!(e <= worst)) {
            worst = e;
            wi = i;
        }
    }
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < n_got; i++) {
        s += got[i];
        s2 += got[i] * got[i];
    }
    /* sums guard the samples that are not in the subset; numpy's pairwise summation
     * rounds differently from this loop, hence the 1e-9 relative slack */
    double scale = sqrt(s2 * (double)n_got) + 1.0;
    int sums_ok = fabs(s - sum[0]) <= 1e-9 * scale + atol * (double)n_got &&
                  fabs(s2 - sum[1]) <= 1e-9 * (1.0 + sum[1]) + 2.0 * atol * scale;
    if (max_err) *max_err = worst;
    if (worst > atol || !sums_ok) {
        tl_fail(name, "max |diff| %.3g at sample %lld (got %.17g want %.17g), atol %.3g; sums %.17g/%.17g "
                      "want %.17g/%.17g",
                worst, wi >= 0 ? (long long)idx[wi] : -1LL, wi >= 0 ? got[idx[wi]] : 0.0,
                wi >= 0 ? val[wi] : 0.0, atol, s, s2, sum[0], sum[1]);
        return 0;
    }
    char msg[512];
    snprintf(msg, sizeof msg, "%s: %lld samples, %lld compared, max |diff| %.3g (atol %.3g)", name,
             (long long)n_got, (long long)ni, worst, atol);
    tl_pass(msg);
    return 1;
}

#endif
