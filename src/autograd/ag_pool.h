/* ag_pool.h: 2-D max pooling of ops/pool.h on the tape (see tape.h): torch's
 * F.max_pool2d(x, kernel, stride, padding) on NCHW with dilation 1 and
 * ceil_mode False (padding counts as -inf; ties: the first maximum in window
 * order). The argmax is saved (training mode) and the backward scatters dy to it,
 * accumulating into dx. */
#ifndef VCT_AUTOGRAD_AG_POOL_H
#define VCT_AUTOGRAD_AG_POOL_H

#include "autograd/tape.h"

/* x [N, C, H, W] -> [N, C, OH, OW], OH = (H + 2 pad - k) / stride + 1 (likewise OW);
 * square kernel, same stride and padding on both axes; pad <= k / 2. */
ag_var *ag_maxpool2d(ag_tape *t, ag_var *x, int64_t k, int64_t stride, int64_t pad);

#endif
