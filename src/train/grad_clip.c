/* grad_clip.c: see grad_clip.h. */
#include "train/grad_clip.h"

#include <math.h>
#include <stdlib.h>

#define NORM_LANES 8 /* Vectorized<float>::size() of torch's AVX2 kernels */

float torch_norm2_f32(const float *x, int64_t n) {
    float acc[NORM_LANES] = {0};
    int64_t m = n - n % NORM_LANES, i = 0;
    for (; i < m; i += NORM_LANES)
        for (int l = 0; l < NORM_LANES; l++) acc[l] = fmaf(x[i + l], x[i + l], acc[l]);
    float s = acc[0];
    for (int l = 1; l < NORM_LANES; l++) s = s + acc[l];
    for (; i < n; i++) s = fmaf(x[i], x[i], s);
    return sqrtf(s);
}

float torch_norm_inf_f32(const float *x, int64_t n) {
    float m = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        if (a > m || isnan(a)) m = a;
    }
    return m;
}

/* torch: clip_coef = max_norm / (total + 1e-6); clamp(max=1.0) */
static float clip_coef(float total, double max_norm) {
    float c = (1.0f / (total + (float)1e-6)) * (float)max_norm;
    return c > 1.0f ? 1.0f : c;
}

static void scale(float *g, int64_t n, float c) {
    for (int64_t i = 0; i < n; i++) g[i] = g[i] * c;
}

vct_status clip_grad_norm_full(float *grad, const optim_groups *gs, double max_norm, float *total, float *coef,
                               vct_error *err) {
    float *norms = malloc((size_t)(gs->n ? gs->n : 1) * sizeof *norms);
    if (!norms) return vct_fail(err, VCT_STATUS_NO_MEMORY, "gradient clipping: out of memory");
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t i = 0; i < gs->n; i++) norms[i] = torch_norm2_f32(grad + gs->g[i].offset, gs->g[i].numel);
    float t = torch_norm2_f32(norms, gs->n);
    free(norms);
    float c = clip_coef(t, max_norm);
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t i = 0; i < gs->n; i++) scale(grad + gs->g[i].offset, gs->g[i].numel, c);
    if (total) *total = t;
    if (coef) *coef = c;
    return VCT_STATUS_OK;
}

float clip_grad_norm_tensor(float *g, int64_t n, double max_norm, double norm_type) {
    float one = isinf(norm_type) ? torch_norm_inf_f32(g, n) : torch_norm2_f32(g, n);
    /* total = norm of the stacked per-tensor norms: for one tensor, norms[0] (inf) or ||[one]||_2 */
    float total = isinf(norm_type) ? one : torch_norm2_f32(&one, 1);
    scale(g, n, clip_coef(total, max_norm));
    return total;
}

void clip_grad_value_tensor(float *g, int64_t n, double clip_value) {
    float lo = (float)-clip_value, hi = (float)clip_value;
    for (int64_t i = 0; i < n; i++) g[i] = g[i] < lo ? lo : (g[i] > hi ? hi : g[i]);
}
