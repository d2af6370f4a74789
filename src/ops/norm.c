/* norm.c: LayerNorm, GroupNorm and FrozenBatchNorm2d (see norm.h).
 *
 * Reference semantics: torch 1.13 nn.LayerNorm / nn.GroupNorm (CPU kernels
 * layer_norm_kernel.cpp, group_norm_kernel.cpp) and detectron2
 * layers/batch_norm.py FrozenBatchNorm2d. The backward formulas are the usual
 * ones, in double per row:
 *   xhat = (x - mean) * rstd,  g = dout * w
 *   dx   = rstd * (g - mean(g) - xhat * mean(g * xhat))
 *   dw   = sum over rows of dout * xhat,  db = sum of dout.
 */
#include "ops/norm.h"

#include <math.h>
#include <stddef.h>

#define NORM_COL_BLOCK 64 /* columns per thread task in the weight-gradient loops */

static vct_status check_eps(float eps, vct_error *err) {
    if (!(eps >= 0.0f) || isinf(eps))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "eps %g must be finite and >= 0",
                        (double)eps);
    return VCT_STATUS_OK;
}

/* mean and biased variance of x[0..n) in double */
static void moments(const float *x, int64_t n, double *mean, double *var) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += x[i];
    double m = s / (double)n, v = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = x[i] - m;
        v += d * d;
    }
    *mean = m;
    *var = v / (double)n;
}

/* torch: rstd = 1 / sqrt(max(var, 0) + eps), all in float */
static float rstd_of(double var, float eps) {
    float v = (float)var;
    if (v < 0) v = 0;
    return 1.0f / sqrtf(v + eps);
}

/* ------------------------------------------------------------------ LayerNorm */

vct_status layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                             const float *weight, const float *bias, int64_t N, int64_t C,
                             float eps, vct_error *err) {
    if (!out || !mean || !rstd || !inp)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "layernorm_forward: NULL buffer");
    if (N < 0 || C < 1)
        return vct_fail(err, VCT_STATUS_SHAPE, "layernorm_forward: bad shape [%lld, %lld]",
                        (long long)N, (long long)C);
    VCT_TRY(check_eps(eps, err));
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; n++) {
        const float *x = inp + n * C;
        float *y = out + n * C;
        double m, v;
        moments(x, C, &m, &v);
        float mf = (float)m, rs = rstd_of(v, eps);
        float shift = -rs * mf;
        for (int64_t c = 0; c < C; c++) {
            float w = weight ? weight[c] : 1.0f, b = bias ? bias[c] : 0.0f;
            y[c] = (x[c] * rs + shift) * w + b;
        }
        mean[n] = mf;
        rstd[n] = rs;
    }
    return VCT_STATUS_OK;
}

vct_status layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                              const float *inp, const float *weight, const float *mean,
                              const float *rstd, int64_t N, int64_t C, vct_error *err) {
    if (!dout || !inp || !mean || !rstd)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "layernorm_backward: NULL buffer");
    if (N < 0 || C < 1)
        return vct_fail(err, VCT_STATUS_SHAPE, "layernorm_backward: bad shape [%lld, %lld]",
                        (long long)N, (long long)C);
    if (dinp) {
#pragma omp parallel for schedule(static)
        for (int64_t n = 0; n < N; n++) {
            const float *x = inp + n * C, *dy = dout + n * C;
            double m = mean[n], rs = rstd[n], sg = 0, sgx = 0;
            for (int64_t c = 0; c < C; c++) {
                double g = (double)dy[c] * (weight ? weight[c] : 1.0f);
                sg += g;
                sgx += g * ((x[c] - m) * rs);
            }
            sg /= (double)C;
            sgx /= (double)C;
            float *dx = dinp + n * C;
            for (int64_t c = 0; c < C; c++) {
                double g = (double)dy[c] * (weight ? weight[c] : 1.0f);
                double xh = (x[c] - m) * rs;
                dx[c] += (float)(rs * (g - sg - xh * sgx));
            }
        }
    }
    if (dweight || dbias) {
#pragma omp parallel for schedule(static)
        for (int64_t c0 = 0; c0 < C; c0 += NORM_COL_BLOCK) {
            int64_t c1 = c0 + NORM_COL_BLOCK < C ? c0 + NORM_COL_BLOCK : C;
            double aw[NORM_COL_BLOCK] = {0}, ab[NORM_COL_BLOCK] = {0};
            for (int64_t n = 0; n < N; n++) {
                const float *x = inp + n * C, *dy = dout + n * C;
                double m = mean[n], rs = rstd[n];
                for (int64_t c = c0; c < c1; c++) {
                    aw[c - c0] += (double)dy[c] * ((x[c] - m) * rs);
                    ab[c - c0] += dy[c];
                }
            }
            for (int64_t c = c0; c < c1; c++) {
                if (dweight) dweight[c] += (float)aw[c - c0];
                if (dbias) dbias[c] += (float)ab[c - c0];
            }
        }
    }
    return VCT_STATUS_OK;
}

/* ------------------------------------------------------------------ GroupNorm */

static vct_status groupnorm_check(const char *fn, int64_t N, int64_t C, int64_t HW, int64_t G,
                                  vct_error *err) {
    if (N < 0 || C < 1 || HW < 1 || G < 1 || C % G != 0)
        return vct_fail(err, VCT_STATUS_SHAPE,
                        "%s: bad shape [N %lld, C %lld, HW %lld], %lld groups (G must divide C)",
                        fn, (long long)N, (long long)C, (long long)HW, (long long)G);
    return VCT_STATUS_OK;
}

vct_status groupnorm_forward(float *out, float *mean, float *rstd, const float *inp,
                             const float *weight, const float *bias, int64_t N, int64_t C,
                             int64_t HW, int64_t G, float eps, vct_error *err) {
    if (!out || !mean || !rstd || !inp)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "groupnorm_forward: NULL buffer");
    VCT_TRY(groupnorm_check("groupnorm_forward", N, C, HW, G, err));
    VCT_TRY(check_eps(eps, err));
    int64_t D = C / G; /* channels per group */
#pragma omp parallel for schedule(static)
    for (int64_t ng = 0; ng < N * G; ng++) {
        int64_t g = ng % G;
        const float *x = inp + ng * D * HW;
        float *y = out + ng * D * HW;
        double m, v;
        moments(x, D * HW, &m, &v);
        float mf = (float)m, rs = rstd_of(v, eps);
        for (int64_t j = 0; j < D; j++) {
            int64_t c = g * D + j;
            float scale = rs * (weight ? weight[c] : 1.0f);
            float shift = -scale * mf + (bias ? bias[c] : 0.0f);
            for (int64_t i = 0; i < HW; i++) y[j * HW + i] = x[j * HW + i] * scale + shift;
        }
        mean[ng] = mf;
        rstd[ng] = rs;
    }
    return VCT_STATUS_OK;
}

vct_status groupnorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                              const float *inp, const float *weight, const float *mean,
                              const float *rstd, int64_t N, int64_t C, int64_t HW, int64_t G,
                              vct_error *err) {
    if (!dout || !inp || !mean || !rstd)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "groupnorm_backward: NULL buffer");
    VCT_TRY(groupnorm_check("groupnorm_backward", N, C, HW, G, err));
    int64_t D = C / G;
    double M = (double)(D * HW); /* elements per group */
    if (dinp) {
#pragma omp parallel for schedule(static)
        for (int64_t ng = 0; ng < N * G; ng++) {
            int64_t g = ng % G;
            const float *x = inp + ng * D * HW, *dy = dout + ng * D * HW;
            double m = mean[ng], rs = rstd[ng], sg = 0, sgx = 0;
            for (int64_t j = 0; j < D; j++) {
                double w = weight ? weight[g * D + j] : 1.0f;
                for (int64_t i = 0; i < HW; i++) {
                    double gr = dy[j * HW + i] * w;
                    sg += gr;
                    sgx += gr * ((x[j * HW + i] - m) * rs);
                }
            }
            sg /= M;
            sgx /= M;
            float *dx = dinp + ng * D * HW;
            for (int64_t j = 0; j < D; j++) {
                double w = weight ? weight[g * D + j] : 1.0f;
                for (int64_t i = 0; i < HW; i++) {
                    double gr = dy[j * HW + i] * w, xh = (x[j * HW + i] - m) * rs;
                    dx[j * HW + i] += (float)(rs * (gr - sg - xh * sgx));
                }
            }
        }
    }
    if (dweight || dbias) {
#pragma omp parallel for schedule(static)
        for (int64_t c = 0; c < C; c++) {
            int64_t g = c / D;
            double aw = 0, ab = 0;
            for (int64_t n = 0; n < N; n++) {
                const float *x = inp + (n * C + c) * HW, *dy = dout + (n * C + c) * HW;
                double m = mean[n * G + g], rs = rstd[n * G + g];
                for (int64_t i = 0; i < HW; i++) {
                    aw += (double)dy[i] * ((x[i] - m) * rs);
                    ab += dy[i];
                }
            }
            if (dweight) dweight[c] += (float)aw;
            if (dbias) dbias[c] += (float)ab;
        }
    }
    return VCT_STATUS_OK;
}

/* ---------------------------------------------------------- FrozenBatchNorm2d */

/* scale = weight * rsqrt(running_var + eps) in float, as torch computes it */
static float frozen_bn_scale(const float *weight, const float *running_var, int64_t c, float eps) {
    return weight[c] * (1.0f / sqrtf(running_var[c] + eps));
}

static vct_status frozen_bn_check(const char *fn, int64_t N, int64_t C, int64_t HW, float eps,
                                  vct_error *err) {
    if (N < 0 || C < 1 || HW < 0)
        return vct_fail(err, VCT_STATUS_SHAPE, "%s: bad shape [N %lld, C %lld, HW %lld]", fn,
                        (long long)N, (long long)C, (long long)HW);
    return check_eps(eps, err);
}

vct_status frozen_bn_forward(float *out, const float *inp, const float *weight, const float *bias,
                             const float *running_mean, const float *running_var, int64_t N,
                             int64_t C, int64_t HW, float eps, vct_error *err) {
    if (!out || !inp || !weight || !bias || !running_mean || !running_var)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "frozen_bn_forward: NULL buffer");
    VCT_TRY(frozen_bn_check("frozen_bn_forward", N, C, HW, eps, err));
#pragma omp parallel for schedule(static)
    for (int64_t nc = 0; nc < N * C; nc++) {
        int64_t c = nc % C;
        float scale = frozen_bn_scale(weight, running_var, c, eps);
        float shift = bias[c] - running_mean[c] * scale;
        const float *x = inp + nc * HW;
        float *y = out + nc * HW;
        for (int64_t i = 0; i < HW; i++) y[i] = x[i] * scale + shift;
    }
    return VCT_STATUS_OK;
}

vct_status frozen_bn_backward(float *dinp, const float *dout, const float *weight,
                              const float *running_var, int64_t N, int64_t C, int64_t HW, float eps,
                              vct_error *err) {
    if (!dout || !weight || !running_var)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "frozen_bn_backward: NULL buffer");
    VCT_TRY(frozen_bn_check("frozen_bn_backward", N, C, HW, eps, err));
    if (!dinp) return VCT_STATUS_OK;
#pragma omp parallel for schedule(static)
    for (int64_t nc = 0; nc < N * C; nc++) {
        float scale = frozen_bn_scale(weight, running_var, nc % C, eps);
        const float *dy = dout + nc * HW;
        float *dx = dinp + nc * HW;
        for (int64_t i = 0; i < HW; i++) dx[i] += dy[i] * scale;
    }
    return VCT_STATUS_OK;
}
