/* topk.c: top-k along the last dim with a deterministic tie order (see topk.h).
 *
 * Per row: a heap of the K best entries seen so far, kept in the output
 * buffers with the WORST entry at the root; each further element replaces the
 * root if it is better. Heapsort then moves the worst to the back, leaving the
 * K entries best-first. O(N log K) per row, no allocation. */
#include "ops/topk.h"

#include <math.h>

/* strict total order: a before b (a is "better") */
static int better(float av, int64_t ai, float bv, int64_t bi) {
    int an = isnan(av), bn = isnan(bv);
    if (an != bn) return an; /* NaN is the largest */
    if (!an && av != bv) return av > bv;
    return ai < bi; /* equal values (or both NaN): lower index first */
}

/* restore the heap (root = worst) below position i, heap size n */
static void sift_down(float *v, int64_t *ix, int64_t i, int64_t n) {
    for (;;) {
        int64_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && better(v[w], ix[w], v[l], ix[l])) w = l; /* l is worse than w */
        if (r < n && better(v[w], ix[w], v[r], ix[r])) w = r;
        if (w == i) return;
        float tv = v[i];
        int64_t ti = ix[i];
        v[i] = v[w], ix[i] = ix[w];
        v[w] = tv, ix[w] = ti;
        i = w;
    }
}

vct_status topk_forward(float *values, int64_t *indices, const float *inp, int64_t R, int64_t N,
                        int64_t K, vct_error *err) {
    if (!values || !indices || !inp)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "topk_forward: NULL buffer");
    if (R < 0 || N < 0 || K < 0 || K > N)
        return vct_fail(err, VCT_STATUS_SHAPE, "topk_forward: k %lld for rows [%lld, %lld]",
                        (long long)K, (long long)R, (long long)N);
    if (K == 0) return VCT_STATUS_OK;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < R; r++) {
        const float *x = inp + r * N;
        float *v = values + r * K;
        int64_t *ix = indices + r * K;
        for (int64_t i = 0; i < K; i++) v[i] = x[i], ix[i] = i;
        for (int64_t i = K / 2 - 1; i >= 0; i--) sift_down(v, ix, i, K);
        for (int64_t i = K; i < N; i++)
            if (better(x[i], i, v[0], ix[0])) {
                v[0] = x[i], ix[0] = i;
                sift_down(v, ix, 0, K);
            }
        for (int64_t end = K - 1; end > 0; end--) { /* worst to the back */
            float tv = v[0];
            int64_t ti = ix[0];
            v[0] = v[end], ix[0] = ix[end];
            v[end] = tv, ix[end] = ti;
            sift_down(v, ix, 0, end);
        }
    }
    return VCT_STATUS_OK;
}

vct_status topk_backward(float *dinp, const float *dvalues, const int64_t *indices, int64_t R,
                         int64_t N, int64_t K, vct_error *err) {
    if (!dvalues || !indices)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "topk_backward: NULL buffer");
    if (R < 0 || N < 0 || K < 0 || K > N)
        return vct_fail(err, VCT_STATUS_SHAPE, "topk_backward: k %lld for rows [%lld, %lld]",
                        (long long)K, (long long)R, (long long)N);
    if (!dinp) return VCT_STATUS_OK;
    int bad = 0;
#pragma omp parallel for schedule(static) reduction(| : bad)
    for (int64_t r = 0; r < R; r++)
        for (int64_t k = 0; k < K; k++) {
            int64_t i = indices[r * K + k];
            if (i < 0 || i >= N)
                bad = 1;
            else
                dinp[r * N + i] += dvalues[r * K + k];
        }
    if (bad)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "topk_backward: index outside [0, %lld)",
                        (long long)N);
    return VCT_STATUS_OK;
}
