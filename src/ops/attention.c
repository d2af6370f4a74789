/* attention.c: scaled-dot-product attention core (torch 1.13 MHA). See attention.h. */
#include "ops/attention.h"

#include <math.h>
#include <stdlib.h>

#include "core/omp.h"
#include "ops/gemm.h"
#include "ops/softmax.h"

/* torch: q / math.sqrt(E) with the Python double rounded to the tensor's fp32 */
static float scale_divisor(int64_t D) { return (float)sqrt((double)D); }

static vct_status check_args(const char *what, int64_t BH, int64_t Lq, int64_t Lk, int64_t D,
                             int64_t Dv, vct_error *err) {
    if (BH < 0 || Lq < 0 || Lk < 1 || D < 1 || Dv < 1)
        return vct_fail(err, VCT_STATUS_SHAPE, "%s: bad sizes BH %lld Lq %lld Lk %lld D %lld Dv %lld",
                        what, (long long)BH, (long long)Lq, (long long)Lk, (long long)D, (long long)Dv);
    return VCT_STATUS_OK;
}

/* scratch from the arena, or malloc'ed (then *owned is set) */
static float *scratch_floats(arena *scratch, size_t n, void **owned) {
    size_t bytes = (n ? n : 1) * sizeof(float);
    *owned = NULL;
    if (scratch) return arena_alloc(scratch, bytes);
    *owned = malloc(bytes);
    return *owned;
}

/* apply masks to the score rows of batch-head b: S += add; S = -inf where blocked */
static void apply_masks(float *S, const float *add_mask, const uint8_t *block_mask,
                        int64_t mask_group, int64_t b, int64_t Lq, int64_t Lk) {
    int64_t mi = (b / mask_group) * Lq * Lk;
    if (add_mask)
        for (int64_t i = 0; i < Lq * Lk; i++) S[i] += add_mask[mi + i];
    if (block_mask)
        for (int64_t i = 0; i < Lq * Lk; i++)
            if (block_mask[mi + i]) S[i] = -INFINITY;
}

vct_status attention_forward(float *out, float *probs, const float *q, const float *k,
                             const float *v, const float *add_mask, const uint8_t *block_mask,
                             int64_t mask_group, int64_t BH, int64_t Lq, int64_t Lk, int64_t D,
                             int64_t Dv, arena *scratch, vct_error *err) {
    VCT_TRY(check_args("attention_forward", BH, Lq, Lk, D, Dv, err));
    if (!out || !probs || !q || !k || !v)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "attention_forward: NULL buffer");
    if ((add_mask || block_mask) && (mask_group < 1 || (BH > 0 && BH % mask_group != 0)))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "attention_forward: mask_group %lld must be >= 1 and divide BH %lld",
                        (long long)mask_group, (long long)BH);
    if (BH == 0 || Lq == 0) return VCT_STATUS_OK;
    size_t mark = scratch ? arena_mark(scratch) : 0;
    void *owned;
    float *qs = scratch_floats(scratch, (size_t)(BH * Lq * D), &owned);
    if (!qs) return vct_fail(err, VCT_STATUS_NO_MEMORY, "attention_forward: no memory for q/sqrt(D)");
    vct_status st = VCT_STATUS_OK;
    const float c = scale_divisor(D);
    const int64_t nq = BH * Lq * D;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < nq; i++) qs[i] = q[i] / c;
    /* S = q' k^T for every batch-head */
    st = gemm_strided_batched(0, 1, Lq, Lk, D, 1.0f, qs, D, Lq * D, k, D, Lk * D, 0.0f, probs, Lk,
                              Lq * Lk, BH, err);
    if (st != VCT_STATUS_OK) goto fail;
    if (add_mask || block_mask) {
#pragma omp parallel for schedule(static)
        for (int64_t b = 0; b < BH; b++)
            apply_masks(probs + b * Lq * Lk, add_mask, block_mask, mask_group, b, Lq, Lk);
    }
    st = softmax_forward(probs, probs, BH * Lq, Lk, err);
    if (st != VCT_STATUS_OK) goto fail;
    st = gemm_strided_batched(0, 0, Lq, Dv, Lk, 1.0f, probs, Lk, Lq * Lk, v, Dv, Lk * Dv, 0.0f, out,
                              Dv, Lq * Dv, BH, err);
    if (st != VCT_STATUS_OK) goto fail;
fail:
    if (scratch)
        arena_rewind(scratch, mark);
    else
        free(owned);
    if (st != VCT_STATUS_OK) return vct_error_wrap(err, "attention_forward");
    return VCT_STATUS_OK;
}

vct_status attention_backward(float *dq, float *dk, float *dv, const float *dout,
                              const float *probs, const float *q, const float *k, const float *v,
                              int64_t BH, int64_t Lq, int64_t Lk, int64_t D, int64_t Dv,
                              arena *scratch, vct_error *err) {
    VCT_TRY(check_args("attention_backward", BH, Lq, Lk, D, Dv, err));
    if (!dout || !probs || !q || !k || !v)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "attention_backward: NULL buffer");
    if (BH == 0 || Lq == 0 || (!dq && !dk && !dv)) return VCT_STATUS_OK;
    size_t mark = scratch ? arena_mark(scratch) : 0;
    void *owned;
    float *dS = scratch_floats(scratch, (size_t)(Lq * (Lk + D)), &owned);
    if (!dS) return vct_fail(err, VCT_STATUS_NO_MEMORY, "attention_backward: no memory for scratch");
    float *qs = dS + Lq * Lk;
    const float c = scale_divisor(D);
    vct_status st = VCT_STATUS_OK;
    for (int64_t b = 0; b < BH; b++) {
        const float *P = probs + b * Lq * Lk, *go = dout + b * Lq * Dv;
        const float *qb = q + b * Lq * D, *kb = k + b * Lk * D, *vb = v + b * Lk * Dv;
        if (dv) { /* dv += P^T dout */
            st = gemm(1, 0, Lk, Dv, Lq, 1.0f, P, Lk, go, Dv, 1.0f, dv + b * Lk * Dv, Dv, err);
            if (st != VCT_STATUS_OK) goto fail;
        }
        if (!dq && !dk) continue;
        /* dP = dout v^T, then dS = P (dP - rowsum(dP P)) in place */
        st = gemm(0, 1, Lq, Lk, Dv, 1.0f, go, Dv, vb, Dv, 0.0f, dS, Lk, err);
        if (st != VCT_STATUS_OK) goto fail;
#pragma omp parallel for schedule(static)
        for (int64_t i = 0; i < Lq; i++) {
            const float *p = P + i * Lk;
            float *g = dS + i * Lk;
            double dot = 0.0;
            for (int64_t j = 0; j < Lk; j++) dot += (double)p[j] * g[j];
            float fd = (float)dot;
            for (int64_t j = 0; j < Lk; j++) g[j] = p[j] * (g[j] - fd);
        }
        if (dq) { /* dq += (dS k) / sqrt(D) */
            st = gemm(0, 0, Lq, D, Lk, 1.0f / c, dS, Lk, kb, D, 1.0f, dq + b * Lq * D, D, err);
            if (st != VCT_STATUS_OK) goto fail;
        }
        if (dk) { /* dk += dS^T q' */
            for (int64_t i = 0; i < Lq * D; i++) qs[i] = qb[i] / c;
            st = gemm(1, 0, Lk, D, Lq, 1.0f, dS, Lk, qs, D, 1.0f, dk + b * Lk * D, D, err);
            if (st != VCT_STATUS_OK) goto fail;
        }
    }
fail:
    if (scratch)
        arena_rewind(scratch, mark);
    else
        free(owned);
    if (st != VCT_STATUS_OK) return vct_error_wrap(err, "attention_backward");
    return VCT_STATUS_OK;
}

int64_t attention_mask_open_blocked_rows(uint8_t *block_mask, int64_t rows, int64_t Lk) {
    int64_t opened = 0;
    for (int64_t r = 0; r < rows; r++) {
        uint8_t *m = block_mask + r * Lk;
        int64_t j = 0;
        while (j < Lk && m[j]) j++;
        if (j == Lk && Lk > 0) {
            for (int64_t t = 0; t < Lk; t++) m[t] = 0;
            opened++;
        }
    }
    return opened;
}

void attention_forward_naive(float *out, float *probs, const float *q, const float *k,
                             const float *v, const float *add_mask, const uint8_t *block_mask,
                             int64_t mask_group, int64_t BH, int64_t Lq, int64_t Lk, int64_t D,
                             int64_t Dv) {
    const float c = scale_divisor(D);
    for (int64_t b = 0; b < BH; b++) {
        int64_t mi = (b / (mask_group > 0 ? mask_group : 1)) * Lq * Lk;
        for (int64_t i = 0; i < Lq; i++) {
            float *p = probs + (b * Lq + i) * Lk;
            float mx = -INFINITY;
            for (int64_t j = 0; j < Lk; j++) {
                double s = 0.0;
                for (int64_t d = 0; d < D; d++)
                    s += (double)(q[(b * Lq + i) * D + d] / c) * k[(b * Lk + j) * D + d];
                float sf = (float)s;
                if (add_mask) sf += add_mask[mi + i * Lk + j];
                if (block_mask && block_mask[mi + i * Lk + j]) sf = -INFINITY;
                p[j] = sf;
                if (sf > mx) mx = sf;
            }
            double sum = 0.0;
            for (int64_t j = 0; j < Lk; j++) sum += exp((double)p[j] - mx);
            for (int64_t j = 0; j < Lk; j++) p[j] = (float)(exp((double)p[j] - mx) / sum);
            for (int64_t d = 0; d < Dv; d++) {
                double o = 0.0;
                for (int64_t j = 0; j < Lk; j++) o += (double)p[j] * v[(b * Lk + j) * Dv + d];
                out[(b * Lq + i) * Dv + d] = (float)o;
            }
        }
    }
}
