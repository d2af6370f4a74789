/* matmul.c: see matmul.h. Every case reduces to gemm / gemm_strided_batched calls;
 * the comments give each product in torch terms. */
#include "ops/matmul.h"

#include "ops/gemm.h"

/* a leading dimension for rows of n elements (BLAS wants >= 1 even when n == 0) */
static int64_t ld1(int64_t n) { return n > 0 ? n : 1; }

static vct_status check_dims(const char *fn, const matmul_dims *d, vct_error *err) {
    if (d->Bt < 0 || d->M < 0 || d->K < 0 || d->N < 0)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "%s: negative size Bt=%lld M=%lld K=%lld N=%lld", fn, (long long)d->Bt,
                        (long long)d->M, (long long)d->K, (long long)d->N);
    return VCT_STATUS_OK;
}

static vct_status wrap(vct_error *err, const char *fn, const matmul_dims *d) {
    return vct_error_wrap(err, "%s(Bt=%lld M=%lld K=%lld N=%lld%s%s%s%s)", fn, (long long)d->Bt,
                          (long long)d->M, (long long)d->K, (long long)d->N,
                          d->transA ? " transA" : "", d->transB ? " transB" : "",
                          d->bcastA ? " bcastA" : "", d->bcastB ? " bcastB" : "");
}

vct_status matmul_forward(float *out, const float *A, const float *B, matmul_dims d,
                          vct_error *err) {
    VCT_TRY(check_dims("matmul_forward", &d, err));
    const int64_t Bt = d.Bt, M = d.M, K = d.K, N = d.N;
    const int64_t lda = ld1(d.transA ? M : K), ldb = ld1(d.transB ? K : N);
    const int64_t sA = d.bcastA ? 0 : M * K, sB = d.bcastB ? 0 : K * N;
    vct_status st;
    if (d.bcastB && !d.bcastA && !d.transA && Bt > 1) /* [Bt*M, K] @ op(B) in one GEMM */
        st = gemm(0, d.transB, Bt * M, N, K, 1.0f, A, lda, B, ldb, 0.0f, out, ld1(N), err);
    else
        st = gemm_strided_batched(d.transA, d.transB, M, N, K, 1.0f, A, lda, sA, B, ldb, sB, 0.0f,
                                  out, ld1(N), M * N, Bt, err);
    return st == VCT_STATUS_OK ? st : wrap(err, "matmul_forward", &d);
}

/* dA[b] += dout[b] @ op(B[b])^T, in A's storage layout */
static vct_status grad_a(float *dA, const float *dout, const float *B, const matmul_dims *d,
                         vct_error *err) {
    const int64_t Bt = d->Bt, M = d->M, K = d->K, N = d->N;
    const int64_t ldb = ld1(d->transB ? K : N), sB = d->bcastB ? 0 : K * N;
    if (!d->transA) {
        /* dA[M,K] += dout[M,N] @ op(B)^T; op(B)^T is B's storage transposed iff !transB */
        const int tb = !d->transB;
        if (!d->bcastA && d->bcastB && Bt > 1)
            return gemm(0, tb, Bt * M, K, N, 1.0f, dout, ld1(N), B, ldb, 1.0f, dA, ld1(K), err);
        if (!d->bcastA)
            return gemm_strided_batched(0, tb, M, K, N, 1.0f, dout, ld1(N), M * N, B, ldb, sB,
                                        1.0f, dA, ld1(K), M * K, Bt, err);
        for (int64_t b = 0; b < Bt; b++) /* broadcast A: sum over the batch in order */
            VCT_TRY(gemm(0, tb, M, K, N, 1.0f, dout + b * M * N, ld1(N), B + b * sB, ldb, 1.0f,
                         dA, ld1(K), err));
        return VCT_STATUS_OK;
    }
    /* A stored [K,M]: dA^T[K,M] += op(B)[K,N] @ dout^T[N,M] */
    if (!d->bcastA)
        return gemm_strided_batched(d->transB, 1, K, M, N, 1.0f, B, ldb, sB, dout, ld1(N), M * N,
                                    1.0f, dA, ld1(M), K * M, Bt, err);
    for (int64_t b = 0; b < Bt; b++)
        VCT_TRY(gemm(d->transB, 1, K, M, N, 1.0f, B + b * sB, ldb, dout + b * M * N, ld1(N), 1.0f,
                     dA, ld1(M), err));
    return VCT_STATUS_OK;
}

/* dB[b] += op(A[b])^T @ dout[b], in B's storage layout */
static vct_status grad_b(float *dB, const float *dout, const float *A, const matmul_dims *d,
                         vct_error *err) {
    const int64_t Bt = d->Bt, M = d->M, K = d->K, N = d->N;
    const int64_t lda = ld1(d->transA ? M : K), sA = d->bcastA ? 0 : M * K;
    /* the batch folds into the contracted rows when B is broadcast and A is [Bt*M, K] */
    const int fold = d->bcastB && !d->bcastA && !d->transA && Bt > 1;
    if (!d->transB) {
        /* dB[K,N] += op(A)^T[K,M] @ dout[M,N]; op(A)^T is A's storage transposed iff !transA */
        const int ta = !d->transA;
        if (fold)
            return gemm(1, 0, K, N, Bt * M, 1.0f, A, lda, dout, ld1(N), 1.0f, dB, ld1(N), err);
        if (!d->bcastB)
            return gemm_strided_batched(ta, 0, K, N, M, 1.0f, A, lda, sA, dout, ld1(N), M * N,
                                        1.0f, dB, ld1(N), K * N, Bt, err);
        for (int64_t b = 0; b < Bt; b++)
            VCT_TRY(gemm(ta, 0, K, N, M, 1.0f, A + b * sA, lda, dout + b * M * N, ld1(N), 1.0f,
                         dB, ld1(N), err));
        return VCT_STATUS_OK;
    }
    /* B stored [N,K]: dB^T[N,K] += dout^T[N,M] @ op(A)[M,K] */
    if (fold)
        return gemm(1, 0, N, K, Bt * M, 1.0f, dout, ld1(N), A, lda, 1.0f, dB, ld1(K), err);
    if (!d->bcastB)
        return gemm_strided_batched(1, d->transA, N, K, M, 1.0f, dout, ld1(N), M * N, A, lda, sA,
                                    1.0f, dB, ld1(K), N * K, Bt, err);
    for (int64_t b = 0; b < Bt; b++)
        VCT_TRY(gemm(1, d->transA, N, K, M, 1.0f, dout + b * M * N, ld1(N), A + b * sA, lda, 1.0f,
                     dB, ld1(K), err));
    return VCT_STATUS_OK;
}

vct_status matmul_backward(float *dA, float *dB, const float *dout, const float *A,
                           const float *B, matmul_dims d, vct_error *err) {
    VCT_TRY(check_dims("matmul_backward", &d, err));
    if ((dA && !B && d.K * d.N > 0) || (dB && !A && d.M * d.K > 0) || ((dA || dB) && !dout))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "matmul_backward: NULL buffer");
    if (dA && grad_a(dA, dout, B, &d, err) != VCT_STATUS_OK) return wrap(err, "matmul_backward", &d);
    if (dB && grad_b(dB, dout, A, &d, err) != VCT_STATUS_OK) return wrap(err, "matmul_backward", &d);
    return VCT_STATUS_OK;
}
