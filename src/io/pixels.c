/* pixels.c: see pixels.h. */
#include "io/pixels.h"

const float pixels_mean_rgb[3] = {123.675f, 116.28f, 103.53f};
const float pixels_std_rgb[3] = {58.395f, 57.12f, 57.375f};

void pixels_normalize(float *out, const uint8_t *in, int64_t H, int64_t W, const float *mean,
                      const float *std) {
    if (!mean) mean = pixels_mean_rgb;
    if (!std) std = pixels_std_rgb;
    int64_t HW = H * W;
#pragma omp parallel for schedule(static) if (HW > 65536)
    for (int64_t y = 0; y < H; y++) {
        for (int c = 0; c < 3; c++) {
            const float m = mean[c], s = std[c];
            float *o = out + (int64_t)c * HW + y * W;
            const uint8_t *p = in + y * W * 3 + c;
            for (int64_t x = 0; x < W; x++) o[x] = ((float)p[3 * x] - m) / s;
        }
    }
}
