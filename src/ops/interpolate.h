/* interpolate.h: bilinear resize of NCHW maps, as torch 1.13's CPU kernel computes
 * F.interpolate(x, size=(Ho, Wo), mode="bilinear", align_corners=ac) (no antialias,
 * output size given, no scale_factor).
 *
 * Per axis (in -> out), model.md §4 item 9:
 *   ratio = ac ? fp32(in-1)/fp32(out-1) (0 if out == 1) : fp32(in)/fp32(out)   (fp32 division)
 *   src   = ac ? ratio*d : max(0, ratio*(d+0.5) - 0.5)                         (in double)
 *   i0 = floor(src), i1 = min(i0+1, in-1), l1 = fp32(src - i0), l0 = 1 - l1;
 *   in == out copies (l0 = 1, l1 = 0).
 * Combination: torch 1.13 has two CPU kernels and picks by memory format.
 *  - generic (C > 1): H outer, W inner, each lerp one fused multiply-add as torch's AVX2
 *    build contracts it:  t_r = fmaf(x[r,i0], l0w, x[r,i1]*l1w) for rows r = h0, h1;
 *                         y   = fmaf(t_h0, l0h, t_h1*l1h).
 *  - channels-last (C == 1, or a 1x1 input map: such an NCHW tensor is also channels-last
 *    contiguous): fp32 corner weights w_ab = l_a^h * l_b^w, then
 *    y = fp32(((w00*x00 + w01*x01) + w10*x10) + w11*x11) summed in double.
 * This reproduces torch 1.13.1 (Debian build, CPU capability AVX2) bit for bit for every
 * size the tests cover, both align_corners settings (exception: a 1x1 input with C >= 8,
 * where torch's vectorised channel loop may differ by 1 ulp). Edge replication at the
 * borders (no zero padding).
 *
 * Backward ACCUMULATES into din (+=): din[h_a, w_b] += (l_a^h * l_b^w) * dout for the
 * four taps, in torch's order. Thread-parallel over the NC planes (deterministic).
 *
 * scratch: an arena for the per-axis tables (2*(Ho+Wo) entries); may be NULL, then the
 * function allocates and frees them itself. */
#ifndef VCT_OPS_INTERPOLATE_H
#define VCT_OPS_INTERPOLATE_H

#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"

/* Per-axis source indices and weights: i0,i1 [out] int64, l0,l1 [out] float.
 * in >= 1, out >= 1. */
void interp_axis_weights(int64_t *i0, int64_t *i1, float *l0, float *l1, int64_t in, int64_t out,
                         int align_corners);

/* out [N, C, Ho, Wo]; in [N, C, H, W]. (N and C are separate because torch's rounding
 * depends on C, see above.) */
vct_status interpolate_bilinear_forward(float *out, const float *in, int64_t N, int64_t C, int64_t H,
                                        int64_t W, int64_t Ho, int64_t Wo, int align_corners,
                                        arena *scratch, vct_error *err);

/* din [N, C, H, W] (+=); dout [N, C, Ho, Wo]. */
vct_status interpolate_bilinear_backward(float *din, const float *dout, int64_t N, int64_t C,
                                         int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                                         int align_corners, arena *scratch, vct_error *err);

/* Naive reference (no tables, no threads; same arithmetic), for the tests. */
void interpolate_bilinear_forward_naive(float *out, const float *in, int64_t N, int64_t C, int64_t H,
                                        int64_t W, int64_t Ho, int64_t Wo, int align_corners);

#endif
