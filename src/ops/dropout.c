/* dropout.c: dropout and drop path with explicit keep masks (see dropout.h). */
#include "ops/dropout.h"

#include <string.h>

#define DROP_PAR_MIN 32768

float dropout_scale(double p) {
    if (p >= 1.0) return 0.0f;
    return 1.0f / (float)(1.0 - p); /* torch: noise.div_(1 - p), a float division */
}

/* keep may be NULL where the mask is not used: dropout with p 0 or 1, drop path with 0 */
static vct_status check(const char *fn, const void *a, const void *b, const uint8_t *keep,
                        int need_keep, int64_t n, double p, vct_error *err) {
    if (!a || !b || (need_keep && !keep))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: NULL buffer", fn);
    if (n < 0) return vct_fail(err, VCT_STATUS_SHAPE, "%s: negative size %lld", fn, (long long)n);
    if (!(p >= 0.0 && p <= 1.0))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: probability %g not in [0, 1]", fn,
                        p);
    return VCT_STATUS_OK;
}

/* y[i] = x[i] * (keep[i] ? scale : 0), in place allowed; accumulate into y if acc.
 * keep == NULL: every element gets `scale` (p == 0: 1, p == 1: 0). */
static void masked_scale(float *y, const float *x, const uint8_t *keep, int64_t n, float scale,
                         int acc) {
#pragma omp parallel for schedule(static) if (n > DROP_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        float v = (!keep || keep[i]) ? x[i] * scale : x[i] * 0.0f;
        if (acc)
            y[i] += v;
        else
            y[i] = v;
    }
}

vct_status dropout_forward(float *out, const float *inp, const uint8_t *keep, int64_t n, double p,
                           vct_error *err) {
    VCT_TRY(check("dropout_forward", out, inp, keep, p > 0 && p < 1, n, p, err));
    if (p == 0) { /* torch returns the input itself */
        if (out != inp) memcpy(out, inp, (size_t)n * sizeof *out);
        return VCT_STATUS_OK;
    }
    masked_scale(out, inp, p < 1 ? keep : NULL, n, dropout_scale(p), 0);
    return VCT_STATUS_OK;
}

vct_status dropout_backward(float *dinp, const float *dout, const uint8_t *keep, int64_t n,
                            double p, vct_error *err) {
    VCT_TRY(check("dropout_backward", dout, dout, keep, p > 0 && p < 1, n, p, err));
    if (dinp) masked_scale(dinp, dout, p > 0 && p < 1 ? keep : NULL, n, dropout_scale(p), 1);
    return VCT_STATUS_OK;
}

/* timm 0.6.5: random_tensor.div_(keep_prob) only if keep_prob > 0 */
static float drop_path_scale(double drop_prob) {
    double keep_prob = 1.0 - drop_prob;
    return keep_prob > 0.0 ? 1.0f / (float)keep_prob : 1.0f;
}

static void drop_path_apply(float *y, const float *x, const uint8_t *keep, int64_t B, int64_t D,
                            float scale, int acc) {
#pragma omp parallel for schedule(static) if (B * D > DROP_PAR_MIN)
    for (int64_t b = 0; b < B; b++) {
        float f = (!keep || keep[b]) ? scale : 0.0f;
        for (int64_t i = b * D; i < (b + 1) * D; i++) {
            if (acc)
                y[i] += x[i] * f;
            else
                y[i] = x[i] * f;
        }
    }
}

vct_status drop_path_forward(float *out, const float *inp, const uint8_t *keep, int64_t B,
                             int64_t D, double drop_prob, vct_error *err) {
    VCT_TRY(check("drop_path_forward", out, inp, keep, drop_prob > 0, B, drop_prob, err));
    if (D < 0)
        return vct_fail(err, VCT_STATUS_SHAPE, "drop_path_forward: negative size %lld",
                        (long long)D);
    if (drop_prob == 0) { /* timm returns x */
        if (out != inp) memcpy(out, inp, (size_t)(B * D) * sizeof *out);
        return VCT_STATUS_OK;
    }
    drop_path_apply(out, inp, keep, B, D, drop_path_scale(drop_prob), 0);
    return VCT_STATUS_OK;
}

vct_status drop_path_backward(float *dinp, const float *dout, const uint8_t *keep, int64_t B,
                              int64_t D, double drop_prob, vct_error *err) {
    VCT_TRY(check("drop_path_backward", dout, dout, keep, drop_prob > 0, B, drop_prob, err));
    if (D < 0)
        return vct_fail(err, VCT_STATUS_SHAPE, "drop_path_backward: negative size %lld",
                        (long long)D);
    if (dinp)
        drop_path_apply(dinp, dout, drop_prob > 0 ? keep : NULL, B, D, drop_path_scale(drop_prob),
                        1);
    return VCT_STATUS_OK;
}
