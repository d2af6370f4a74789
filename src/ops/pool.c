/* pool.c: max / average pooling on NCHW (see pool.h).
 * Reference: torch 1.13 MaxPool2d / AvgPool2d CPU kernels (floor mode). */
#include "ops/pool.h"

#include <math.h>

int64_t pool2d_out_dim(int64_t in, int64_t k, int64_t s, int64_t pad) {
    if (s < 1 || in + 2 * pad < k) return 0;
    return (in + 2 * pad - k) / s + 1;
}

static vct_status check(const char *fn, int64_t N, int64_t C, int64_t H, int64_t W, pool2d_params p,
                        vct_error *err) {
    if (N < 0 || C < 0 || H < 1 || W < 1)
        return vct_fail(err, VCT_STATUS_SHAPE, "%s: bad input shape [%lld, %lld, %lld, %lld]", fn,
                        (long long)N, (long long)C, (long long)H, (long long)W);
    if (p.kh < 1 || p.kw < 1 || p.sh < 1 || p.sw < 1 || p.ph < 0 || p.pw < 0)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "%s: kernel %lldx%lld, stride %lldx%lld, padding %lldx%lld: need kernel "
                        "and stride >= 1, padding >= 0",
                        fn, (long long)p.kh, (long long)p.kw, (long long)p.sh, (long long)p.sw,
                        (long long)p.ph, (long long)p.pw);
    if (2 * p.ph > p.kh || 2 * p.pw > p.kw)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "%s: padding %lldx%lld exceeds half the kernel %lldx%lld", fn,
                        (long long)p.ph, (long long)p.pw, (long long)p.kh, (long long)p.kw);
    if (pool2d_out_dim(H, p.kh, p.sh, p.ph) < 1 || pool2d_out_dim(W, p.kw, p.sw, p.pw) < 1)
        return vct_fail(err, VCT_STATUS_SHAPE,
                        "%s: input %lldx%lld too small for kernel %lldx%lld with padding %lldx%lld",
                        fn, (long long)H, (long long)W, (long long)p.kh, (long long)p.kw,
                        (long long)p.ph, (long long)p.pw);
    return VCT_STATUS_OK;
}

/* ------------------------------------------------------------------- max pool */

vct_status maxpool2d_forward(float *out, int64_t *argmax, const float *inp, int64_t N, int64_t C,
                             int64_t H, int64_t W, pool2d_params p, vct_error *err) {
    if (!out || !argmax || !inp)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "maxpool2d_forward: NULL buffer");
    VCT_TRY(check("maxpool2d_forward", N, C, H, W, p, err));
    int64_t OH = pool2d_out_dim(H, p.kh, p.sh, p.ph), OW = pool2d_out_dim(W, p.kw, p.sw, p.pw);
#pragma omp parallel for schedule(static)
    for (int64_t nc = 0; nc < N * C; nc++) {
        const float *x = inp + nc * H * W;
        for (int64_t oh = 0; oh < OH; oh++) {
            int64_t h0 = oh * p.sh - p.ph, h1 = h0 + p.kh;
            if (h0 < 0) h0 = 0;
            if (h1 > H) h1 = H;
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t w0 = ow * p.sw - p.pw, w1 = w0 + p.kw;
                if (w0 < 0) w0 = 0;
                if (w1 > W) w1 = W;
                int64_t best = h0 * W + w0;
                float m = -INFINITY;
                for (int64_t h = h0; h < h1; h++)
                    for (int64_t w = w0; w < w1; w++) {
                        float v = x[h * W + w];
                        if (v > m || isnan(v)) { /* strict: the first maximum wins ties */
                            m = v;
                            best = h * W + w;
                        }
                    }
                int64_t o = (nc * OH + oh) * OW + ow;
                out[o] = m;
                argmax[o] = best;
            }
        }
    }
    return VCT_STATUS_OK;
}

vct_status maxpool2d_backward(float *dinp, const float *dout, const int64_t *argmax, int64_t N,
                              int64_t C, int64_t H, int64_t W, pool2d_params p, vct_error *err) {
    if (!dout || !argmax)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "maxpool2d_backward: NULL buffer");
    VCT_TRY(check("maxpool2d_backward", N, C, H, W, p, err));
    if (!dinp) return VCT_STATUS_OK;
    int64_t P = pool2d_out_dim(H, p.kh, p.sh, p.ph) * pool2d_out_dim(W, p.kw, p.sw, p.pw);
    int bad = 0;
#pragma omp parallel for schedule(static) reduction(| : bad)
    for (int64_t nc = 0; nc < N * C; nc++) {
        float *dx = dinp + nc * H * W;
        for (int64_t i = 0; i < P; i++) {
            int64_t a = argmax[nc * P + i];
            if (a < 0 || a >= H * W)
                bad = 1;
            else
                dx[a] += dout[nc * P + i];
        }
    }
    if (bad)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "maxpool2d_backward: argmax index outside the %lldx%lld plane",
                        (long long)H, (long long)W);
    return VCT_STATUS_OK;
}

/* ------------------------------------------------------------------- avg pool */

/* window of output (oh, ow) clipped to the input, and its divisor */
typedef struct window {
    int64_t h0, h1, w0, w1;
    float div;
} window;

static window avg_window(int64_t oh, int64_t ow, int64_t H, int64_t W, pool2d_params p) {
    window r;
    r.h0 = oh * p.sh - p.ph;
    r.w0 = ow * p.sw - p.pw;
    r.h1 = r.h0 + p.kh < H + p.ph ? r.h0 + p.kh : H + p.ph;
    r.w1 = r.w0 + p.kw < W + p.pw ? r.w0 + p.kw : W + p.pw;
    int64_t padded = (r.h1 - r.h0) * (r.w1 - r.w0);
    if (r.h0 < 0) r.h0 = 0;
    if (r.w0 < 0) r.w0 = 0;
    if (r.h1 > H) r.h1 = H;
    if (r.w1 > W) r.w1 = W;
    r.div = (float)(p.exclude_pad ? (r.h1 - r.h0) * (r.w1 - r.w0) : padded);
    return r;
}

vct_status avgpool2d_forward(float *out, const float *inp, int64_t N, int64_t C, int64_t H,
                             int64_t W, pool2d_params p, vct_error *err) {
    if (!out || !inp)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "avgpool2d_forward: NULL buffer");
    VCT_TRY(check("avgpool2d_forward", N, C, H, W, p, err));
    int64_t OH = pool2d_out_dim(H, p.kh, p.sh, p.ph), OW = pool2d_out_dim(W, p.kw, p.sw, p.pw);
#pragma omp parallel for schedule(static)
    for (int64_t nc = 0; nc < N * C; nc++) {
        const float *x = inp + nc * H * W;
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                window r = avg_window(oh, ow, H, W, p);
                float s = 0; /* torch sums in float, window order */
                for (int64_t h = r.h0; h < r.h1; h++)
                    for (int64_t w = r.w0; w < r.w1; w++) s += x[h * W + w];
                out[(nc * OH + oh) * OW + ow] = s / r.div;
            }
    }
    return VCT_STATUS_OK;
}

vct_status avgpool2d_backward(float *dinp, const float *dout, int64_t N, int64_t C, int64_t H,
                              int64_t W, pool2d_params p, vct_error *err) {
    if (!dout) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "avgpool2d_backward: NULL dout");
    VCT_TRY(check("avgpool2d_backward", N, C, H, W, p, err));
    if (!dinp) return VCT_STATUS_OK;
    int64_t OH = pool2d_out_dim(H, p.kh, p.sh, p.ph), OW = pool2d_out_dim(W, p.kw, p.sw, p.pw);
#pragma omp parallel for schedule(static)
    for (int64_t nc = 0; nc < N * C; nc++) {
        float *dx = dinp + nc * H * W;
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                window r = avg_window(oh, ow, H, W, p);
                float g = dout[(nc * OH + oh) * OW + ow] / r.div;
                for (int64_t h = r.h0; h < r.h1; h++)
                    for (int64_t w = r.w0; w < r.w1; w++) dx[h * W + w] += g;
            }
    }
    return VCT_STATUS_OK;
}
