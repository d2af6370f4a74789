/* position_encoding.c: see position_encoding.h. */
#include "model/position_encoding.h"

#include <math.h>

#define PE_TWO_PI 6.283185307179586

/* the normalised cumulative position of index i (0-based) along an axis of n */
static float pe_embed(int64_t i, int64_t n) {
    float denom = (float)n + 1e-6f; /* fp32 add, as torch's tensor + python scalar */
    float e = (float)(i + 1) / denom;
    return e * (float)PE_TWO_PI;
}

vct_status position_embedding_sine(float *pos, int64_t H, int64_t W, int64_t F, float temperature,
                                   vct_error *err) {
    if (F < 2 || F % 2 != 0 || H < 1 || W < 1)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "position_embedding_sine: num_pos_feats %lld (must be even), map %lldx%lld",
                        (long long)F, (long long)H, (long long)W);
    int64_t HW = H * W;
    for (int64_t i = 0; i < F; i++) {
        /* 2*floor(i/2)/F is exact in fp32 for any F we use (small integers / F) */
        float expo = (float)(2 * (i / 2)) / (float)F;
        float dim_t = (float)pow((double)temperature, (double)expo);
        int use_sin = (i % 2) == 0;
        float *py = pos + i * HW, *px = pos + (F + i) * HW;
        for (int64_t r = 0; r < H; r++) {
            float a = pe_embed(r, H) / dim_t;
            float v = use_sin ? (float)sin((double)a) : (float)cos((double)a);
            for (int64_t c = 0; c < W; c++) py[r * W + c] = v;
        }
        for (int64_t c = 0; c < W; c++) {
            float a = pe_embed(c, W) / dim_t;
            float v = use_sin ? (float)sin((double)a) : (float)cos((double)a);
            for (int64_t r = 0; r < H; r++) px[r * W + c] = v;
        }
    }
    return VCT_STATUS_OK;
}
