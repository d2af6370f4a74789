/* linear.c: see linear.h. */
#include "ops/linear.h"

#include <string.h>

#include "core/omp.h"
#include "ops/gemm.h"

/* a leading dimension for a row of n elements (BLAS wants >= 1 even when n == 0) */
static int64_t ld1(int64_t n) { return n > 0 ? n : 1; }

static vct_status check_dims(const char *fn, int64_t N, int64_t C, int64_t OC, vct_error *err) {
    if (N < 0 || C < 0 || OC < 0)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: negative size N=%lld C=%lld OC=%lld",
                        fn, (long long)N, (long long)C, (long long)OC);
    return VCT_STATUS_OK;
}

vct_status linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                          int64_t N, int64_t C, int64_t OC, vct_error *err) {
    VCT_TRY(check_dims("linear_forward", N, C, OC, err));
    if (N == 0 || OC == 0) return VCT_STATUS_OK;
    if (!out || (C > 0 && (!inp || !weight)))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "linear_forward: NULL buffer");
    if (bias) {
#pragma omp parallel for schedule(static) if (N * OC > 65536 && !threads_in_parallel())
        for (int64_t n = 0; n < N; n++) memcpy(out + n * OC, bias, (size_t)OC * sizeof(float));
    }
    /* out[N,OC] (+)= inp[N,C] @ weight[OC,C]^T */
    if (gemm(0, 1, N, OC, C, 1.0f, inp, ld1(C), weight, ld1(C), bias ? 1.0f : 0.0f, out, OC,
             err) != VCT_STATUS_OK)
        return vct_error_wrap(err, "linear_forward(N=%lld, C=%lld, OC=%lld)", (long long)N,
                              (long long)C, (long long)OC);
    return VCT_STATUS_OK;
}

/* dbias[o] += sum_n dout[n*OC + o]: blocks of 64 features per thread, each summed in
 * double over all rows in order (deterministic, no atomics) */
static void bias_grad(float *dbias, const float *dout, int64_t N, int64_t OC) {
    enum { BLK = 64 };
    int64_t nblk = (OC + BLK - 1) / BLK;
#pragma omp parallel for schedule(static) if (N * OC > 65536 && !threads_in_parallel())
    for (int64_t b = 0; b < nblk; b++) {
        int64_t o0 = b * BLK, o1 = o0 + BLK < OC ? o0 + BLK : OC;
        double acc[BLK] = {0};
        for (int64_t n = 0; n < N; n++) {
            const float *row = dout + n * OC;
            for (int64_t o = o0; o < o1; o++) acc[o - o0] += row[o];
        }
        for (int64_t o = o0; o < o1; o++) dbias[o] += (float)acc[o - o0];
    }
}

vct_status linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, int64_t N, int64_t C,
                           int64_t OC, vct_error *err) {
    VCT_TRY(check_dims("linear_backward", N, C, OC, err));
    if (N == 0 || (!dinp && !dweight && !dbias)) return VCT_STATUS_OK;
    if (!dout || (dinp && C > 0 && OC > 0 && !weight) || (dweight && C > 0 && OC > 0 && !inp))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "linear_backward: NULL buffer");
    /* dinp[N,C] += dout[N,OC] @ weight[OC,C] */
    if (dinp && gemm(0, 0, N, C, OC, 1.0f, dout, ld1(OC), weight, ld1(C), 1.0f, dinp, ld1(C),
                     err) != VCT_STATUS_OK)
        goto fail;
    /* dweight[OC,C] += dout[N,OC]^T @ inp[N,C] */
    if (dweight && gemm(1, 0, OC, C, N, 1.0f, dout, ld1(OC), inp, ld1(C), 1.0f, dweight, ld1(C),
                        err) != VCT_STATUS_OK)
        goto fail;
    if (dbias) bias_grad(dbias, dout, N, OC);
    return VCT_STATUS_OK;
fail:
    return vct_error_wrap(err, "linear_backward(N=%lld, C=%lld, OC=%lld)", (long long)N,
                          (long long)C, (long long)OC);
}
