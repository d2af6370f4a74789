/* ag_frozen_bn.h: detectron2's FrozenBatchNorm2d (ops/norm.h frozen_bn_*) on the
 * tape (see tape.h).
 *
 *   y[n, c, :] = x[n, c, :] * scale[c] + shift[c],
 *   scale = weight * rsqrt(running_var + eps), shift = bias - running_mean * scale
 *
 * the form detectron2 uses when its input requires a gradient (x * scale + bias,
 * two float32 roundings; F.batch_norm(training=False) computes the same affine
 * map). weight, bias, running_mean and running_var are BUFFERS in detectron2 (not
 * parameters): they are plain float arrays here, never tape leaves, and get no
 * gradient. Backward: dx += dy * scale. */
#ifndef VCT_AUTOGRAD_AG_FROZEN_BN_H
#define VCT_AUTOGRAD_AG_FROZEN_BN_H

#include "autograd/tape.h"

/* x [N, C, *] (trailing dims flattened); weight, bias, running_mean, running_var [C]
 * must outlive the tape. eps: 1e-5 (detectron2's default). Same shape out. */
ag_var *ag_frozen_bn(ag_tape *t, ag_var *x, const float *weight, const float *bias, const float *running_mean,
                     const float *running_var, float eps);

#endif
