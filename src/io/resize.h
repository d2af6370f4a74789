/* resize.h: PIL's Image.resize for 8-bit images, bit for bit (Pillow 9.4, Debian 12).
 *
 * resize_bilinear_pil = Image.resize((out_w, out_h), Image.BILINEAR) on an "RGB" or "L"
 * image (box = whole image). PIL's ImagingResample: a separable convolution with the
 * triangle filter, support 1 scaled by the downscale factor (so downscaling averages,
 * i.e. antialiases), horizontal pass first (skipped when the width is unchanged), its
 * result rounded to uint8, then the vertical pass (skipped when the height is unchanged).
 * Per output index i (one axis, in -> out, scale = in/out, fs = max(scale, 1)):
 *   centre = (i + 0.5)*scale, support = fs,
 *   taps j from trunc(centre - fs + 0.5) (>= 0) to trunc(centre + fs + 0.5) (<= in), excl.,
 *   w_j = max(0, 1 - |(j - centre + 0.5)/fs|), normalised to sum 1 (double),
 *   fixed point k_j = trunc(w_j*2^22 + 0.5) (weights are >= 0),
 *   out = clamp((2^21 + sum_j in_j*k_j) >> 22, 0, 255) in 32-bit integers.
 *
 * resize_nearest_pil = Image.resize(size, Image.NEAREST) (also what PIL does for "P" and
 * "1" images whatever filter is asked): source index = trunc(x0 + i*s) with
 * s = in/out in double and x0 = s/2, accumulated by repeated addition exactly as PIL's
 * ImagingScaleAffine does (the rounding of the running sum matters at some sizes); a
 * source index that lands outside the image gives 0, as in PIL.
 *
 * Both work for any channel count c (channels are independent) and allocate out
 * (overwritten, not freed first). Parallel over output rows (OpenMP). */
#ifndef VCT_IO_RESIZE_H
#define VCT_IO_RESIZE_H

#include "io/image.h"

vct_status resize_bilinear_pil(image_u8 *out, const image_u8 *in, int64_t out_h, int64_t out_w,
                               vct_error *err);
vct_status resize_nearest_pil(image_u8 *out, const image_u8 *in, int64_t out_h, int64_t out_w,
                              vct_error *err);
/* im replaced by its resize to out_h x out_w (nearest or bilinear as above); nothing
 * when it already has that size. On failure im is unchanged. */
vct_status resize_pil_in_place(image_u8 *im, int64_t out_h, int64_t out_w, int nearest, vct_error *err);

#endif
