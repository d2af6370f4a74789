/* image_check.c: see image_check.h. */
#include "image_check.h"

#include <stdio.h>
#include <stdlib.h>

#include "testlib.h"

/* Compare got with the reference stored under key (see gen_images.py: /full, or
 * /sub + /rowsum + /colsum). Prints the worst pixel on a mismatch. */
void tl_check_image_ref(const tensor_dict *d, const char *key, const image_u8 *got, int64_t stride) {
    char k[512];
    snprintf(k, sizeof k, "%s/shape", key);
    const tensor *ts = tl_ref_tensor(d, k);
    if (!ts) return;
    const int64_t *shp = ts->data;
    if (shp[0] != got->h || shp[1] != got->w || shp[2] != got->c) {
        tl_fail(key, "shape [%lld,%lld,%lld], want [%lld,%lld,%lld]", (long long)got->h,
                (long long)got->w, (long long)got->c, (long long)shp[0], (long long)shp[1],
                (long long)shp[2]);
        return;
    }
    const int64_t H = got->h, W = got->w, C = got->c;
    snprintf(k, sizeof k, "%s/full", key);
    const tensor *tf = tensor_dict_find(d, k);
    int64_t bad = 0, worst = -1, worst_d = 0, checked = 0;
    if (tf) {
        const uint8_t *w = tf->data;
        for (int64_t i = 0; i < H * W * C; i++) {
            int64_t diff = llabs((long long)got->data[i] - (long long)w[i]);
            checked++;
            if (diff) {
                if (bad < 3)
                    printf("  %s: (y %lld, x %lld, c %lld) got %d want %d\n", key, (long long)(i / C / W),
                           (long long)(i / C % W), (long long)(i % C), got->data[i], w[i]);
                bad++;
            }
            if (diff > worst_d) worst_d = diff, worst = i;
        }
    } else {
        snprintf(k, sizeof k, "%s/sub", key);
        const tensor *tsub = tl_ref_tensor(d, k);
        snprintf(k, sizeof k, "%s/rowsum", key);
        const tensor *trow = tl_ref_tensor(d, k);
        snprintf(k, sizeof k, "%s/colsum", key);
        const tensor *tcol = tl_ref_tensor(d, k);
        if (!tsub || !trow || !tcol) return;
        const uint8_t *ws = tsub->data;
        int64_t Hs = tsub->shape[0], Ws = tsub->shape[1];
        for (int64_t y = 0; y < Hs; y++)
            for (int64_t x = 0; x < Ws; x++)
                for (int64_t c = 0; c < C; c++) {
                    int64_t i = ((y * stride) * W + x * stride) * C + c;
                    int64_t diff = llabs((long long)got->data[i] - (long long)ws[(y * Ws + x) * C + c]);
                    checked++;
                    if (diff) {
                        if (bad < 3)
                            printf("  %s: (y %lld, x %lld, c %lld) got %d want %d\n", key,
                                   (long long)(y * stride), (long long)(x * stride), (long long)c,
                                   got->data[i], ws[(y * Ws + x) * C + c]);
                        bad++;
                    }
                    if (diff > worst_d) worst_d = diff, worst = i;
                }
        const int64_t *rs = trow->data, *cs = tcol->data;
        for (int64_t y = 0; y < H; y++)
            for (int64_t c = 0; c < C; c++) {
                int64_t s = 0;
                for (int64_t x = 0; x < W; x++) s += got->data[(y * W + x) * C + c];
                checked++;
                if (s != rs[y * C + c]) {
                    if (bad < 6)
                        printf("  %s: row %lld channel %lld sum %lld want %lld\n", key, (long long)y,
                               (long long)c, (long long)s, (long long)rs[y * C + c]);
                    bad++;
                }
            }
        for (int64_t x = 0; x < W; x++)
            for (int64_t c = 0; c < C; c++) {
                int64_t s = 0;
                for (int64_t y = 0; y < H; y++) s += got->data[(y * W + x) * C + c];
                checked++;
                if (s != cs[x * C + c]) {
                    if (bad < 9)
                        printf("  %s: column %lld channel %lld sum %lld want %lld\n", key, (long long)x,
                               (long long)c, (long long)s, (long long)cs[x * C + c]);
                    bad++;
                }
            }
    }
    if (bad) {
        if (worst >= 0)
            tl_fail(key, "%lld of %lld checks differ from PIL; worst |diff| %lld at element %lld",
                    (long long)bad, (long long)checked, (long long)worst_d, (long long)worst);
        else
            tl_fail(key, "%lld of %lld checks differ from PIL (the sampled pixels match; row/column sums differ)",
                    (long long)bad, (long long)checked);
        return;
    }
    tl_pass(key);
}
