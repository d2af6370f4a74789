/* gemm_naive.c: the reference GEMM (see gemm.h). Deliberately plain: it documents
 * the math and is what the tests compare the library backends against. */
#include "ops/gemm.h"

#include "core/omp.h"

void gemm_naive(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
                const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
                int64_t ldc) {
    /* strides of op(A)[m,k] and op(B)[k,n] in the row-major storage */
    const int64_t sam = transA ? 1 : lda, sak = transA ? lda : 1;
    const int64_t sbk = transB ? 1 : ldb, sbn = transB ? ldb : 1;
    const int par = !threads_in_parallel() && (double)M * (double)N * (double)K > 65536.0;
#pragma omp parallel for schedule(static) if (par)
    for (int64_t m = 0; m < M; m++) {
        for (int64_t n = 0; n < N; n++) {
            double acc = 0.0;
            for (int64_t k = 0; k < K; k++)
                acc += (double)A[m * sam + k * sak] * (double)B[k * sbk + n * sbn];
            double c = (double)alpha * acc;
            if (beta != 0.0f) c += (double)beta * (double)C[m * ldc + n];
            C[m * ldc + n] = (float)c;
        }
    }
}
