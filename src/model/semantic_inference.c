/* semantic_inference.c: see semantic_inference.h. */
#include "model/semantic_inference.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/activation.h"
#include "ops/interpolate.h"
#include "ops/matmul.h"
#include "ops/softmax.h"

sem_seg_params sem_seg_params_official(int64_t H, int64_t W) {
    sem_seg_params p = {H, W, H, W, 224, 224};
    return p;
}

sem_seg_params sem_seg_params_own_size(int64_t H, int64_t W) {
    sem_seg_params p = {H, W, H, W, H, W};
    return p;
}

static void *take(arena *a, size_t bytes, void **owned) {
    if (a) return arena_alloc(a, bytes);
    return *owned = malloc(bytes);
}

vct_status semantic_inference(float *sem_seg, const float *pred_logits, const float *pred_masks, const float *flags,
                              int64_t B, int64_t Q, int64_t K, int64_t Hm, int64_t Wm, const sem_seg_params *p,
                              arena *scratch, vct_error *err) {
    if (B < 1 || Q < 1 || K < 1 || Hm < 1 || Wm < 1 || p->pad_h < 1 || p->pad_w < 1 || p->img_h < 1 ||
        p->img_w < 1 || p->img_h > p->pad_h || p->img_w > p->pad_w || p->out_h < 1 || p->out_w < 1)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "semantic_inference: B %lld, Q %lld, K %lld, masks %lldx%lld, padded %lldx%lld, image %lldx%lld, "
                        "output %lldx%lld",
                        (long long)B, (long long)Q, (long long)K, (long long)Hm, (long long)Wm, (long long)p->pad_h,
                        (long long)p->pad_w, (long long)p->img_h, (long long)p->img_w, (long long)p->out_h,
                        (long long)p->out_w);
    const int64_t HP = p->pad_h * p->pad_w, HI = p->img_h * p->img_w;
    size_t mark = scratch ? arena_mark(scratch) : 0;
    void *o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL;
    float *m = take(scratch, (size_t)(Q * HP) * sizeof(float), &o1);    /* one frame's upsampled masks */
    float *s = take(scratch, (size_t)(K * HP) * sizeof(float), &o2);    /* its class scores */
    float *pc = take(scratch, (size_t)(Q * (K + 1) + Q * K) * sizeof(float), &o3);
    float *crop = NULL;
    if (HI != HP) crop = take(scratch, (size_t)(K * HI) * sizeof(float), &o4);
    vct_status st = VCT_STATUS_OK;
    if (!m || !s || !pc || (HI != HP && !crop)) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "semantic_inference: no memory for %lld masks of %lldx%lld",
                      (long long)Q, (long long)p->pad_h, (long long)p->pad_w);
        goto fail;
    }
    for (int64_t b = 0; b < B && st == VCT_STATUS_OK; b++) {
        /* F.interpolate of the whole [B,Q,...] batch equals frame by frame (planes are independent) */
        st = interpolate_bilinear_forward(m, pred_masks + b * Q * Hm * Wm, 1, Q, Hm, Wm, p->pad_h, p->pad_w, 0, NULL,
                                          err);
        if (st != VCT_STATUS_OK) break;
        sigmoid_forward(m, m, Q * HP);
        float *prob = pc, *cls = pc + Q * (K + 1);
        st = softmax_forward(prob, pred_logits + b * Q * (K + 1), Q, K + 1, err);
        if (st != VCT_STATUS_OK) break;
        for (int64_t q = 0; q < Q; q++) memcpy(cls + q * K, prob + q * (K + 1), (size_t)K * sizeof(float));
        /* einsum("qc,qhw->chw"): s [K, HP] = cls^T [K, Q] @ m [Q, HP] */
        matmul_dims d = {1, K, Q, HP, 1, 0, 0, 0};
        st = matmul_forward(s, cls, m, d, err);
        if (st != VCT_STATUS_OK) break;
        if (flags)
            for (int64_t i = 0; i < K * HP; i++) s[i] *= flags[b];
        const float *src = s;
        if (HI != HP) { /* result[:, :img_h, :img_w] */
            for (int64_t c = 0; c < K; c++)
                for (int64_t y = 0; y < p->img_h; y++)
                    memcpy(crop + (c * p->img_h + y) * p->img_w, s + (c * p->pad_h + y) * p->pad_w,
                           (size_t)p->img_w * sizeof(float));
            src = crop;
        }
        st = interpolate_bilinear_forward(sem_seg + b * K * p->out_h * p->out_w, src, 1, K, p->img_h, p->img_w,
                                          p->out_h, p->out_w, 0, NULL, err);
    }
    if (st != VCT_STATUS_OK) vct_error_wrap(err, "semantic_inference");
fail:
    if (scratch) arena_rewind(scratch, mark);
    free(o1);
    free(o2);
    free(o3);
    free(o4);
    return st;
}

void sem_seg_argmax(uint8_t *labels, const float *sem_seg, int64_t B, int64_t K, int64_t H, int64_t W) {
    const int64_t HW = H * W;
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < HW; i++) {
            const float *x = sem_seg + b * K * HW + i;
            int64_t best = 0;
            for (int64_t c = 1; c < K; c++)
                if (isnan(x[best * HW]) ? 0 : (isnan(x[c * HW]) || x[c * HW] > x[best * HW])) best = c;
            labels[b * HW + i] = (uint8_t)best;
        }
}

vct_status sem_seg_foreground(float *prob, const float *sem_seg, int64_t B, int64_t H, int64_t W, vct_error *err) {
    const int64_t HW = H * W;
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < HW; i++) {
            float x[2] = {sem_seg[(b * 2) * HW + i], sem_seg[(b * 2 + 1) * HW + i]}, y[2];
            vct_status st = softmax_forward(y, x, 1, 2, err);
            if (st != VCT_STATUS_OK) return st;
            prob[b * HW + i] = y[1];
        }
    return VCT_STATUS_OK;
}
