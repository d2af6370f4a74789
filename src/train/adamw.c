/* adamw.c: see adamw.h. */
#include "train/adamw.h"

#include <math.h>

void adamw_update(float *p, const float *g, float *m, float *v, float *vmax, int64_t n, const adamw_hparams *h,
                  int64_t t) {
    /* the Python scalars (doubles) of _single_tensor_adamw */
    double bias_correction1 = 1 - pow(h->beta1, (double)t);
    double bias_correction2 = 1 - pow(h->beta2, (double)t);
    double step_size = h->lr / bias_correction1;
    double bias_correction2_sqrt = sqrt(bias_correction2);
    /* ... rounded to float32 where they meet the tensors */
    const float decay = (float)(1 - h->lr * h->weight_decay);
    const float b1 = (float)h->beta1, one_minus_b1 = (float)(1 - h->beta1);
    const float b2 = (float)h->beta2, one_minus_b2 = (float)(1 - h->beta2);
    const float bc2s = (float)bias_correction2_sqrt, eps = (float)h->eps, neg_step = (float)-step_size;
    for (int64_t i = 0; i < n; i++) {
        float pi = p[i] * decay;
        float gi = g[i];
        float mi = fmaf(gi, one_minus_b1, m[i] * b1);
        float vi = fmaf(one_minus_b2 * gi, gi, v[i] * b2);
        m[i] = mi;
        v[i] = vi;
        float vd = vi;
        if (h->amsgrad) {
            if (!(vmax[i] >= vi)) vmax[i] = vi; /* torch.maximum: NaN propagates */
            vd = vmax[i];
        }
        float denom = sqrtf(vd) / bc2s + eps;
        p[i] = pi + (neg_step * mi) / denom;
    }
}
