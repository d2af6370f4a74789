/* grid_sample.h: F.grid_sample(input, grid, mode="bilinear", padding_mode="zeros",
 * align_corners=False) as torch 1.13's CPU kernel computes it, and detectron2's
 * point_sample (used by the Mask2Former point losses).
 *
 *   input [N, C, H, W], grid [N, Ho, Wo, 2] with (x, y) in [-1, 1] (x indexes W);
 *   u = (gx + 1) * (W/2) - 0.5,  v = (gy + 1) * (H/2) - 0.5   (pixel coordinates; one fused
 *       multiply-add, as torch's AVX2 build contracts it);
 *   x0 = floor(u), y0 = floor(v), w = u - x0, e = 1 - w, n = v - y0, s = 1 - n;
 *   out = nw*I[y0,x0] + ne*I[y0,x0+1] + sw*I[y0+1,x0] + se*I[y0+1,x0+1]
 *       (nw = s*e, ne = s*w, sw = n*e, se = n*w; a tap outside the map reads 0; the sum is
 *        the fused chain fma(se_v,se, fma(sw_v,sw, fma(ne_v,ne, nw_v*nw))) like torch's).
 * The forward is bit-exact against torch 1.13.1 (Debian, AVX2) on the tests' cases.
 * Only bilinear / zeros / align_corners=False is implemented (the only setting VCT uses).
 * A coordinate that is NaN or has no tap inside the map samples 0 and gets gradient 0
 * (torch propagates NaN instead).
 *
 * point_sample(input [N,C,H,W], points [N,P,2] in [0,1]) = grid_sample with grid
 * fp32(fp32(2*p) - 1) of shape [N,P,1,2], squeezed to [N,C,P].
 *
 * Backward ACCUMULATES (+=) into din / dgrid / dpoints; any of them may be NULL. The input
 * gradient is split by (n, c) plane and the grid gradient by (n, point): deterministic, no
 * atomics.
 *
 * The bilinear tap helpers below are shared with ms_deform_attn.c. */
#ifndef VCT_OPS_GRID_SAMPLE_H
#define VCT_OPS_GRID_SAMPLE_H

#include <math.h>
#include <stdint.h>

#include "core/error.h"

/* out [N, C, Ho, Wo]; in [N, C, H, W]; grid [N, Ho, Wo, 2]. */
vct_status grid_sample_forward(float *out, const float *in, const float *grid, int64_t N, int64_t C,
                               int64_t H, int64_t W, int64_t Ho, int64_t Wo, vct_error *err);
/* din [N, C, H, W] (+=, may be NULL); dgrid [N, Ho, Wo, 2] (+=, may be NULL). */
vct_status grid_sample_backward(float *din, float *dgrid, const float *dout, const float *in,
                                const float *grid, int64_t N, int64_t C, int64_t H, int64_t W,
                                int64_t Ho, int64_t Wo, vct_error *err);

/* out [N, C, P]; in [N, C, H, W]; points [N, P, 2] (x, y) in [0, 1]. */
vct_status point_sample_forward(float *out, const float *in, const float *points, int64_t N,
                                int64_t C, int64_t H, int64_t W, int64_t P, vct_error *err);
/* din [N, C, H, W] (+=, may be NULL); dpoints [N, P, 2] (+=, may be NULL). */
vct_status point_sample_backward(float *din, float *dpoints, const float *dout, const float *in,
                                 const float *points, int64_t N, int64_t C, int64_t H, int64_t W,
                                 int64_t P, vct_error *err);

/* ---- bilinear taps (zeros padding, align_corners=False) ---- */

typedef struct bilinear_tap {
    int64_t x0, y0;     /* top-left corner (may be -1 or the last row/column) */
    float w, e, n, s;   /* distances: u - x0, 1 - w, v - y0, 1 - n */
    int valid;          /* 0: no corner inside the map (sample 0, gradient 0) */
} bilinear_tap;

/* grid coordinates (gx, gy) in [-1, 1] -> tap on an H x W map */
static inline bilinear_tap bilinear_tap_make(float gx, float gy, int64_t H, int64_t W) {
    bilinear_tap t;
    float u = fmaf(gx + 1.0f, (float)W / 2.0f, -0.5f);
    float v = fmaf(gy + 1.0f, (float)H / 2.0f, -0.5f);
    t.valid = u >= -1.0f && u < (float)W && v >= -1.0f && v < (float)H; /* false for NaN */
    if (!t.valid) {
        t.x0 = t.y0 = 0;
        t.w = t.e = t.n = t.s = 0.0f;
        return t;
    }
    float fx = floorf(u), fy = floorf(v);
    t.x0 = (int64_t)fx;
    t.y0 = (int64_t)fy;
    t.w = u - fx;
    t.e = 1.0f - t.w;
    t.n = v - fy;
    t.s = 1.0f - t.n;
    return t;
}

/* corner values of one plane (0 outside) in the order nw, ne, sw, se */
static inline void bilinear_tap_values(const float *plane, int64_t rs, int64_t cs, bilinear_tap t,
                                       int64_t H, int64_t W, float v[4]) {
    int64_t x1 = t.x0 + 1, y1 = t.y0 + 1;
    int inx0 = t.x0 >= 0, inx1 = x1 < W, iny0 = t.y0 >= 0, iny1 = y1 < H;
    v[0] = iny0 && inx0 ? plane[t.y0 * rs + t.x0 * cs] : 0.0f;
    v[1] = iny0 && inx1 ? plane[t.y0 * rs + x1 * cs] : 0.0f;
    v[2] = iny1 && inx0 ? plane[y1 * rs + t.x0 * cs] : 0.0f;
    v[3] = iny1 && inx1 ? plane[y1 * rs + x1 * cs] : 0.0f;
}

/* sample one plane; rs / cs are the row and column strides in elements */
static inline float bilinear_tap_sample(const float *plane, int64_t rs, int64_t cs, bilinear_tap t,
                                        int64_t H, int64_t W) {
    if (!t.valid) return 0.0f;
    float v[4];
    bilinear_tap_values(plane, rs, cs, t, H, W, v);
    float acc = v[0] * (t.s * t.e);
    acc = fmaf(v[1], t.s * t.w, acc);
    acc = fmaf(v[2], t.n * t.e, acc);
    return fmaf(v[3], t.n * t.w, acc);
}

/* dplane[corner] += weight * g for the corners inside the map */
static inline void bilinear_tap_scatter(float *dplane, int64_t rs, int64_t cs, bilinear_tap t,
                                        int64_t H, int64_t W, float g) {
    if (!t.valid) return;
    int64_t x1 = t.x0 + 1, y1 = t.y0 + 1;
    int inx0 = t.x0 >= 0, inx1 = x1 < W, iny0 = t.y0 >= 0, iny1 = y1 < H;
    if (iny0 && inx0) dplane[t.y0 * rs + t.x0 * cs] += t.s * t.e * g;
    if (iny0 && inx1) dplane[t.y0 * rs + x1 * cs] += t.s * t.w * g;
    if (iny1 && inx0) dplane[y1 * rs + t.x0 * cs] += t.n * t.e * g;
    if (iny1 && inx1) dplane[y1 * rs + x1 * cs] += t.n * t.w * g;
}

/* d(sample)/du and d(sample)/dv (pixel units) of one plane, times g, added to *gu, *gv */
static inline void bilinear_tap_grad_uv(const float *plane, int64_t rs, int64_t cs, bilinear_tap t,
                                        int64_t H, int64_t W, float g, float *gu, float *gv) {
    if (!t.valid) return;
    float v[4];
    bilinear_tap_values(plane, rs, cs, t, H, W, v);
    *gu += ((v[1] - v[0]) * t.s + (v[3] - v[2]) * t.n) * g;
    *gv += ((v[2] - v[0]) * t.e + (v[3] - v[1]) * t.w) * g;
}

#endif
