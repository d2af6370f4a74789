/* loss.h: the training losses, forward (a scalar) and backward w.r.t. the
 * logits, float32. torch 1.13 CPU semantics, Mask2Former's criterion
 * functions (model.md §5.3).
 *
 *  - cross-entropy (F.cross_entropy(logits [N,K], target [N], weight [K],
 *    ignore_index), reduction 'mean'): loss = sum_i w[y_i]*nll_i / sum_i w[y_i]
 *    over rows with y_i != ignore_index (weight NULL = all ones). All rows
 *    ignored: 0/0 = NaN like torch (and zero gradient). loss_ce in VCT uses
 *    weights 1 (classes) and 0.1 (no-object).
 *  - BCE with logits (F.binary_cross_entropy_with_logits, mean), torch's
 *    stable form per element: (1-t)*x + m + log(exp(-m) + exp(-x-m)), m = max(-x,0).
 *    Gradient (sigmoid(x) - t) * dloss / n. Targets may be fractional.
 *  - Mask2Former sigmoid_ce_loss(inputs [M,P], targets [M,P], num_masks):
 *    sum over masks of the mean over points of BCE-with-logits, / num_masks.
 *  - Mask2Former dice_loss(inputs [M,P], targets [M,P], num_masks):
 *    s = sigmoid(x); per mask 1 - (2*sum(s*t) + 1) / (sum(s) + sum(t) + 1),
 *    summed over masks, / num_masks. Empty targets are fine (the +1 smoothing).
 * num_masks is the Python float of the reference; the division is done in
 * float as torch does (num_masks must be > 0; the criterion clamps it >= 1).
 *
 * Sums are accumulated in double (torch uses float cascade sums: agreement to
 * ~1e-7 relative). Backwards ACCUMULATE into dlogits (NULL: no-op) and take
 * dloss, the gradient of the scalar loss (1 for a plain backward). Threads:
 * rows / masks.
 */
#ifndef VCT_OPS_LOSS_H
#define VCT_OPS_LOSS_H

#include <stdint.h>

#include "core/error.h"

#define CE_IGNORE_INDEX_DEFAULT (-100) /* torch's default ignore_index */

/* one element of BCE with logits, torch's float formula */
float bce_logits_f32(float x, float t);

/* loss: [1]; logp: [N, K] log-softmax (saved for backward); logits: [N, K];
 * target: [N] int64 in [0, K) or ignore_index; weight: [K] or NULL */
vct_status ce_loss_forward(float *loss, float *logp, const float *logits, const int64_t *target,
                           const float *weight, int64_t N, int64_t K, int64_t ignore_index,
                           vct_error *err);
/* dlogits: [N, K] (+=); logp from the forward */
vct_status ce_loss_backward(float *dlogits, float dloss, const float *logp, const int64_t *target,
                            const float *weight, int64_t N, int64_t K, int64_t ignore_index,
                            vct_error *err);

/* loss: [1]; logits, target: [n]; mean over n (n == 0: NaN like torch) */
vct_status bce_logits_forward(float *loss, const float *logits, const float *target, int64_t n,
                              vct_error *err);
/* dlogits: [n] (+=) */
vct_status bce_logits_backward(float *dlogits, float dloss, const float *logits,
                               const float *target, int64_t n, vct_error *err);

/* loss: [1]; logits, target: [M, P] */
vct_status sigmoid_ce_loss_forward(float *loss, const float *logits, const float *target, int64_t M,
                                   int64_t P, double num_masks, vct_error *err);
/* dlogits: [M, P] (+=) */
vct_status sigmoid_ce_loss_backward(float *dlogits, float dloss, const float *logits,
                                    const float *target, int64_t M, int64_t P, double num_masks,
                                    vct_error *err);

/* loss: [1]; logits, target: [M, P] */
vct_status dice_loss_forward(float *loss, const float *logits, const float *target, int64_t M,
                             int64_t P, double num_masks, vct_error *err);
/* dlogits: [M, P] (+=) */
vct_status dice_loss_backward(float *dlogits, float dloss, const float *logits, const float *target,
                              int64_t M, int64_t P, double num_masks, vct_error *err);

#endif
