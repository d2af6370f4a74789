/* test_gemm.c: the GEMM wrapper.
 *  1. the naive kernel against an independent evaluation (explicitly transposed
 *     copies, double sums) on small odd shapes;
 *  2. every backend (onednn, openblas) against naive on odd shapes (1, 7, 13, 30, 71,
 *     a few hundred), all four transposes, leading dimensions larger than the row,
 *     alpha/beta combinations (beta = 0 with NaN in C must not read C);
 *  3. degenerate sizes (M, N or K = 0, alpha = 0), argument errors, $VCT_GEMM parsing;
 *  4. the strided-batched variant (both schedules, broadcast strides) against naive;
 *  5. calls from inside an OpenMP parallel region (each thread its own GEMM).
 * Tolerance: |got - want| <= 1e-4*sqrt(K/32) + 1e-4*|want| (float sums against a
 * double-accumulated reference, inputs in [-1, 1]). */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/omp.h"
#include "ops/gemm.h"
#include "testlib.h"

static uint64_t g_seed = 1;

/* a row-major matrix [rows, ld] with random payload in the first cols of every row and
 * a sentinel (777) in the padding so reads of the padding show up */
static float *rand_mat(int64_t rows, int64_t cols, int64_t ld) {
    float *m = malloc((size_t)(rows * ld + 1) * sizeof *m);
    tl_fill_uniform(m, rows * ld + 1, g_seed++, -1.0f, 1.0f);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = cols; c < ld; c++) m[r * ld + c] = 777.0f;
    return m;
}

static double tol_for(int64_t K) { return 1e-4 * sqrt((double)(K > 32 ? K : 32) / 32.0); }

/* independent evaluation: materialise op(A), op(B) as dense [M,K], [K,N] in double */
static void gemm_check_ref(int tA, int tB, int64_t M, int64_t N, int64_t K, float alpha,
                           const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                           float *C, int64_t ldc) {
    double *a = malloc((size_t)(M * K + 1) * sizeof *a), *b = malloc((size_t)(K * N + 1) * sizeof *b);
    for (int64_t m = 0; m < M; m++)
        for (int64_t k = 0; k < K; k++) a[m * K + k] = tA ? A[k * lda + m] : A[m * lda + k];
    for (int64_t k = 0; k < K; k++)
        for (int64_t n = 0; n < N; n++) b[k * N + n] = tB ? B[n * ldb + k] : B[k * ldb + n];
    for (int64_t m = 0; m < M; m++)
        for (int64_t n = 0; n < N; n++) {
            double s = 0;
            for (int64_t k = 0; k < K; k++) s += a[m * K + k] * b[k * N + n];
            C[m * ldc + n] = (float)(alpha * s + (beta != 0 ? beta * (double)C[m * ldc + n] : 0));
        }
    free(a);
    free(b);
}

/* compare the [M,N] payload of two C buffers with leading dim ldc, and check the padding
 * of got is untouched (still equal to the initial copy) */
static int check_c(const char *name, const float *got, const float *want, const float *init,
                   int64_t M, int64_t N, int64_t ldc, int64_t K) {
    float *g = malloc((size_t)(M * N + 1) * sizeof *g), *w = malloc((size_t)(M * N + 1) * sizeof *w);
    for (int64_t m = 0; m < M; m++)
        for (int64_t n = 0; n < N; n++) {
            g[m * N + n] = got[m * ldc + n];
            w[m * N + n] = want[m * ldc + n];
        }
    int ok = tl_check_close(name, g, w, M * N, tol_for(K), 1e-4);
    int64_t pad_bad = 0;
    for (int64_t m = 0; m < M; m++)
        for (int64_t n = N; n < ldc; n++)
            if (memcmp(&got[m * ldc + n], &init[m * ldc + n], sizeof(float)) != 0) pad_bad++;
    if (pad_bad) {
        tl_fail(name, "%lld elements of C's row padding were written", (long long)pad_bad);
        ok = 0;
    }
    free(g);
    free(w);
    return ok;
}

typedef struct gcase {
    int tA, tB;
    int64_t M, N, K, pad; /* pad: extra elements per row in lda/ldb/ldc */
    float alpha, beta;
} gcase;

/* one case on backend be (or the naive-vs-independent check when be == NAIVE) */
static void run_case(gemm_backend be, gcase c) {
    int64_t M = c.M, N = c.N, K = c.K;
    int64_t arows = c.tA ? K : M, acols = c.tA ? M : K;
    int64_t brows = c.tB ? N : K, bcols = c.tB ? K : N;
    int64_t lda = acols + c.pad, ldb = bcols + c.pad, ldc = N + c.pad;
    float *A = rand_mat(arows, acols, lda), *B = rand_mat(brows, bcols, ldb);
    float *C0 = rand_mat(M, N, ldc);
    if (c.beta == 0.0f)
        for (int64_t m = 0; m < M; m++)
            for (int64_t n = 0; n < N; n++) C0[m * ldc + n] = NAN; /* must not be read */
    size_t cb = (size_t)(M * ldc + 1) * sizeof(float);
    float *got = malloc(cb), *want = malloc(cb);
    memcpy(got, C0, cb);
    memcpy(want, C0, cb);
    char name[160];
    snprintf(name, sizeof name, "%s %c%c M=%lld N=%lld K=%lld pad=%lld alpha=%g beta=%g",
             be == GEMM_BACKEND_NAIVE ? "naive-vs-independent" : gemm_backend_name(be),
             c.tA ? 'T' : 'N', c.tB ? 'T' : 'N', (long long)M, (long long)N, (long long)K,
             (long long)c.pad, (double)c.alpha, (double)c.beta);
    vct_error err = {0};
    vct_status st = gemm_with(be, c.tA, c.tB, M, N, K, c.alpha, A, lda, B, ldb, c.beta, got, ldc, &err);
    if (st != VCT_STATUS_OK) {
        tl_fail(name, "gemm_with failed: %s", err.msg);
    } else {
        if (be == GEMM_BACKEND_NAIVE)
            gemm_check_ref(c.tA, c.tB, M, N, K, c.alpha, A, lda, B, ldb, c.beta, want, ldc);
        else
            gemm_naive(c.tA, c.tB, M, N, K, c.alpha, A, lda, B, ldb, c.beta, want, ldc);
        check_c(name, got, want, C0, M, N, ldc, K);
    }
    free(A);
    free(B);
    free(C0);
    free(got);
    free(want);
}

static void test_shapes(void) {
    static const int64_t sizes[][3] = {{1, 1, 1},   {1, 7, 13},  {7, 1, 30},  {13, 30, 1},
                                       {30, 13, 7}, {71, 30, 13}, {13, 71, 71}, {71, 71, 30},
                                       {1, 71, 7},  {71, 1, 71}};
    static const float ab[][2] = {{1.0f, 0.0f}, {1.0f, 1.0f}, {0.5f, -0.75f}};
    for (int be = 0; be < GEMM_BACKEND_COUNT; be++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            for (int t = 0; t < 4; t++)
                for (int pad = 0; pad <= 3; pad += 3) {
                    /* alpha/beta: all three on the first shapes and transposes, else rotate */
                    for (int k = 0; k < 3; k++) {
                        if (s >= 2 && k != (int)((s + (size_t)t + (size_t)pad) % 3)) continue;
                        gcase c = {t & 1, t >> 1, sizes[s][0], sizes[s][1], sizes[s][2], pad,
                                   ab[k][0], ab[k][1]};
                        run_case((gemm_backend)be, c);
                    }
                }
    /* larger shapes that go through the libraries' blocking and threading */
    for (int be = 0; be < GEMM_BACKEND_COUNT; be++) {
        gcase big[] = {{0, 0, 257, 130, 300, 0, 1.0f, 0.0f},
                       {1, 1, 130, 257, 300, 5, 1.0f, 1.0f},
                       {0, 1, 144, 144, 32, 0, 0.17677669f, 0.0f},
                       {1, 0, 96, 512, 384, 1, 1.0f, 1.0f}};
        for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) run_case((gemm_backend)be, big[i]);
    }
}

static void test_degenerate(void) {
    for (int be = 0; be < GEMM_BACKEND_COUNT; be++) {
        const char *bn = gemm_backend_name((gemm_backend)be);
        char name[128];
        vct_error err = {0};
        float C[6] = {1, 2, 3, 4, 5, 6}, A[6] = {1, 1, 1, 1, 1, 1}, B[6] = {NAN, 1, 1, 1, 1, 1};
        /* K = 0: C = beta*C */
        vct_status st = gemm_with((gemm_backend)be, 0, 0, 2, 3, 0, 1.0f, A, 1, B, 3, 0.5f, C, 3, &err);
        snprintf(name, sizeof name, "%s K=0 scales C by beta", bn);
        tl_expect(st == VCT_STATUS_OK && C[0] == 0.5f && C[5] == 3.0f, name, "st=%d C=%g..%g",
                  (int)st, (double)C[0], (double)C[5]);
        /* alpha = 0, beta = 0: C = 0 without touching A, B (B holds a NaN) */
        float D[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
        st = gemm_with((gemm_backend)be, 0, 0, 2, 3, 2, 0.0f, A, 2, B, 3, 0.0f, D, 3, &err);
        int zero = 1;
        for (int i = 0; i < 6; i++) zero &= D[i] == 0.0f;
        snprintf(name, sizeof name, "%s alpha=0 beta=0 zeroes C", bn);
        tl_expect(st == VCT_STATUS_OK && zero, name, "st=%d D[0]=%g", (int)st, (double)D[0]);
        /* M = 0, N = 0: nothing happens, NULL pointers allowed */
        st = gemm_with((gemm_backend)be, 0, 0, 0, 3, 2, 1.0f, NULL, 2, NULL, 3, 0.0f, NULL, 3, &err);
        vct_status st2 = gemm_with((gemm_backend)be, 1, 1, 4, 0, 2, 1.0f, NULL, 4, NULL, 2, 0.0f, NULL, 1, &err);
        snprintf(name, sizeof name, "%s M=0 / N=0 are no-ops", bn);
        tl_expect(st == VCT_STATUS_OK && st2 == VCT_STATUS_OK, name, "st=%d %d", (int)st, (int)st2);
        /* leading dimension too small */
        st = gemm_with((gemm_backend)be, 0, 0, 2, 3, 2, 1.0f, A, 1, B, 3, 0.0f, C, 3, &err);
        snprintf(name, sizeof name, "%s lda < K is refused", bn);
        tl_expect(st == VCT_STATUS_INVALID_ARGUMENT && strstr(err.msg, "lda=1"), name,
                  "st=%d msg=%s", (int)st, err.msg);
        st = gemm_with((gemm_backend)be, 1, 0, 3, 2, 2, 1.0f, A, 2, B, 2, 0.0f, C, 2, &err);
        snprintf(name, sizeof name, "%s transposed lda < M is refused", bn);
        tl_expect(st == VCT_STATUS_INVALID_ARGUMENT, name, "st=%d", (int)st);
        st = gemm_with((gemm_backend)be, 0, 1, 2, 3, 2, 1.0f, A, 2, B, 2, 0.0f, C, 2, &err);
        snprintf(name, sizeof name, "%s ldc < N is refused", bn);
        tl_expect(st == VCT_STATUS_INVALID_ARGUMENT && strstr(err.msg, "ldc=2"), name,
                  "st=%d msg=%s", (int)st, err.msg);
        st = gemm_with((gemm_backend)be, 0, 0, -1, 3, 2, 1.0f, A, 2, B, 3, 0.0f, C, 3, &err);
        snprintf(name, sizeof name, "%s negative M is refused", bn);
        tl_expect(st == VCT_STATUS_INVALID_ARGUMENT, name, "st=%d", (int)st);
    }
    vct_error err = {0};
    vct_status st = gemm_with((gemm_backend)7, 0, 0, 1, 1, 1, 1.0f, NULL, 1, NULL, 1, 0.0f, NULL, 1, &err);
    tl_expect(st == VCT_STATUS_INVALID_ARGUMENT, "unknown backend value refused", "st=%d", (int)st);
}

/* $VCT_GEMM is read on first use; a bad name fails every gemm() with the name in the
 * message, and gemm_set_backend() overrides it. Must run before anything sets it. */
static void test_env(void) {
    vct_error err = {0};
    gemm_backend be = GEMM_BACKEND_NAIVE;
    setenv("VCT_GEMM", "openblass", 1);
    float a = 2, b = 3, c = 0;
    vct_status st = gemm(0, 0, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1, &err);
    tl_expect(st == VCT_STATUS_INVALID_ARGUMENT && strstr(err.msg, "VCT_GEMM") &&
                  strstr(err.msg, "openblass"),
              "bad $VCT_GEMM fails with its value named", "st=%d msg=%s", (int)st, err.msg);
    setenv("VCT_GEMM", "openblas", 1);
    st = gemm_get_backend(&be, &err);
    tl_expect(st == VCT_STATUS_OK && be == GEMM_BACKEND_OPENBLAS, "$VCT_GEMM=openblas selects OpenBLAS",
              "st=%d be=%d", (int)st, (int)be);
    st = gemm(0, 0, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1, &err);
    tl_expect(st == VCT_STATUS_OK && c == 6.0f, "gemm() through $VCT_GEMM", "c=%g", (double)c);
    gemm_set_backend(GEMM_BACKEND_NAIVE);
    st = gemm_get_backend(&be, &err);
    tl_expect(st == VCT_STATUS_OK && be == GEMM_BACKEND_NAIVE, "gemm_set_backend overrides $VCT_GEMM",
              "be=%d", (int)be);
    unsetenv("VCT_GEMM");
    gemm_set_backend(GEMM_BACKEND_ONEDNN);
    for (int i = 0; i < GEMM_BACKEND_COUNT; i++) {
        gemm_backend p;
        char d[256];
        gemm_describe((gemm_backend)i, d, sizeof d);
        printf("  backend %s: %s\n", gemm_backend_name((gemm_backend)i), d);
        tl_expect(gemm_backend_parse(gemm_backend_name((gemm_backend)i), &p, &err) == VCT_STATUS_OK &&
                      p == (gemm_backend)i,
                  "backend name round trip", "%d", i);
    }
}

static void test_batched(void) {
    /* batch 6 splits over 2 threads (OpenMP over the batch), 5 does not (library threads);
     * with a single thread both run the sequential loop */
    static const int64_t batches[] = {1, 5, 6, 9};
    for (int be = 0; be < GEMM_BACKEND_COUNT; be++)
        for (size_t bi = 0; bi < sizeof batches / sizeof batches[0]; bi++)
            for (int bc = 0; bc < 3; bc++) { /* 0: no broadcast, 1: A broadcast, 2: B broadcast */
                int64_t batch = batches[bi], M = 13, N = 30, K = 7, pad = (int64_t)bi & 1;
                int tA = (int)(bi & 1), tB = (int)((bi >> 1) & 1);
                int64_t lda = (tA ? M : K) + pad, ldb = (tB ? K : N) + pad, ldc = N + pad;
                int64_t perA = (tA ? K : M) * lda + 2, perB = (tB ? N : K) * ldb + 1;
                int64_t sA = bc == 1 ? 0 : perA, sB = bc == 2 ? 0 : perB;
                int64_t sC = M * ldc + 3;
                float *A = rand_mat(batch, perA, perA), *B = rand_mat(batch, perB, perB);
                float *C0 = rand_mat(batch, sC, sC);
                size_t cb = (size_t)(batch * sC + 1) * sizeof(float);
                float *got = malloc(cb), *want = malloc(cb);
                memcpy(got, C0, cb);
                memcpy(want, C0, cb);
                float alpha = 0.75f, beta = bi == 2 ? 0.0f : 1.0f;
                char name[160];
                snprintf(name, sizeof name, "%s batched %c%c batch=%lld broadcast=%s",
                         gemm_backend_name((gemm_backend)be), tA ? 'T' : 'N', tB ? 'T' : 'N',
                         (long long)batch, bc == 0 ? "none" : bc == 1 ? "A" : "B");
                vct_error err = {0};
                vct_status st = gemm_strided_batched_with((gemm_backend)be, tA, tB, M, N, K, alpha, A,
                                                          lda, sA, B, ldb, sB, beta, got, ldc, sC,
                                                          batch, &err);
                for (int64_t i = 0; i < batch; i++)
                    gemm_naive(tA, tB, M, N, K, alpha, A + i * sA, lda, B + i * sB, ldb, beta,
                               want + i * sC, ldc);
                if (st != VCT_STATUS_OK)
                    tl_fail(name, "%s", err.msg);
                else /* compare everything, gaps between the C_i included (must be untouched) */
                    tl_check_close(name, got, want, batch * sC, tol_for(K), 1e-4);
                free(A);
                free(B);
                free(C0);
                free(got);
                free(want);
            }
    vct_error err = {0};
    float x[64] = {0};
    vct_status st = gemm_strided_batched_with(GEMM_BACKEND_NAIVE, 0, 0, 2, 2, 2, 1.0f, x, 2, 4, x,
                                              2, 4, 0.0f, x + 32, 2, 3, 4, &err);
    tl_expect(st == VCT_STATUS_INVALID_ARGUMENT, "batched: overlapping C refused", "st=%d", (int)st);
}

/* Each thread of an OpenMP region runs its own GEMM (the library must run single-threaded
 * there, and the results must be what a sequential call gives). */
static void test_in_parallel_region(void) {
    enum { T = 8, M = 71, N = 30, K = 64 };
    float *A = rand_mat(T * M, K, K), *B = rand_mat(K, N, N);
    float *got = calloc(T * M * N, sizeof *got), *want = calloc(T * M * N, sizeof *want);
    for (int be = 0; be < GEMM_BACKEND_COUNT; be++) {
        int fails = 0, ob_threads = -1;
#pragma omp parallel for schedule(static) reduction(+ : fails)
        for (int t = 0; t < T; t++) {
            vct_error e = {0};
            if (gemm_with((gemm_backend)be, 0, 0, M, N, K, 1.0f, A + t * M * K, K, B, N, 0.0f,
                          got + t * M * N, N, &e) != VCT_STATUS_OK)
                fails++;
            if (be == GEMM_BACKEND_OPENBLAS && t == 0 && threads_in_parallel())
                ob_threads = openblas_get_num_threads();
        }
        gemm_naive(0, 0, T * M, N, K, 1.0f, A, K, B, N, 0.0f, want, N);
        char name[128];
        snprintf(name, sizeof name, "%s called from an OpenMP region", gemm_backend_name((gemm_backend)be));
        if (!tl_expect(fails == 0, name, "%d calls failed", fails)) continue;
        tl_check_close(name, got, want, T * M * N, tol_for(K), 1e-4);
        if (be == GEMM_BACKEND_OPENBLAS && threads_max() == 1)
            tl_skip("openblas single-threaded inside a region", "only one thread");
        if (be == GEMM_BACKEND_OPENBLAS && threads_max() > 1) {
            tl_expect(ob_threads == 1, "openblas single-threaded inside a region",
                      "openblas_get_num_threads() = %d", ob_threads);
            vct_error e = {0};
            gemm_with(GEMM_BACKEND_OPENBLAS, 0, 0, M, N, K, 1.0f, A, K, B, N, 0.0f, got, N, &e);
            tl_expect(openblas_get_num_threads() == threads_max(),
                      "openblas back to threads_max() outside regions", "%d threads, want %d",
                      openblas_get_num_threads(), threads_max());
        }
    }
    free(A);
    free(B);
    free(got);
    free(want);
}

int main(void) {
    vct_error terr = {0};
    if (threads_init(&terr) != VCT_STATUS_OK) {
        fprintf(stderr, "%s\n", terr.msg);
        return 2;
    }
    test_env();
    test_shapes();
    test_degenerate();
    test_batched();
    test_in_parallel_region();
    return tl_summary("test_gemm");
}
