/* vggish.c: see vggish.h. Runs frozen, so it calls the kernels directly and
 * reuses two ping-pong buffers from the arena. */
#include "audio/vggish.h"

#include <stdio.h>
#include <string.h>

#include "ops/activation.h"
#include "ops/conv2d.h"
#include "ops/pool.h"

/* the six convs: state-dict index, in and out channels; pool after these */
static const struct {
    int index, in, out, pool_after;
} layers[VGGISH_CONVS] = {
    {0, 1, 64, 1}, {3, 64, 128, 1}, {6, 128, 256, 0}, {8, 256, 256, 1}, {11, 256, 512, 0}, {13, 512, 512, 1},
};

void vggish_register(param_table *pt, const char *prefix, vggish_weights *w) {
    for (int i = 0; i < VGGISH_CONVS; i++) {
        char name[64];
        int64_t ws[4] = {layers[i].out, layers[i].in, 3, 3}, bs[1] = {layers[i].out};
        snprintf(name, sizeof name, "features.%d.weight", layers[i].index);
        param_add(pt, prefix, name, 4, ws, 0, PARAM_KIND_WEIGHT, &w->conv_weight[i]);
        snprintf(name, sizeof name, "features.%d.bias", layers[i].index);
        param_add(pt, prefix, name, 1, bs, 0, PARAM_KIND_WEIGHT, &w->conv_bias[i]);
    }
}

/* the largest activation is the first conv's [A,64,96,64] */
static size_t buf_floats(int64_t A) { return (size_t)A * 64 * 96 * 64; }

size_t vggish_arena_bytes(int64_t A) {
    size_t conv_scratch = 0;
    int64_t H = 96, W = 64;
    for (int i = 0; i < VGGISH_CONVS; i++) {
        conv2d_dims d = {A, layers[i].in, H, W, layers[i].out, 3, 3, 1, 1, 1, 1, 1, 1, 1};
        size_t s = conv2d_scratch_bytes(&d);
        if (s > conv_scratch) conv_scratch = s;
        if (layers[i].pool_after) H /= 2, W /= 2;
    }
    /* two activation buffers, the pool indices, the conv scratch, alignment slack */
    return 2 * buf_floats(A) * sizeof(float) + (size_t)A * 64 * 48 * 32 * sizeof(int64_t) + conv_scratch + 4096;
}

vct_status vggish_forward(const vggish_weights *w, const float *logmel, int64_t A, float *out, arena *scratch,
                          vct_error *err) {
    if (A <= 0) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "vggish: %lld examples", (long long)A);
    size_t mark = arena_mark(scratch);
    float *buf[2] = {arena_alloc(scratch, buf_floats(A) * sizeof(float)), arena_alloc(scratch, buf_floats(A) * sizeof(float))};
    int64_t *argmax = arena_alloc(scratch, (size_t)A * 64 * 48 * 32 * sizeof(int64_t));
    if (!buf[0] || !buf[1] || !argmax) {
        arena_rewind(scratch, mark);
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "vggish: scratch arena too small for %lld examples", (long long)A);
    }
    const float *x = logmel;
    int64_t H = 96, W = 64, cur = 0;
    vct_status st = VCT_STATUS_OK;
    for (int i = 0; i < VGGISH_CONVS && st == VCT_STATUS_OK; i++) {
        conv2d_dims d = {A, layers[i].in, H, W, layers[i].out, 3, 3, 1, 1, 1, 1, 1, 1, 1};
        float *y = buf[cur];
        st = conv2d_forward(y, x, w->conv_weight[i].data, w->conv_bias[i].data, &d, scratch, err);
        if (st != VCT_STATUS_OK) break;
        int64_t n = A * layers[i].out * H * W;
        relu_forward(y, y, n);
        x = y;
        cur ^= 1;
        if (layers[i].pool_after) {
            pool2d_params p = {2, 2, 2, 2, 0, 0, 0};
            float *z = (i == VGGISH_CONVS - 1) ? out : buf[cur];
            st = maxpool2d_forward(z, argmax, x, A, layers[i].out, H, W, p, err);
            H /= 2;
            W /= 2;
            x = z;
            cur ^= 1;
        }
    }
    arena_rewind(scratch, mark);
    if (st != VCT_STATUS_OK) return vct_error_wrap(err, "vggish");
    return VCT_STATUS_OK;
}
