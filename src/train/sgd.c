/* sgd.c: see sgd.h. */
#include "train/sgd.h"

#include <math.h>

void sgd_update(float *p, const float *g, float *buf, int64_t n, double lr, double weight_decay, double momentum,
                int first) {
    const float wd = (float)weight_decay, mom = (float)momentum, neg_lr = (float)-lr;
    for (int64_t i = 0; i < n; i++) {
        float d = g[i];
        if (weight_decay != 0) d = fmaf(p[i], wd, d);
        if (momentum != 0) {
            buf[i] = first ? d : fmaf(d, 1.0f, buf[i] * mom);
            d = buf[i];
        }
        p[i] = fmaf(d, neg_lr, p[i]);
    }
}
