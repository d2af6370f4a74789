/* activation.h: elementwise GELU (exact erf form), ReLU and sigmoid, float32.
 *
 * torch 1.13 CPU formulas, evaluated in float in torch's operation order:
 *   gelu(x)    = (x * 0.5) * (1 + erf(x * M_SQRT1_2))          (approximate='none')
 *   gelu'(x)   = 0.5*(1 + erf(x/sqrt2)) + x * exp(-x*x/2) / sqrt(2*pi)
 *   relu(x)    = x > 0 ? x : 0   (NaN propagates)
 *   relu'      = 0 where the output is <= 0 (torch threshold_backward; 0 at x = 0)
 *   sigmoid(x) = 1 / (1 + exp(-x))
 *   sigmoid'   = dout * (1 - y) * y
 * Sigmoid rounding near 0 (model.md §4 item 10): for tiny negative x, exp(-x)
 * rounds so that 1 + exp(-x) == 2 and sigmoid(x) is exactly 0.5 (torch CPU:
 * for -1.8e-7 <~ x <= 0). The masked-attention rule "blocked iff sigmoid(m) <
 * 0.5" depends on it, so sigmoid_f32 is exported for such per-element uses and
 * the tests check the 0.5 boundary against torch element for element.
 * Elsewhere results agree with torch (Sleef) to a few ulp.
 *
 * Forwards may run in place (out == inp). Backwards ACCUMULATE (+=) into dinp;
 * dinp == NULL is a no-op. gelu_backward needs the INPUT; relu_backward and
 * sigmoid_backward need the OUTPUT. n <= 0 is a no-op. These are pure loops
 * with nothing to validate, so they return void. Threads: elements (large n).
 */
#ifndef VCT_OPS_ACTIVATION_H
#define VCT_OPS_ACTIVATION_H

#include <stdint.h>

float gelu_f32(float x);
float sigmoid_f32(float x);

/* out, inp: [n] */
void gelu_forward(float *out, const float *inp, int64_t n);
/* dinp, dout, inp: [n] */
void gelu_backward(float *dinp, const float *dout, const float *inp, int64_t n);

/* out, inp: [n] */
void relu_forward(float *out, const float *inp, int64_t n);
/* dinp, dout, out: [n]; out from relu_forward */
void relu_backward(float *dinp, const float *dout, const float *out, int64_t n);

/* out, inp: [n] */
void sigmoid_forward(float *out, const float *inp, int64_t n);
/* dinp, dout, out: [n]; out from sigmoid_forward */
void sigmoid_backward(float *dinp, const float *dout, const float *out, int64_t n);

#endif
