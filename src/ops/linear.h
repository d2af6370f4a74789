/* linear.h: torch.nn.Linear, y = x W^T + b, with W stored [OC, C] (torch layout).
 *
 * Leading dimensions of x are flattened into N rows by the caller ([B, T, C] is
 * N = B*T rows). Forward needs no saved buffers beyond its input; backward
 * ACCUMULATES (+=) into every gradient buffer that is non-NULL (NULL: not needed).
 * Both go through the GEMM wrapper (ops/gemm.h) and its current backend; the bias
 * gradient is a column sum split by output feature (double accumulation per
 * feature, deterministic). */
#ifndef VCT_OPS_LINEAR_H
#define VCT_OPS_LINEAR_H

#include <stdint.h>

#include "core/error.h"

/* out    [N, OC]   written
 * inp    [N, C]
 * weight [OC, C]
 * bias   [OC] or NULL */
vct_status linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                          int64_t N, int64_t C, int64_t OC, vct_error *err);

/* dinp    [N, C]  += dout @ weight         (or NULL)
 * dweight [OC, C] += dout^T @ inp          (or NULL)
 * dbias   [OC]    += sum over rows of dout (or NULL)
 * dout    [N, OC]; inp [N, C] (needed iff dweight); weight [OC, C] (needed iff dinp) */
vct_status linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, int64_t N, int64_t C,
                           int64_t OC, vct_error *err);

#endif
