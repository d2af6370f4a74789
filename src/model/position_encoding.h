/* position_encoding.h: PositionEmbeddingSine of the reference
 * (models/modeling/transformer_decoder/position_encoding.py, class
 * PositionEmbeddingSine) with normalize=True and scale 2*pi, for an H x W map
 * with no padding mask (VCT never pads at inference; model.md §4 item 6).
 *
 *   y_e[r] = fp32((r+1) / fp32(H + 1e-6)) * fp32(2 pi)   (all fp32 operations)
 *   x_e[c] = likewise with W
 *   dim_t[i] = T ^ (2 floor(i/2) / F), i = 0..F-1 (fp32)
 *   channel 2k   = sin(y_e / dim_t[2k]),  2k+1 = cos(y_e / dim_t[2k+1])   (k < F/2)
 *   channel F+2k = sin(x_e / dim_t[2k]),  F+2k+1 = cos(x_e / dim_t[2k+1])
 *
 * F = num_pos_feats (128 in VCT: 256 channels), T = temperature (10000).
 * Rounding: the divisions, the sum and the scale are fp32 as in torch; the power
 * and sin/cos are evaluated in double and rounded once (torch uses SLEEF's 1-ulp
 * vector functions, so a value may differ from torch by 1 ulp). The output is a
 * constant (no gradient). Not supported: a padding mask, normalize=False. */
#ifndef VCT_MODEL_POSITION_ENCODING_H
#define VCT_MODEL_POSITION_ENCODING_H

#include <stdint.h>

#include "core/error.h"

/* pos [2F, H, W] (channel-major, as the reference's [B, 2F, H, W] for one image).
 * F must be even and >= 2; H, W >= 1. */
vct_status position_embedding_sine(float *pos, int64_t H, int64_t W, int64_t F, float temperature,
                                   vct_error *err);

#endif
