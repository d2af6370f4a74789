/* softmax.c: softmax / log-softmax over the last dim (see softmax.h). */
#include "ops/softmax.h"

#include <math.h>

static vct_status check(const char *fn, const void *a, const void *b, int64_t N, int64_t C,
                        vct_error *err) {
    if (!a || !b) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: NULL buffer", fn);
    if (N < 0 || C < 1)
        return vct_fail(err, VCT_STATUS_SHAPE, "%s: bad shape [%lld, %lld]", fn, (long long)N,
                        (long long)C);
    return VCT_STATUS_OK;
}

/* max of a row. A NaN anywhere in the row makes the whole output row NaN
 * through the sum, as in torch, whatever this returns for it. */
static float row_max(const float *x, int64_t C) {
    float m = x[0];
    for (int64_t c = 1; c < C; c++)
        if (x[c] > m) m = x[c];
    return m;
}

vct_status softmax_forward(float *out, const float *inp, int64_t N, int64_t C, vct_error *err) {
    VCT_TRY(check("softmax_forward", out, inp, N, C, err));
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; n++) {
        const float *x = inp + n * C;
        float *y = out + n * C;
        float m = row_max(x, C); /* -inf for an all -inf row: then everything is NaN */
        double s = 0;
        for (int64_t c = 0; c < C; c++) {
            y[c] = expf(x[c] - m);
            s += y[c];
        }
        float inv = 1.0f / (float)s;
        for (int64_t c = 0; c < C; c++) y[c] *= inv;
    }
    return VCT_STATUS_OK;
}

vct_status softmax_backward(float *dinp, const float *dout, const float *out, int64_t N, int64_t C,
                            vct_error *err) {
    VCT_TRY(check("softmax_backward", dout, out, N, C, err));
    if (!dinp) return VCT_STATUS_OK;
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; n++) {
        const float *dy = dout + n * C, *y = out + n * C;
        double s = 0;
        for (int64_t c = 0; c < C; c++) s += (double)dy[c] * y[c];
        float *dx = dinp + n * C;
        for (int64_t c = 0; c < C; c++) dx[c] += (float)(y[c] * (dy[c] - s));
    }
    return VCT_STATUS_OK;
}

vct_status log_softmax_forward(float *out, const float *inp, int64_t N, int64_t C, vct_error *err) {
    VCT_TRY(check("log_softmax_forward", out, inp, N, C, err));
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; n++) {
        const float *x = inp + n * C;
        float *y = out + n * C;
        float m = row_max(x, C);
        double s = 0;
        for (int64_t c = 0; c < C; c++) s += expf(x[c] - m);
        float lse = logf((float)s);
        for (int64_t c = 0; c < C; c++) y[c] = (x[c] - m) - lse;
    }
    return VCT_STATUS_OK;
}

vct_status log_softmax_backward(float *dinp, const float *dout, const float *out, int64_t N,
                                int64_t C, vct_error *err) {
    VCT_TRY(check("log_softmax_backward", dout, out, N, C, err));
    if (!dinp) return VCT_STATUS_OK;
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; n++) {
        const float *dy = dout + n * C, *y = out + n * C;
        double s = 0;
        for (int64_t c = 0; c < C; c++) s += dy[c];
        float *dx = dinp + n * C;
        for (int64_t c = 0; c < C; c++) dx[c] += (float)(dy[c] - exp((double)y[c]) * s);
    }
    return VCT_STATUS_OK;
}
