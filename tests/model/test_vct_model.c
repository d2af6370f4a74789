/* test_vct_model.c: the decisions of vct_model (the whole-model forward itself is
 * checked end to end on the conformance case by tests/cli/test_segment.sh):
 *  - vct_model_decide_resized (labels at a frame's own size, a few channels at a
 *    time) equals the decision on the whole resized tensor, bilinear(s, (Ho, Wo)) of
 *    interpolate.h with all K channels, for AVSS (argmax, K = 71; also K = 9 so the
 *    last channel group has one channel) and S4/MS3 (K = 2, softmax > 0.5), on up-
 *    and down-sizing, with exact ties and a NaN;
 *  - vct_model_decide for K = 2 equals sem_seg_foreground > 0.5. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/semantic_inference.h"
#include "model/vct_model.h"
#include "ops/interpolate.h"
#include "testlib.h"

static uint32_t lcg = 12345;
static float frand(void) {
    lcg = lcg * 1664525u + 1013904223u;
    return (float)((lcg >> 8) & 0xffffff) / 16777216.0f;
}

/* the reference: resize the whole [K,H,W] tensor, then decide */
static void reference(uint8_t *lab, const float *s, int64_t K, int64_t H, int64_t W, int64_t Ho, int64_t Wo) {
    float *r = malloc((size_t)(K * Ho * Wo) * sizeof(float));
    vct_error err;
    tl_expect(interpolate_bilinear_forward(r, s, 1, K, H, W, Ho, Wo, 0, NULL, &err) == VCT_STATUS_OK,
              "reference resize", "%s", err.msg);
    if (K == 2) {
        float *p = malloc((size_t)(Ho * Wo) * sizeof(float));
        tl_expect(sem_seg_foreground(p, r, 1, Ho, Wo, &err) == VCT_STATUS_OK, "reference softmax", "%s", err.msg);
        for (int64_t i = 0; i < Ho * Wo; i++) lab[i] = p[i] > 0.5f;
        free(p);
    } else {
        sem_seg_argmax(lab, r, 1, K, Ho, Wo);
    }
    free(r);
}

static void check(int64_t K, int64_t H, int64_t W, int64_t Ho, int64_t Wo, int ties) {
    char name[96];
    snprintf(name, sizeof name, "decide_resized K=%lld %lldx%lld -> %lldx%lld%s", (long long)K, (long long)H,
             (long long)W, (long long)Ho, (long long)Wo, ties ? " (ties, NaN)" : "");
    float *s = malloc((size_t)(K * H * W) * sizeof(float));
    for (int64_t i = 0; i < K * H * W; i++) s[i] = K == 2 ? 4 * frand() - 2 : frand();
    if (ties) { /* equal channels: the first must win; a NaN pixel: it wins, as torch.argmax */
        for (int64_t i = 0; i < H * W; i++) s[(K - 1) * H * W + i] = s[(K - 2) * H * W + i];
        memcpy(s + H * W, s, (size_t)(H * W) * sizeof(float));
        s[(K / 2) * H * W + 3] = NAN;
    }
    uint8_t *a = malloc((size_t)(Ho * Wo)), *b = malloc((size_t)(Ho * Wo));
    vct_error err = {0};
    vct_status st = vct_model_decide_resized(a, s, K, H, W, Ho, Wo, &err);
    reference(b, s, K, H, W, Ho, Wo);
    int64_t diff = 0, first = -1, classes = 0;
    int seen[256] = {0};
    for (int64_t i = 0; i < Ho * Wo; i++) {
        if (a[i] != b[i] && diff++ == 0) first = i;
        if (!seen[b[i]]++) classes++;
    }
    if (st != VCT_STATUS_OK) tl_fail(name, "%s", err.msg);
    else if (diff) tl_fail(name, "%lld pixels differ, first at %lld: %d vs %d", (long long)diff, (long long)first, a[first], b[first]);
    else tl_expect(classes > 1, name, "only %lld class decided: the check is too weak", (long long)classes);
    free(s);
    free(a);
    free(b);
}

int main(void) {
    check(71, 24, 24, 61, 45, 0);   /* up */
    check(71, 96, 96, 37, 50, 1);   /* down, ties */
    check(9, 20, 17, 33, 29, 1);    /* last group of one channel */
    check(2, 24, 24, 57, 31, 0);    /* S4/MS3 */
    check(2, 48, 48, 19, 23, 0);
    /* K = 2 decision at the same size */
    {
        const int64_t H = 13, W = 11;
        float s[2 * 13 * 11], p[13 * 11];
        uint8_t lab[13 * 11];
        for (int i = 0; i < 2 * 13 * 11; i++) s[i] = 2 * frand() - 1;
        s[5] = s[H * W + 5]; /* a tie: probability exactly 0.5 -> background */
        vct_error err = {0};
        vct_model_decide(lab, s, 2, H, W, &err);
        tl_expect(sem_seg_foreground(p, s, 1, H, W, &err) == VCT_STATUS_OK, "softmax K=2", "%s", err.msg);
        int64_t bad = 0;
        for (int64_t i = 0; i < H * W; i++) bad += lab[i] != (p[i] > 0.5f);
        tl_expect(bad == 0 && lab[5] == 0, "decide K=2 = softmax > 0.5", "%lld differ, tie -> %d", (long long)bad, lab[5]);
    }
    return tl_summary("vct_model");
}
