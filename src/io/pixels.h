/* pixels.h: pixel normalisation of frames and Maskige images (model.md §1.1, §4 item 14).
 *
 * VCT.forward computes `(x - pixel_mean) / pixel_std` on the uint8 CHW tensor made by the
 * detectron2 mapper: uint8 promoted to fp32 exactly, an fp32 subtraction, then an fp32
 * division (not a multiplication by 1/std), per RGB channel. pixels_normalize() does the
 * same operations in the same order, so its output equals torch's bit for bit. */
#ifndef VCT_IO_PIXELS_H
#define VCT_IO_PIXELS_H

#include <stdint.h>

/* cfg MODEL.PIXEL_MEAN / PIXEL_STD, RGB order, as fp32 (torch.Tensor(list)) */
extern const float pixels_mean_rgb[3]; /* 123.675, 116.28, 103.53 */
extern const float pixels_std_rgb[3];  /* 58.395, 57.12, 57.375 */

/* out [3, H, W] (NCHW plane order for one image) = (in[H, W, 3] - mean[c]) / std[c].
 * mean/std NULL means pixels_mean_rgb / pixels_std_rgb. Parallel over rows (OpenMP). */
void pixels_normalize(float *out, const uint8_t *in, int64_t H, int64_t W, const float *mean,
                      const float *std);

#endif
