/* gemm.h: the one GEMM wrapper every matmul, linear and conv in vct goes through.
 *
 *   C[M,N] = alpha * op(A)[M,K] @ op(B)[K,N] + beta * C        (row-major)
 *
 * op(X) = X, or X^T when the trans flag is non-zero. Storage is row-major with
 * leading dimensions (elements between consecutive rows) as in CBLAS row-major:
 *   A stored [M,K] (lda >= K) or, transposed, [K,M] (lda >= M);
 *   B stored [K,N] (ldb >= N) or, transposed, [N,K] (ldb >= K);
 *   C stored [M,N] (ldc >= N).
 * beta == 0 means C is write-only (NaN/Inf already in C do not propagate), as in BLAS.
 * K == 0 or alpha == 0 gives C = beta*C without reading A or B.
 *
 * Backends, chosen at run time (architecture.md §4):
 *   GEMM_BACKEND_ONEDNN    dnnl_sgemm (oneDNN 2.6, JIT by CPUID)          default
 *   GEMM_BACKEND_OPENBLAS  cblas_sgemm (Debian OpenBLAS 0.3.21, pthreads)
 *   GEMM_BACKEND_NAIVE     gemm_naive below: plain loops, double accumulation
 * gemm_set_backend() selects one; otherwise $VCT_GEMM=onednn|openblas|naive is read on
 * first use (an unknown value makes gemm() fail with a message naming it).
 *
 * Threads (core/omp.h): called outside any OpenMP region, a GEMM uses all threads
 * (threads_max()); called inside a parallel region it runs single-threaded on the
 * calling thread (oneDNN checks omp_in_parallel() itself; for OpenBLAS the wrapper sets
 * openblas_set_num_threads(1) while inside regions and back to threads_max() outside).
 * gemm_strided_batched() runs the batch as an OpenMP loop of single-threaded GEMMs
 * when the batch splits evenly over the threads (e.g. Swin's 1000 windows of
 * 144x144x32), otherwise as a loop of library-threaded GEMMs.
 *
 * The backend selection is process-global: set it at start-up, not while GEMMs run. */
#ifndef VCT_OPS_GEMM_H
#define VCT_OPS_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef enum gemm_backend {
    GEMM_BACKEND_ONEDNN = 0,
    GEMM_BACKEND_OPENBLAS,
    GEMM_BACKEND_NAIVE,
    GEMM_BACKEND_COUNT
} gemm_backend;

/* "onednn", "openblas", "naive" */
const char *gemm_backend_name(gemm_backend be);
/* Parse a backend name (as above, case-sensitive). */
vct_status gemm_backend_parse(const char *s, gemm_backend *out, vct_error *err);
/* Select the backend for all later calls (overrides $VCT_GEMM). */
void gemm_set_backend(gemm_backend be);
/* The backend in use: the one set, else $VCT_GEMM, else oneDNN. Fails only if
 * $VCT_GEMM holds an unknown name. */
vct_status gemm_get_backend(gemm_backend *out, vct_error *err);
/* One line naming what a backend runs: library version, kernel/ISA, threads. */
void gemm_describe(gemm_backend be, char *buf, size_t n);

/* C = alpha*op(A)@op(B) + beta*C with the current backend. Validates sizes and
 * leading dimensions (VCT_STATUS_INVALID_ARGUMENT), and reports library errors
 * (VCT_STATUS_BACKEND; OpenBLAS also VCT_STATUS_UNSUPPORTED for dims >= 2^31). */
vct_status gemm(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
                const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
                int64_t ldc, vct_error *err);

/* For i in [0,batch): C_i = alpha*op(A_i)@op(B_i) + beta*C_i with
 * A_i = A + i*strideA, B_i = B + i*strideB, C_i = C + i*strideC (strides in elements).
 * strideA or strideB may be 0 (one matrix broadcast over the batch); the C_i must not
 * overlap. Results are deterministic run to run for a given thread count. */
vct_status gemm_strided_batched(int transA, int transB, int64_t M, int64_t N, int64_t K,
                                float alpha, const float *A, int64_t lda, int64_t strideA,
                                const float *B, int64_t ldb, int64_t strideB, float beta,
                                float *C, int64_t ldc, int64_t strideC, int64_t batch,
                                vct_error *err);

/* The same two entry points with an explicit backend (tests, benchmarks). */
vct_status gemm_with(gemm_backend be, int transA, int transB, int64_t M, int64_t N, int64_t K,
                     float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                     float beta, float *C, int64_t ldc, vct_error *err);
vct_status gemm_strided_batched_with(gemm_backend be, int transA, int transB, int64_t M,
                                     int64_t N, int64_t K, float alpha, const float *A,
                                     int64_t lda, int64_t strideA, const float *B, int64_t ldb,
                                     int64_t strideB, float beta, float *C, int64_t ldc,
                                     int64_t strideC, int64_t batch, vct_error *err);

/* The reference kernel (the math, documented): for each (m,n) the sum over k of
 * op(A)[m,k]*op(B)[k,n] is accumulated in double in increasing k, then
 * C[m,n] = (float)(alpha*sum + beta*C[m,n]) (the beta term omitted when beta == 0).
 * No argument checks (gemm_with(GEMM_BACKEND_NAIVE, ...) checks them). Parallel over
 * rows of C outside OpenMP regions. */
void gemm_naive(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
                const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
                int64_t ldc);

#endif
