/* bench_gemm.c: GFLOP/s of vct's GEMM wrapper (ops/gemm.h) per backend on the shapes
 * that matter for VCT. bench/bench_gemm.sh runs it next to torch.matmul
 * (bench/bench_gemm_torch.py) and prints the comparison table; run alone it prints
 * its own lines.
 *
 *   square   2048 x 2048 x 2048                  (M x N x K)
 *   pix      9216 x 256 x 256                    (a 1x1 conv / linear on 96x96 pixels)
 *   swin     1000 x (144 x 144 x 32)             (window attention q k^T, one batched call)
 *   big      2304 x 4096 x 1024
 * All row-major, no transposes, alpha 1, beta 0. Time: best of >= 3 runs (and >= 0.5 s
 * in all) after one warm-up call; the naive kernel runs once, on the smaller shapes only.
 *
 * Output: "INFO ..." lines (backends, kernels, threads) and one line per measurement
 *   RESULT <shape> <backend> <GFLOP/s> <best seconds> <runs>
 * Threads: $VCT_THREADS (else OMP_NUM_THREADS, else all cores). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/omp.h"
#include "ops/gemm.h"

typedef struct shape {
    const char *name, *desc;
    int64_t batch, M, N, K;
    int naive; /* also time the naive kernel */
} shape;

static const shape SHAPES[] = {
    {"square", "2048x2048x2048", 1, 2048, 2048, 2048, 0},
    {"pix", "9216x256x256", 1, 9216, 256, 256, 1},
    {"swin", "1000x(144x144x32)", 1000, 144, 144, 32, 1},
    {"big", "2304x4096x1024", 1, 2304, 4096, 1024, 0},
};

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *alloc_fill(int64_t n, unsigned seed) {
    float *p = malloc((size_t)n * sizeof *p);
    if (!p) return NULL;
    unsigned s = seed;
    for (int64_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        p[i] = (float)((s >> 9) & 0xFFFF) / 65536.0f - 0.5f;
    }
    return p;
}

static int run(const shape *sh, gemm_backend be, const float *A, const float *B, float *C,
               double *best, int *runs) {
    const int64_t M = sh->M, N = sh->N, K = sh->K;
    vct_error err = {0};
    *best = 1e30;
    *runs = 0;
    double total = 0;
    const int naive = be == GEMM_BACKEND_NAIVE;
    for (int r = -1; r < 50; r++) { /* r = -1: warm-up (JIT, thread start, page faults) */
        if (naive && r == -1) continue;
        double t0 = now();
        vct_status st = gemm_strided_batched_with(be, 0, 0, M, N, K, 1.0f, A, K, M * K, B, N,
                                                  K * N, 0.0f, C, N, M * N, sh->batch, &err);
        double t = now() - t0;
        if (st != VCT_STATUS_OK) {
            fprintf(stderr, "bench_gemm: %s on %s: %s\n", gemm_backend_name(be), sh->name, err.msg);
            return -1;
        }
        if (r < 0) continue;
        total += t;
        (*runs)++;
        if (t < *best) *best = t;
        if (naive || (*runs >= 3 && total >= 0.5)) break;
    }
    return 0;
}

int main(int argc, char **argv) {
    vct_error terr = {0};
    if (threads_init(&terr) != VCT_STATUS_OK) {
        fprintf(stderr, "%s\n", terr.msg);
        return 2;
    }
    int only_shape = -1;
    if (argc > 1) { /* optional: one shape by name */
        for (int i = 0; i < (int)(sizeof SHAPES / sizeof SHAPES[0]); i++)
            if (strcmp(argv[1], SHAPES[i].name) == 0) only_shape = i;
        if (only_shape < 0) {
            fprintf(stderr, "usage: bench_gemm [square|pix|swin|big]\n");
            return 2;
        }
    }
    printf("INFO threads %d\n", threads_max());
    for (int b = 0; b < GEMM_BACKEND_COUNT; b++) {
        char d[512];
        gemm_describe((gemm_backend)b, d, sizeof d);
        printf("INFO %s %s\n", gemm_backend_name((gemm_backend)b), d);
    }
    const char *ct = getenv("OPENBLAS_CORETYPE");
    printf("INFO env OPENBLAS_CORETYPE=%s\n", ct ? ct : "(unset)");
    fflush(stdout);
    for (int i = 0; i < (int)(sizeof SHAPES / sizeof SHAPES[0]); i++) {
        if (only_shape >= 0 && i != only_shape) continue;
        const shape *sh = &SHAPES[i];
        const int64_t nA = sh->batch * sh->M * sh->K, nB = sh->batch * sh->K * sh->N;
        const int64_t nC = sh->batch * sh->M * sh->N;
        float *A = alloc_fill(nA, 1), *B = alloc_fill(nB, 2), *C = alloc_fill(nC, 3);
        if (!A || !B || !C) {
            fprintf(stderr, "bench_gemm: out of memory for %s\n", sh->desc);
            return 1;
        }
        const double flop = 2.0 * (double)sh->batch * (double)sh->M * (double)sh->N * (double)sh->K;
        for (int b = 0; b < GEMM_BACKEND_COUNT; b++) {
            if (b == GEMM_BACKEND_NAIVE && !sh->naive) continue;
            double best;
            int runs;
            if (run(sh, (gemm_backend)b, A, B, C, &best, &runs) != 0) return 1;
            printf("RESULT %s %s %.1f %.6f %d   # %s\n", sh->name, gemm_backend_name((gemm_backend)b),
                   flop / best / 1e9, best, runs, sh->desc);
            fflush(stdout);
        }
        free(A);
        free(B);
        free(C);
    }
    return 0;
}
