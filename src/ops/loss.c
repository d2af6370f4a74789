/* loss.c: cross-entropy, BCE with logits, Mask2Former sigmoid_ce_loss and
 * dice_loss (see loss.h).
 *
 * References: torch 1.13 F.cross_entropy / nll_loss (weighted mean),
 * F.binary_cross_entropy_with_logits (Loss.cpp), Mask2Former
 * mask2former/modeling/criterion.py dice_loss / sigmoid_ce_loss.
 *
 * Reductions over masks run in fixed chunks of LOSS_CHUNK masks: the masks of
 * a chunk in parallel into a stack array, then summed in order, so the result
 * does not depend on the thread count. */
#include "ops/loss.h"

#include <math.h>

#include "ops/activation.h"
#include "ops/softmax.h"

#define LOSS_CHUNK 64

float bce_logits_f32(float x, float t) {
    float m = -x > 0.0f ? -x : 0.0f; /* max(-x, 0) */
    return (1.0f - t) * x + m + logf(expf(-m) + expf(-x - m));
}

/* ------------------------------------------------------------- cross-entropy */

static vct_status ce_check(const char *fn, const float *a, const float *b, const int64_t *target,
                           int64_t N, int64_t K, int64_t ignore_index, vct_error *err) {
    if (!a || !b || !target)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: NULL buffer", fn);
    if (N < 0 || K < 1)
        return vct_fail(err, VCT_STATUS_SHAPE, "%s: bad shape [%lld, %lld]", fn, (long long)N,
                        (long long)K);
    for (int64_t i = 0; i < N; i++)
        if (target[i] != ignore_index && (target[i] < 0 || target[i] >= K))
            return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                            "%s: target[%lld] = %lld outside [0, %lld) (ignore_index %lld)", fn,
                            (long long)i, (long long)target[i], (long long)K,
                            (long long)ignore_index);
    return VCT_STATUS_OK;
}

/* sum of the weights of the rows that count */
static double ce_total_weight(const int64_t *target, const float *weight, int64_t N,
                              int64_t ignore_index) {
    double s = 0;
    for (int64_t i = 0; i < N; i++)
        if (target[i] != ignore_index) s += weight ? weight[target[i]] : 1.0f;
    return s;
}

vct_status ce_loss_forward(float *loss, float *logp, const float *logits, const int64_t *target,
                           const float *weight, int64_t N, int64_t K, int64_t ignore_index,
                           vct_error *err) {
    if (!loss) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "ce_loss_forward: NULL loss");
    VCT_TRY(ce_check("ce_loss_forward", logp, logits, target, N, K, ignore_index, err));
    VCT_TRY(log_softmax_forward(logp, logits, N, K, err));
    double num = 0;
    for (int64_t i = 0; i < N; i++) {
        int64_t t = target[i];
        if (t == ignore_index) continue;
        num -= (double)(weight ? weight[t] : 1.0f) * logp[i * K + t];
    }
    *loss = (float)(num / ce_total_weight(target, weight, N, ignore_index)); /* 0/0: NaN */
    return VCT_STATUS_OK;
}

vct_status ce_loss_backward(float *dlogits, float dloss, const float *logp, const int64_t *target,
                            const float *weight, int64_t N, int64_t K, int64_t ignore_index,
                            vct_error *err) {
    VCT_TRY(ce_check("ce_loss_backward", logp, logp, target, N, K, ignore_index, err));
    if (!dlogits) return VCT_STATUS_OK;
    double W = ce_total_weight(target, weight, N, ignore_index);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < N; i++) {
        int64_t t = target[i];
        if (t == ignore_index) continue; /* ignored rows get no gradient (torch) */
        double g = (double)dloss * (weight ? weight[t] : 1.0f) / W;
        const float *lp = logp + i * K;
        float *dx = dlogits + i * K;
        for (int64_t c = 0; c < K; c++)
            dx[c] += (float)(g * (exp((double)lp[c]) - (c == t ? 1.0 : 0.0)));
    }
    return VCT_STATUS_OK;
}

/* ------------------------------------------------------- BCE with logits, mean */

static vct_status bce_check(const char *fn, const float *x, const float *t, int64_t M, int64_t P,
                            vct_error *err) {
    if (!x || !t) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: NULL buffer", fn);
    if (M < 0 || P < 0)
        return vct_fail(err, VCT_STATUS_SHAPE, "%s: bad shape [%lld, %lld]", fn, (long long)M,
                        (long long)P);
    return VCT_STATUS_OK;
}

vct_status bce_logits_forward(float *loss, const float *logits, const float *target, int64_t n,
                              vct_error *err) {
    if (!loss) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "bce_logits_forward: NULL loss");
    VCT_TRY(bce_check("bce_logits_forward", logits, target, 1, n, err));
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += bce_logits_f32(logits[i], target[i]);
    *loss = (float)(s / (double)n); /* n == 0: NaN, as torch's mean of nothing */
    return VCT_STATUS_OK;
}

vct_status bce_logits_backward(float *dlogits, float dloss, const float *logits,
                               const float *target, int64_t n, vct_error *err) {
    VCT_TRY(bce_check("bce_logits_backward", logits, target, 1, n, err));
    if (!dlogits) return VCT_STATUS_OK;
    float fn = (float)n;
#pragma omp parallel for schedule(static) if (n > 32768)
    for (int64_t i = 0; i < n; i++) dlogits[i] += (sigmoid_f32(logits[i]) - target[i]) * dloss / fn;
    return VCT_STATUS_OK;
}

/* -------------------------------------------------- Mask2Former mask losses */

static vct_status masks_check(const char *fn, const float *x, const float *t, int64_t M, int64_t P,
                              double num_masks, vct_error *err) {
    VCT_TRY(bce_check(fn, x, t, M, P, err));
    if (P < 1) return vct_fail(err, VCT_STATUS_SHAPE, "%s: no points per mask", fn);
    if (!(num_masks > 0) || isinf(num_masks))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: num_masks %g must be > 0", fn,
                        num_masks);
    return VCT_STATUS_OK;
}

/* mean over the P points of mask m of BCE with logits, as torch's float */
static float mask_bce_mean(const float *x, const float *t, int64_t P) {
    double s = 0;
    for (int64_t p = 0; p < P; p++) s += bce_logits_f32(x[p], t[p]);
    return (float)(s / (double)P);
}

vct_status sigmoid_ce_loss_forward(float *loss, const float *logits, const float *target, int64_t M,
                                   int64_t P, double num_masks, vct_error *err) {
    if (!loss) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "sigmoid_ce_loss: NULL loss");
    VCT_TRY(masks_check("sigmoid_ce_loss_forward", logits, target, M, P, num_masks, err));
    double total = 0;
    for (int64_t m0 = 0; m0 < M; m0 += LOSS_CHUNK) {
        int64_t m1 = m0 + LOSS_CHUNK < M ? m0 + LOSS_CHUNK : M;
        float part[LOSS_CHUNK];
#pragma omp parallel for schedule(static)
        for (int64_t m = m0; m < m1; m++)
            part[m - m0] = mask_bce_mean(logits + m * P, target + m * P, P);
        for (int64_t m = m0; m < m1; m++) total += part[m - m0];
    }
    *loss = (float)total / (float)num_masks;
    return VCT_STATUS_OK;
}

vct_status sigmoid_ce_loss_backward(float *dlogits, float dloss, const float *logits,
                                    const float *target, int64_t M, int64_t P, double num_masks,
                                    vct_error *err) {
    VCT_TRY(masks_check("sigmoid_ce_loss_backward", logits, target, M, P, num_masks, err));
    if (!dlogits) return VCT_STATUS_OK;
    float g = dloss / (float)num_masks / (float)P; /* sum, then mean(1), backwards */
#pragma omp parallel for schedule(static)
    for (int64_t m = 0; m < M; m++)
        for (int64_t p = m * P; p < (m + 1) * P; p++)
            dlogits[p] += (sigmoid_f32(logits[p]) - target[p]) * g;
    return VCT_STATUS_OK;
}

/* per-mask dice sums as torch's float tensors hold them */
typedef struct dice_sums {
    float num; /* 2 * sum(s * t) */
    float den; /* sum(s) + sum(t) */
} dice_sums;

static dice_sums dice_mask_sums(const float *x, const float *t, int64_t P) {
    double st = 0, ss = 0, tt = 0;
    for (int64_t p = 0; p < P; p++) {
        float s = sigmoid_f32(x[p]);
        st += s * t[p];
        ss += s;
        tt += t[p];
    }
    dice_sums d = {2.0f * (float)st, (float)ss + (float)tt};
    return d;
}

vct_status dice_loss_forward(float *loss, const float *logits, const float *target, int64_t M,
                             int64_t P, double num_masks, vct_error *err) {
    if (!loss) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "dice_loss_forward: NULL loss");
    VCT_TRY(masks_check("dice_loss_forward", logits, target, M, P, num_masks, err));
    double total = 0;
    for (int64_t m0 = 0; m0 < M; m0 += LOSS_CHUNK) {
        int64_t m1 = m0 + LOSS_CHUNK < M ? m0 + LOSS_CHUNK : M;
        float part[LOSS_CHUNK];
#pragma omp parallel for schedule(static)
        for (int64_t m = m0; m < m1; m++) {
            dice_sums d = dice_mask_sums(logits + m * P, target + m * P, P);
            part[m - m0] = 1.0f - (d.num + 1.0f) / (d.den + 1.0f);
        }
        for (int64_t m = m0; m < m1; m++) total += part[m - m0];
    }
    *loss = (float)total / (float)num_masks;
    return VCT_STATUS_OK;
}

vct_status dice_loss_backward(float *dlogits, float dloss, const float *logits, const float *target,
                              int64_t M, int64_t P, double num_masks, vct_error *err) {
    VCT_TRY(masks_check("dice_loss_backward", logits, target, M, P, num_masks, err));
    if (!dlogits) return VCT_STATUS_OK;
    double g = (double)(dloss / (float)num_masks); /* d loss_m */
#pragma omp parallel for schedule(static)
    for (int64_t m = 0; m < M; m++) {
        const float *x = logits + m * P, *t = target + m * P;
        dice_sums d = dice_mask_sums(x, t, P);
        double num1 = (double)d.num + 1.0, den1 = (double)d.den + 1.0;
        /* loss_m = 1 - num1/den1;  num1 = 2*sum(s*t) + 1;  den1 = sum(s) + sum(t) + 1 */
        double dnum = -g / den1, dden = g * num1 / (den1 * den1);
        for (int64_t p = 0; p < P; p++) {
            float s = sigmoid_f32(x[p]);
            double ds = 2.0 * dnum * t[p] + dden;
            dlogits[m * P + p] += (float)(ds * (1.0 - s) * s);
        }
    }
    return VCT_STATUS_OK;
}
