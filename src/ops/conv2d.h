/* conv2d.h: torch.nn.functional.conv2d (NCHW), any kernel size, stride, zero padding,
 * dilation and groups, optional bias.
 *
 *   out[b, o, oh, ow] = bias[o] + sum_{c in group(o), kh, kw}
 *        weight[o, c - g*Cg, kh, kw] * inp[b, c, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw]
 *   (taps outside the input are zero), OH = (H + 2ph - dh*(KH-1) - 1) / sh + 1.
 *
 * Implementation: per image, group and tile of output rows, im2col into a
 * [Cg*KH*KW, rows*OW] scratch matrix and one GEMM (ops/gemm.h, current backend,
 * library-threaded); the tile is as many rows as fit conv2d_set_col_limit() (16 MiB by
 * default). A 1x1 conv with stride 1 and no padding uses the input directly (no scratch).
 * The naive direct loops below are the reference the tests compare with.
 *
 * Forward writes out and saves nothing (backward recomputes the columns). Backward
 * ACCUMULATES (+=) into dinp, dweight, dbias; each may be NULL. dweight sums over images
 * in order, dbias in double per channel, col2im is split by input channel: deterministic,
 * no atomics. */
#ifndef VCT_OPS_CONV2D_H
#define VCT_OPS_CONV2D_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"

typedef struct conv2d_dims {
    int64_t B, C, H, W;         /* input [B, C, H, W] */
    int64_t OC, KH, KW;         /* weight [OC, C/groups, KH, KW], bias [OC] */
    int64_t stride_h, stride_w; /* >= 1 */
    int64_t pad_h, pad_w;       /* zeros added on both sides, >= 0 */
    int64_t dil_h, dil_w;       /* >= 1 */
    int64_t groups;             /* divides C and OC */
} conv2d_dims;

/* Checks d (VCT_STATUS_INVALID_ARGUMENT / VCT_STATUS_SHAPE with a message) and gives the
 * output size: out is [B, OC, OH, OW]. */
vct_status conv2d_out_size(const conv2d_dims *d, int64_t *OH, int64_t *OW, vct_error *err);

/* Scratch bytes conv2d_forward / conv2d_backward take from the arena (rewound before
 * they return): one column tile of [Cg*KH*KW, rows*OW] floats, with as many output rows
 * as fit the column limit (at least one); 0 for the direct 1x1 case. d must be valid. */
size_t conv2d_scratch_bytes(const conv2d_dims *d);

/* The column limit in bytes (default 16 MiB; 0 restores it). Process-global: set it at
 * start-up, not while convolutions run. Smaller tiles cost GEMM efficiency, larger ones
 * memory (a 3x3 256-channel conv at 96x96 needs 85 MB untiled). */
#define CONV2D_COL_LIMIT_DEFAULT ((size_t)16 << 20)
void conv2d_set_col_limit(size_t bytes);

/* out    [B, OC, OH, OW]   written
 * inp    [B, C, H, W]
 * weight [OC, C/groups, KH, KW]
 * bias   [OC] or NULL
 * scratch: arena with conv2d_scratch_bytes(d) free (may be NULL when that is 0) */
vct_status conv2d_forward(float *out, const float *inp, const float *weight, const float *bias,
                          const conv2d_dims *d, arena *scratch, vct_error *err);

/* dinp    [B, C, H, W]            += (or NULL)
 * dweight [OC, C/groups, KH, KW]  += (or NULL)
 * dbias   [OC]                    += (or NULL)
 * dout    [B, OC, OH, OW]; inp needed iff dweight, weight needed iff dinp. */
vct_status conv2d_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, const conv2d_dims *d,
                           arena *scratch, vct_error *err);

/* Reference kernels: the formula above as direct loops with double sums (forward
 * writes out; backward accumulates like conv2d_backward). d must be valid. */
void conv2d_forward_naive(float *out, const float *inp, const float *weight, const float *bias,
                          const conv2d_dims *d);
void conv2d_backward_naive(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, const conv2d_dims *d);

#endif
