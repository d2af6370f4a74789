/* adamw.h: one AdamW update of one tensor, as torch 1.13's _single_tensor_adamw
 * computes it on the CPU in float32 (torch/optim/adamw.py:235-318; the path of
 * AdamW(foreach=None) in 1.13, training.md §1.3).
 *
 * With t the step count after its increment, Python doubles rounded to float
 * where they meet a tensor (marked f()):
 *   p = p * f(1 - lr*wd)                      decoupled decay, BEFORE the moments
 *   m = fma(g, f(1 - beta1), m * f(beta1))    exp_avg.mul_(beta1).add_(g, alpha=1-beta1)
 *   v = fma(f(1 - beta2) * g, g, v * f(beta2)) exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1-beta2)
 *   [amsgrad: vmax = max(vmax, v), used for v below]
 *   denom = sqrt(v) / f(sqrt(1 - beta2^t)) + f(eps)     eps AFTER the bias correction
 *   p = p + (f(-lr / (1 - beta1^t)) * m) / denom        param.addcdiv_(m, denom, value=-step_size)
 * The fused multiply-adds are those of torch's AVX2 kernels (the add with alpha is
 * vec::fmadd; GCC contracts addcmul's self + s*t1*t2): checked bit for bit against
 * torch.optim.AdamW in tests/train/test_adamw.c. On the official config clipping
 * scales gradients to ~1e-6, where eps = 1e-8 is not negligible, so this order
 * matters (training.md §1.3). */
#ifndef VCT_TRAIN_ADAMW_H
#define VCT_TRAIN_ADAMW_H

#include <stdint.h>

typedef struct adamw_hparams {
    double lr, weight_decay;
    double beta1, beta2, eps;
    int amsgrad;
} adamw_hparams;

/* Update p[0..n) in place; m, v (and vmax if amsgrad) are this tensor's state,
 * zero before the first step. t >= 1. */
void adamw_update(float *p, const float *g, float *m, float *v, float *vmax, int64_t n, const adamw_hparams *h,
                  int64_t t);

#endif
