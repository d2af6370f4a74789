/* test_adamw.c: AdamW and SGD against torch 1.13 (tests/ref/gen_optim.py): several
 * tensors of awkward sizes (tails of torch's 8/16-wide kernels), one group each with
 * its own lr (changed every step, as a scheduler does) and weight decay (0
 * included), gradients of O(1), O(1e-3) and O(1e-6) (the clipped regime of the
 * official config, where eps = 1e-8 matters), 5 steps. Every element must be
 * bit-identical to torch.optim.AdamW (amsgrad False and True) and torch.optim.SGD
 * (momentum 0.9 and 0). Then textbook variants that must NOT match (eps inside the sqrt, L2 decay instead of decoupled decay, no bias
 * correction) to show the comparison can fail. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/adamw.h"
#include "train/sgd.h"
#include "testlib.h"

#define G 8
#define K 5
static const int64_t sizes[G] = {1, 7, 16, 17, 33, 100, 259, 1025};
static tensor_dict R;

static const float *ref(const char *fmt, const char *c, int k, int i, int64_t n) {
    char key[128];
    if (k >= 0) snprintf(key, sizeof key, fmt, c, k, i);
    else snprintf(key, sizeof key, fmt, c, i);
    return tl_ref_f32_n(&R, key, n);
}

static const double *ref_f64(const char *c, const char *field, int64_t n) {
    char key[128];
    snprintf(key, sizeof key, "%s.%s", c, field);
    const tensor *t = tl_ref_typed(&R, key, VCT_DTYPE_F64, n);
    return t ? t->data : NULL;
}

typedef enum variant { EXACT = 0, EPS_IN_SQRT, L2_DECAY, NO_BIAS_CORRECTION } variant;

/* textbook AdamW variants written here (not in the library) to prove the check can fail */
static void adamw_variant(float *p, const float *g, float *m, float *v, int64_t n, double lr, double wd, int64_t t,
                          variant var) {
    double bc1 = 1 - pow(0.9, (double)t), bc2 = 1 - pow(0.999, (double)t);
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i];
        if (var == L2_DECAY) gi = gi + (float)wd * p[i];
        else p[i] = p[i] * (float)(1 - lr * wd);
        m[i] = 0.9f * m[i] + 0.1f * gi;
        v[i] = 0.999f * v[i] + 0.001f * gi * gi;
        float mh = var == NO_BIAS_CORRECTION ? m[i] : m[i] / (float)bc1;
        float vh = var == NO_BIAS_CORRECTION ? v[i] : v[i] / (float)bc2;
        p[i] -= (float)lr * mh / (var == EPS_IN_SQRT ? sqrtf(vh + 1e-8f) : sqrtf(vh) + 1e-8f);
    }
}

/* runs one reference case; returns the number of elements differing from torch */
static int64_t run_case(const char *c, int is_sgd, double momentum, int amsgrad, variant var, int report) {
    const double *lr = ref_f64(c, "lr", K * G), *wd = ref_f64(c, "wd", G);
    if (!lr || !wd) return -1;
    int64_t bad = 0;
    for (int i = 0; i < G; i++) {
        int64_t n = sizes[i];
        const float *p0 = ref("%s.p0.%d", c, -1, i, n);
        if (!p0) return -1;
        float *p = tl_dup(p0, n), *m = tl_zeros(n), *v = tl_zeros(n), *vmax = tl_zeros(n);
        for (int k = 0; k < K; k++) {
            const float *g = ref("%s.g.%d.%d", c, k, i, n), *want = ref("%s.after.%d.%d", c, k, i, n);
            if (!g || !want) return -1;
            double l = lr[k * G + i];
            if (is_sgd) sgd_update(p, g, m, n, l, wd[i], momentum, k == 0);
            else if (var == EXACT) {
                adamw_hparams h = {l, wd[i], 0.9, 0.999, 1e-8, amsgrad};
                adamw_update(p, g, m, v, vmax, n, &h, k + 1);
            } else
                adamw_variant(p, g, m, v, n, l, wd[i], k + 1, var);
            int64_t b = 0;
            for (int64_t e = 0; e < n; e++) b += memcmp(&p[e], &want[e], sizeof(float)) != 0;
            if (b && report && bad == 0)
                printf("  %s tensor %d (n=%lld) step %d: %lld elements differ, e.g. %.9g vs torch %.9g\n", c, i,
                       (long long)n, k, (long long)b, (double)p[0], (double)want[0]);
            bad += b;
        }
        free(p), free(m), free(v), free(vmax);
    }
    return bad;
}

int main(void) {
    if (tl_ref_open("optim", &R)) return tl_summary("test_adamw");
    struct {
        const char *c;
        int sgd;
        double mom;
        int ams;
    } cases[] = {{"adamw.plain", 0, 0, 0}, {"adamw.ams", 0, 0, 1}, {"sgd.mom", 1, 0.9, 0}, {"sgd.plain", 1, 0, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t bad = run_case(cases[i].c, cases[i].sgd, cases[i].mom, cases[i].ams, EXACT, 1);
        char name[128];
        snprintf(name, sizeof name, "%s: 5 steps bit-identical to torch 1.13 (8 tensors, 1..1025 elements)",
                 cases[i].c);
        tl_expect(bad == 0, name, "%lld elements differ", (long long)bad);
    }
    /* the check can fail: textbook variants differ from torch */
    static const char *vnames[] = {"", "eps inside the sqrt", "L2 decay (Adam + weight_decay)",
                                   "no bias correction"};
    for (int var = EPS_IN_SQRT; var <= NO_BIAS_CORRECTION; var++) {
        int64_t bad = run_case("adamw.plain", 0, 0, 0, (variant)var, 0);
        char name[160];
        snprintf(name, sizeof name, "AdamW variant '%s' is told apart from torch", vnames[var]);
        tl_expect(bad > 100, name, "only %lld elements differ", (long long)bad);
    }
    tensor_dict_free(&R);
    return tl_summary("test_adamw");
}
