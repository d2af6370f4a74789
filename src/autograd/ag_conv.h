/* ag_conv.h: ops/conv2d.h on the tape (see tape.h): torch.nn.functional.conv2d
 * in NCHW with the same stride, zero padding and dilation on both axes, and
 * groups. The im2col columns come from the tape's scratch arena (or, without
 * one, from the top of its activation arena, rewound at once); nothing is saved
 * for backward but the input. Backward accumulates into x, w and b. */
#ifndef VCT_AUTOGRAD_AG_CONV_H
#define VCT_AUTOGRAD_AG_CONV_H

#include "autograd/tape.h"

/* x [B, C, H, W], w [OC, C/groups, KH, KW], b [OC] or NULL -> [B, OC, OH, OW],
 * OH = (H + 2 pad - dil (KH-1) - 1) / stride + 1 (likewise OW). */
ag_var *ag_conv2d(ag_tape *t, ag_var *x, ag_var *w, ag_var *b, int64_t stride, int64_t pad, int64_t dil,
                  int64_t groups);

#endif
