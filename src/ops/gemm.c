/* gemm.c: the GEMM wrapper (see gemm.h): argument checks, backend choice,
 * the thread policy of core/omp.h, and the batched schedule. */
#include "ops/gemm.h"

#include <cblas.h>
#include <dnnl.h>
#include <dnnl_debug.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/omp.h"

/* -1 until chosen by gemm_set_backend() or read from $VCT_GEMM */
static _Atomic int g_backend = -1;

static const char *const backend_names[GEMM_BACKEND_COUNT] = {"onednn", "openblas", "naive"};

const char *gemm_backend_name(gemm_backend be) {
    if ((int)be < 0 || be >= GEMM_BACKEND_COUNT) return "unknown";
    return backend_names[be];
}

vct_status gemm_backend_parse(const char *s, gemm_backend *out, vct_error *err) {
    for (int i = 0; i < GEMM_BACKEND_COUNT; i++) {
        if (s && strcmp(s, backend_names[i]) == 0) {
            *out = (gemm_backend)i;
            return VCT_STATUS_OK;
        }
    }
    return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                    "unknown GEMM backend '%s' (expected onednn, openblas or naive)",
                    s ? s : "(null)");
}

void gemm_set_backend(gemm_backend be) {
    if ((int)be >= 0 && be < GEMM_BACKEND_COUNT) atomic_store(&g_backend, (int)be);
}

vct_status gemm_get_backend(gemm_backend *out, vct_error *err) {
    int b = atomic_load(&g_backend);
    if (b >= 0) {
        *out = (gemm_backend)b;
        return VCT_STATUS_OK;
    }
    gemm_backend be = GEMM_BACKEND_ONEDNN;
    const char *e = getenv("VCT_GEMM");
    if (e && *e && gemm_backend_parse(e, &be, err) != VCT_STATUS_OK)
        return vct_error_wrap(err, "$VCT_GEMM");
    int expected = -1; /* a concurrent gemm_set_backend() wins */
    atomic_compare_exchange_strong(&g_backend, &expected, (int)be);
    *out = (gemm_backend)atomic_load(&g_backend);
    return VCT_STATUS_OK;
}

static const char *dnnl_isa_name(dnnl_cpu_isa_t isa) {
    switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "unknown";
    }
}

void gemm_describe(gemm_backend be, char *buf, size_t n) {
    if (!buf || n == 0) return;
    switch (be) {
    case GEMM_BACKEND_ONEDNN: {
        const dnnl_version_t *v = dnnl_version();
        snprintf(buf, n, "oneDNN %d.%d.%d dnnl_sgemm, ISA %s, %d OpenMP threads", v->major,
                 v->minor, v->patch, dnnl_isa_name(dnnl_get_effective_cpu_isa()), threads_max());
        break;
    }
    case GEMM_BACKEND_OPENBLAS:
        snprintf(buf, n, "%s cblas_sgemm, core %s, %d threads", openblas_get_config(),
                 openblas_get_corename(), threads_max());
        break;
    case GEMM_BACKEND_NAIVE:
        snprintf(buf, n, "naive C loops (double accumulation), %d OpenMP threads",
                 threads_max());
        break;
    default: snprintf(buf, n, "unknown backend %d", (int)be); break;
    }
}

static int64_t max1(int64_t a) { return a > 1 ? a : 1; }

static vct_status check_args(gemm_backend be, int transA, int transB, int64_t M, int64_t N,
                             int64_t K, const float *A, int64_t lda, const float *B, int64_t ldb,
                             const float *C, int64_t ldc, vct_error *err) {
    if ((int)be < 0 || be >= GEMM_BACKEND_COUNT)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "gemm: unknown backend %d", (int)be);
    if (M < 0 || N < 0 || K < 0)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "gemm: negative size M=%lld N=%lld K=%lld", (long long)M, (long long)N,
                        (long long)K);
    int64_t acols = transA ? M : K, bcols = transB ? K : N;
    if (lda < max1(acols) || ldb < max1(bcols) || ldc < max1(N))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "gemm(%c%c, M=%lld N=%lld K=%lld): leading dimensions lda=%lld "
                        "ldb=%lld ldc=%lld, need at least %lld, %lld, %lld",
                        transA ? 'T' : 'N', transB ? 'T' : 'N', (long long)M, (long long)N,
                        (long long)K, (long long)lda, (long long)ldb, (long long)ldc,
                        (long long)max1(acols), (long long)max1(bcols), (long long)max1(N));
    if (M > 0 && N > 0 && (!C || (K > 0 && (!A || !B))))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "gemm: NULL matrix pointer");
    return VCT_STATUS_OK;
}

/* C = beta*C (beta == 0: C = 0 without reading it) */
static void scale_c(int64_t M, int64_t N, float beta, float *C, int64_t ldc) {
    if (beta == 1.0f) return;
    for (int64_t m = 0; m < M; m++) {
        float *c = C + m * ldc;
        if (beta == 0.0f)
            memset(c, 0, (size_t)N * sizeof(float));
        else
            for (int64_t n = 0; n < N; n++) c[n] *= beta;
    }
}

/* OpenBLAS (pthreads build) has one global thread count. Inside an OpenMP region
 * every caller wants 1, outside the master wants threads_max(); both writes are of
 * the value every concurrent writer also writes. */
static void openblas_threads_here(void) {
    int want = threads_in_parallel() ? 1 : threads_max();
    if (openblas_get_num_threads() != want) openblas_set_num_threads(want);
}

static int fits_int(int64_t v) { return v <= INT_MAX; }

/* one validated, non-degenerate GEMM on backend be */
static vct_status run_one(gemm_backend be, int transA, int transB, int64_t M, int64_t N, int64_t K,
                          float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                          float beta, float *C, int64_t ldc, vct_error *err) {
    switch (be) {
    case GEMM_BACKEND_ONEDNN: {
        dnnl_status_t s = dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', M, N, K, alpha, A,
                                     lda, B, ldb, beta, C, ldc);
        if (s != dnnl_success)
            return vct_fail(err, VCT_STATUS_BACKEND,
                            "dnnl_sgemm(%c%c, M=%lld N=%lld K=%lld) failed: %s",
                            transA ? 'T' : 'N', transB ? 'T' : 'N', (long long)M, (long long)N,
                            (long long)K, dnnl_status2str(s));
        return VCT_STATUS_OK;
    }
    case GEMM_BACKEND_OPENBLAS:
        if (!fits_int(M) || !fits_int(N) || !fits_int(K) || !fits_int(lda) || !fits_int(ldb) ||
            !fits_int(ldc))
            return vct_fail(err, VCT_STATUS_UNSUPPORTED,
                            "cblas_sgemm: M=%lld N=%lld K=%lld or a leading dimension exceeds "
                            "the 32-bit BLAS interface",
                            (long long)M, (long long)N, (long long)K);
        openblas_threads_here();
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, alpha, A,
                    (int)lda, B, (int)ldb, beta, C, (int)ldc);
        return VCT_STATUS_OK;
    case GEMM_BACKEND_NAIVE:
        gemm_naive(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return VCT_STATUS_OK;
    default:
        return vct_fail(err, VCT_STATUS_INTERNAL, "gemm: unknown backend %d", (int)be);
    }
}

vct_status gemm_with(gemm_backend be, int transA, int transB, int64_t M, int64_t N, int64_t K,
                     float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                     float beta, float *C, int64_t ldc, vct_error *err) {
    VCT_TRY(check_args(be, transA, transB, M, N, K, A, lda, B, ldb, C, ldc, err));
    if (M == 0 || N == 0) return VCT_STATUS_OK;
    if (K == 0 || alpha == 0.0f) {
        scale_c(M, N, beta, C, ldc);
        return VCT_STATUS_OK;
    }
    return run_one(be, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, err);
}

vct_status gemm(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
                const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
                int64_t ldc, vct_error *err) {
    gemm_backend be;
    VCT_TRY(gemm_get_backend(&be, err));
    return gemm_with(be, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, err);
}

vct_status gemm_strided_batched_with(gemm_backend be, int transA, int transB, int64_t M,
                                     int64_t N, int64_t K, float alpha, const float *A,
                                     int64_t lda, int64_t strideA, const float *B, int64_t ldb,
                                     int64_t strideB, float beta, float *C, int64_t ldc,
                                     int64_t strideC, int64_t batch, vct_error *err) {
    VCT_TRY(check_args(be, transA, transB, M, N, K, A, lda, B, ldb, C, ldc, err));
    if (batch < 0 || strideA < 0 || strideB < 0 || strideC < 0)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "gemm_strided_batched: negative batch %lld or stride (%lld, %lld, %lld)",
                        (long long)batch, (long long)strideA, (long long)strideB,
                        (long long)strideC);
    if (batch == 0 || M == 0 || N == 0) return VCT_STATUS_OK;
    if (batch > 1 && strideC < (M - 1) * ldc + N)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "gemm_strided_batched: C matrices overlap (strideC=%lld < %lld)",
                        (long long)strideC, (long long)((M - 1) * ldc + N));
    const int degenerate = K == 0 || alpha == 0.0f;
    const int nthr = threads_max();
    /* OpenMP over the batch with single-threaded GEMMs when it splits evenly;
     * otherwise one library-threaded GEMM after another */
    const int over_batch = !threads_in_parallel() && nthr > 1 && batch > 1 &&
                           (batch % nthr == 0 || batch >= 4 * (int64_t)nthr);
    if (!over_batch) {
        for (int64_t i = 0; i < batch; i++) {
            float *Ci = C + i * strideC;
            if (degenerate) {
                scale_c(M, N, beta, Ci, ldc);
                continue;
            }
            VCT_TRY(run_one(be, transA, transB, M, N, K, alpha, A + i * strideA, lda,
                            B + i * strideB, ldb, beta, Ci, ldc, err));
        }
        return VCT_STATUS_OK;
    }
    _Atomic int failed = 0;
    vct_status st = VCT_STATUS_OK;
    /* dynamic: a descheduled thread does not hold up the batch; each C_i is computed by
     * one single-threaded GEMM whichever thread takes it, so results do not change */
    const int chunk = (int)(batch / (16 * (int64_t)nthr) > 0 ? batch / (16 * (int64_t)nthr) : 1);
#pragma omp parallel for schedule(dynamic, chunk)
    for (int64_t i = 0; i < batch; i++) {
        if (atomic_load(&failed)) continue;
        float *Ci = C + i * strideC;
        if (degenerate) {
            scale_c(M, N, beta, Ci, ldc);
            continue;
        }
        vct_error e = {0};
        vct_status s = run_one(be, transA, transB, M, N, K, alpha, A + i * strideA, lda,
                               B + i * strideB, ldb, beta, Ci, ldc, &e);
        if (s != VCT_STATUS_OK) {
#pragma omp critical(gemm_batched_err)
            {
                if (st == VCT_STATUS_OK) {
                    st = s;
                    if (err) *err = e;
                }
            }
            atomic_store(&failed, 1);
        }
    }
    return st;
}

vct_status gemm_strided_batched(int transA, int transB, int64_t M, int64_t N, int64_t K,
                                float alpha, const float *A, int64_t lda, int64_t strideA,
                                const float *B, int64_t ldb, int64_t strideB, float beta,
                                float *C, int64_t ldc, int64_t strideC, int64_t batch,
                                vct_error *err) {
    gemm_backend be;
    VCT_TRY(gemm_get_backend(&be, err));
    return gemm_strided_batched_with(be, transA, transB, M, N, K, alpha, A, lda, strideA, B,
                                     ldb, strideB, beta, C, ldc, strideC, batch, err);
}
