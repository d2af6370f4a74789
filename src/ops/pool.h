/* pool.h: 2-D max and average pooling on NCHW float32, forward and backward.
 *
 * torch 1.13 nn.MaxPool2d / nn.AvgPool2d semantics with dilation 1 and
 * ceil_mode False: OH = (H + 2*ph - kh) / sh + 1 (floor), likewise OW.
 * Padding must be at most half the kernel (torch's rule). VGGish uses
 * MaxPool2d(2, 2).
 *
 *  - max: padding counts as -inf. Ties: the FIRST maximal element in window
 *    order (row-major over the window) wins, as torch's CPU kernel; a NaN
 *    wins over any number (a later NaN replaces an earlier one). argmax holds
 *    the flat index h*W + w inside the input plane (torch's return_indices).
 *    Backward: dinp[plane][argmax] += dout.
 *  - avg: sum of the window's real elements / divisor, where the divisor counts
 *    the padded window clipped to [-ph, H+ph) (count_include_pad=True, torch's
 *    default) or only real elements when exclude_pad is set. Backward spreads
 *    dout/divisor over the real elements.
 *
 * Backward ACCUMULATES into dinp (NULL: no-op). Threads: N*C planes, so no
 * two threads touch the same dinp element.
 */
#ifndef VCT_OPS_POOL_H
#define VCT_OPS_POOL_H

#include <stdint.h>

#include "core/error.h"

typedef struct pool2d_params {
    int64_t kh, kw;  /* kernel */
    int64_t sh, sw;  /* stride (torch's default: the kernel) */
    int64_t ph, pw;  /* padding, <= kernel / 2 */
    int exclude_pad; /* avg only: 0 = count_include_pad=True (torch default) */
} pool2d_params;

/* floor-mode output size; <= 0 if the input is too small */
int64_t pool2d_out_dim(int64_t in, int64_t k, int64_t s, int64_t pad);

/* out: [N, C, OH, OW]; argmax: [N, C, OH, OW] int64 (saved for backward);
 * inp: [N, C, H, W] */
vct_status maxpool2d_forward(float *out, int64_t *argmax, const float *inp, int64_t N, int64_t C,
                             int64_t H, int64_t W, pool2d_params p, vct_error *err);
/* dinp: [N, C, H, W] (+=); dout, argmax: [N, C, OH, OW] */
vct_status maxpool2d_backward(float *dinp, const float *dout, const int64_t *argmax, int64_t N,
                              int64_t C, int64_t H, int64_t W, pool2d_params p, vct_error *err);

/* out: [N, C, OH, OW]; inp: [N, C, H, W] */
vct_status avgpool2d_forward(float *out, const float *inp, int64_t N, int64_t C, int64_t H,
                             int64_t W, pool2d_params p, vct_error *err);
/* dinp: [N, C, H, W] (+=); dout: [N, C, OH, OW] */
vct_status avgpool2d_backward(float *dinp, const float *dout, int64_t N, int64_t C, int64_t H,
                              int64_t W, pool2d_params p, vct_error *err);

#endif
