/* activation.c: GELU, ReLU, sigmoid (see activation.h). */
#include "ops/activation.h"

#include <math.h>

#define ACT_PAR_MIN 32768 /* below this, threads cost more than they save */

static const float kSqrt1_2 = 0.70710678118654752440f; /* M_SQRT1_2 */
static const float kBeta = 0.39894228040143267794f;    /* M_2_SQRTPI * M_SQRT1_2 * 0.5 */

float gelu_f32(float x) { return x * 0.5f * (1.0f + erff(x * kSqrt1_2)); }

float sigmoid_f32(float x) { return 1.0f / (1.0f + expf(-x)); }

void gelu_forward(float *out, const float *inp, int64_t n) {
#pragma omp parallel for schedule(static) if (n > ACT_PAR_MIN)
    for (int64_t i = 0; i < n; i++) out[i] = gelu_f32(inp[i]);
}

void gelu_backward(float *dinp, const float *dout, const float *inp, int64_t n) {
    if (!dinp) return;
#pragma omp parallel for schedule(static) if (n > ACT_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        float x = inp[i];
        float cdf = 0.5f * (1.0f + erff(x * kSqrt1_2));
        float pdf = kBeta * expf(x * x * -0.5f);
        dinp[i] += dout[i] * (cdf + x * pdf);
    }
}

void relu_forward(float *out, const float *inp, int64_t n) {
#pragma omp parallel for schedule(static) if (n > ACT_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = (x > 0.0f || isnan(x)) ? x : 0.0f;
    }
}

void relu_backward(float *dinp, const float *dout, const float *out, int64_t n) {
    if (!dinp) return;
#pragma omp parallel for schedule(static) if (n > ACT_PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        if (!(out[i] <= 0.0f)) dinp[i] += dout[i];
}

void sigmoid_forward(float *out, const float *inp, int64_t n) {
#pragma omp parallel for schedule(static) if (n > ACT_PAR_MIN)
    for (int64_t i = 0; i < n; i++) out[i] = sigmoid_f32(inp[i]);
}

void sigmoid_backward(float *dinp, const float *dout, const float *out, int64_t n) {
    if (!dinp) return;
#pragma omp parallel for schedule(static) if (n > ACT_PAR_MIN)
    for (int64_t i = 0; i < n; i++) dinp[i] += dout[i] * (1.0f - out[i]) * out[i];
}
