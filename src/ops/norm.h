/* norm.h: normalisation layers, forward and backward, float32, contiguous.
 *
 *  - layernorm: nn.LayerNorm over the last dim C of [N, C] (eps 1e-5 in the
 *    model, 1e-6 for PVT); weight/bias [C] optional (NULL = not affine).
 *  - groupnorm: nn.GroupNorm(G, C) on NCHW [N, C, HW] (HW = H*W), statistics
 *    per (n, group of C/G channels); weight/bias [C] optional.
 *  - frozen_bn: detectron2 FrozenBatchNorm2d on NCHW: y = x*scale + shift with
 *    scale = weight * rsqrt(running_var + eps), shift = bias - running_mean*scale
 *    (the same math as F.batch_norm(training=False)). Parameters are buffers,
 *    so the backward gives dinp only.
 *
 * Numerics follow torch 1.13's CPU kernels: biased variance, rstd =
 * 1/sqrt(max(var,0) + eps); moments are accumulated in double (torch uses a
 * float Welford/cascade sum, so results agree to a few ulp, not bit for bit).
 * LayerNorm output = (x*rstd + (-rstd*mean))*w + b; GroupNorm output =
 * x*(rstd*w) + (b - rstd*w*mean), each rounded as torch's kernels round.
 *
 * Backward functions ACCUMULATE (+=) into every gradient buffer; any gradient
 * pointer may be NULL ("not needed"). Argument order: outputs, saved buffers,
 * inputs, weights, dims. All functions validate their sizes and return a
 * status. Threads: rows (or (n, group)) for dinp, channels for dweight/dbias,
 * so there are no atomics and results are deterministic.
 */
#ifndef VCT_OPS_NORM_H
#define VCT_OPS_NORM_H

#include <stdint.h>

#include "core/error.h"

/* out:  [N, C]
 * mean: [N]   saved for backward
 * rstd: [N]   saved for backward (1/sqrt(var + eps))
 * inp:  [N, C]
 * weight, bias: [C] or NULL (each independently)
 * out may alias inp. */
vct_status layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                             const float *weight, const float *bias, int64_t N, int64_t C,
                             float eps, vct_error *err);
/* dinp: [N, C], dweight, dbias: [C] (each may be NULL; += semantics)
 * dout, inp: [N, C]; weight: [C] or NULL; mean, rstd: [N] from the forward. */
vct_status layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                              const float *inp, const float *weight, const float *mean,
                              const float *rstd, int64_t N, int64_t C, vct_error *err);

/* out:  [N, C, HW]
 * mean: [N, G]  saved for backward
 * rstd: [N, G]  saved for backward
 * inp:  [N, C, HW]; weight, bias: [C] or NULL; G must divide C. out may alias inp. */
vct_status groupnorm_forward(float *out, float *mean, float *rstd, const float *inp,
                             const float *weight, const float *bias, int64_t N, int64_t C,
                             int64_t HW, int64_t G, float eps, vct_error *err);
/* dinp: [N, C, HW]; dweight, dbias: [C] (each may be NULL; += semantics). */
vct_status groupnorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                              const float *inp, const float *weight, const float *mean,
                              const float *rstd, int64_t N, int64_t C, int64_t HW, int64_t G,
                              vct_error *err);

/* out: [N, C, HW]; inp: [N, C, HW]; weight, bias, running_mean, running_var: [C].
 * eps: detectron2's default 1e-5. out may alias inp. */
vct_status frozen_bn_forward(float *out, const float *inp, const float *weight, const float *bias,
                             const float *running_mean, const float *running_var, int64_t N,
                             int64_t C, int64_t HW, float eps, vct_error *err);
/* dinp: [N, C, HW] (+=); dout: [N, C, HW]. No parameter gradients (frozen). */
vct_status frozen_bn_backward(float *dinp, const float *dout, const float *weight,
                              const float *running_var, int64_t N, int64_t C, int64_t HW, float eps,
                              vct_error *err);

#endif
