/* gumbel_assign.c: hard straight-through assignment (AssignAttention). See gumbel_assign.h. */
#include "ops/gumbel_assign.h"

#include <math.h>
#include <stdlib.h>

#include "core/omp.h"

static vct_status check_sizes(const char *what, int64_t B, int64_t Q, int64_t N, vct_error *err) {
    if (B < 0 || Q < 1 || N < 0)
        return vct_fail(err, VCT_STATUS_SHAPE, "%s: bad sizes B %lld Q %lld N %lld", what,
                        (long long)B, (long long)Q, (long long)N);
    return VCT_STATUS_OK;
}

vct_status gumbel_assign_forward(float *attn, float *soft, int64_t *index, float *denom,
                                 const float *logits, const float *noise, float tau,
                                 float assign_eps, int64_t B, int64_t Q, int64_t N, vct_error *err) {
    VCT_TRY(check_sizes("gumbel_assign_forward", B, Q, N, err));
    if (!attn || !soft || !index || !denom || !logits)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "gumbel_assign_forward: NULL buffer");
    if (noise && !(tau > 0.0f))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "gumbel_assign_forward: tau %g must be > 0", (double)tau);
    const int64_t cols = B * N;
    /* 1. per column: z, softmax over q, argmax, straight-through value (into attn for now) */
#pragma omp parallel for schedule(static)
    for (int64_t bn = 0; bn < cols; bn++) {
        int64_t b = bn / N, n = bn % N;
        const int64_t base = b * Q * N + n;
        float *s = soft + base;
        float mx = -INFINITY;
        for (int64_t q = 0; q < Q; q++) {
            float z = logits[base + q * N];
            if (noise) z = (z + noise[base + q * N]) / tau;
            s[q * N] = z;
            if (z > mx || isnan(z)) mx = z;
        }
        float sum = 0.0f;
        for (int64_t q = 0; q < Q; q++) {
            float e = expf(s[q * N] - mx);
            s[q * N] = e;
            sum += e;
        }
        int64_t best = 0;
        for (int64_t q = 0; q < Q; q++) {
            s[q * N] /= sum;
            if (s[q * N] > s[best * N]) best = q; /* first index wins ties */
        }
        index[bn] = best;
        for (int64_t q = 0; q < Q; q++) {
            float h = q == best ? 1.0f : 0.0f;
            attn[base + q * N] = (h - s[q * N]) + s[q * N];
        }
    }
    /* 2. per row: denominator, normalise */
    const int64_t rows = B * Q;
#pragma omp parallel for schedule(static)
    for (int64_t bq = 0; bq < rows; bq++) {
        float *a = attn + bq * N;
        float sum = 0.0f;
        for (int64_t n = 0; n < N; n++) sum += a[n];
        float den = sum + assign_eps;
        denom[bq] = den;
        for (int64_t n = 0; n < N; n++) a[n] /= den;
    }
    return VCT_STATUS_OK;
}

/* the straight-through value A'[q, n] recomputed from the saved S and index */
static inline float st_value(const float *soft, const int64_t *index, int64_t b, int64_t q,
                             int64_t n, int64_t Q, int64_t N) {
    float s = soft[(b * Q + q) * N + n];
    float h = index[b * N + n] == q ? 1.0f : 0.0f;
    return (h - s) + s;
}

vct_status gumbel_assign_backward(float *dlogits, const float *dattn, const float *soft,
                                  const int64_t *index, const float *denom, int gumbel, float tau,
                                  int64_t B, int64_t Q, int64_t N, arena *scratch, vct_error *err) {
    VCT_TRY(check_sizes("gumbel_assign_backward", B, Q, N, err));
    if (!dlogits || !dattn || !soft || !index || !denom)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "gumbel_assign_backward: NULL buffer");
    if (gumbel && !(tau > 0.0f))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "gumbel_assign_backward: tau %g must be > 0", (double)tau);
    const int64_t rows = B * Q, cols = B * N;
    size_t bytes = (size_t)(rows > 0 ? rows : 1) * sizeof(float);
    size_t mark = scratch ? arena_mark(scratch) : 0;
    float *dden = scratch ? arena_alloc(scratch, bytes) : malloc(bytes);
    if (!dden) return vct_fail(err, VCT_STATUS_NO_MEMORY, "gumbel_assign_backward: no memory for %zu bytes", bytes);
    /* d(denominator) per row: -sum_n dattn * A' / denom^2 */
#pragma omp parallel for schedule(static)
    for (int64_t bq = 0; bq < rows; bq++) {
        int64_t b = bq / Q, q = bq % Q;
        double acc = 0.0;
        for (int64_t n = 0; n < N; n++) acc += (double)dattn[bq * N + n] * st_value(soft, index, b, q, n, Q, N);
        float den = denom[bq];
        dden[bq] = (float)(-acc / ((double)den * den));
    }
    /* softmax backward per column */
#pragma omp parallel for schedule(static)
    for (int64_t bn = 0; bn < cols; bn++) {
        int64_t b = bn / N, n = bn % N;
        const int64_t base = b * Q * N + n;
        double dot = 0.0;
        for (int64_t q = 0; q < Q; q++) {
            float ds = dattn[base + q * N] / denom[b * Q + q] + dden[b * Q + q];
            dot += (double)soft[base + q * N] * ds;
        }
        for (int64_t q = 0; q < Q; q++) {
            float ds = dattn[base + q * N] / denom[b * Q + q] + dden[b * Q + q];
            float dz = soft[base + q * N] * (ds - (float)dot);
            dlogits[base + q * N] += gumbel ? dz / tau : dz;
        }
    }
    if (scratch)
        arena_rewind(scratch, mark);
    else
        free(dden);
    return VCT_STATUS_OK;
}
