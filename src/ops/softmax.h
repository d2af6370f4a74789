/* softmax.h: softmax and log-softmax over the last dim of [N, C], float32.
 *
 * torch 1.13 CPU semantics (SoftMaxKernel.cpp, last-dim path):
 *   softmax:     m = max(x); e = exp(x - m); y = e * (1 / sum(e))
 *   log-softmax: y = (x - m) - log(sum(exp(x - m)))
 * Sums are accumulated in double and rounded to float where torch keeps
 * a float (results agree with torch to a few ulp).
 *
 * -inf entries are allowed (masked attention): they get probability 0
 * (log-probability -inf) and zero gradient. A row that is ENTIRELY -inf gives
 * NaN in every element of that row, exactly as torch does (max = -inf and
 * -inf - -inf = NaN); its backward gives NaN too. Callers that can produce such
 * rows must open them first (the VCT decoder does: model.md §4 item 10).
 * Large finite values (1e30) are fine: the max is subtracted first.
 *
 * Backward (ACCUMULATES into dinp; dinp may be NULL):
 *   softmax:     dx = y * (dy - sum(dy * y))
 *   log-softmax: dx = dy - exp(y) * sum(dy)
 * Both take the forward OUTPUT y, so the input need not be kept. out may alias
 * inp in the forward. Threads: rows.
 */
#ifndef VCT_OPS_SOFTMAX_H
#define VCT_OPS_SOFTMAX_H

#include <stdint.h>

#include "core/error.h"

/* out: [N, C]; inp: [N, C] */
vct_status softmax_forward(float *out, const float *inp, int64_t N, int64_t C, vct_error *err);
/* dinp: [N, C] (+=); dout: [N, C]; out: [N, C] from softmax_forward */
vct_status softmax_backward(float *dinp, const float *dout, const float *out, int64_t N, int64_t C,
                            vct_error *err);

/* out: [N, C] log-probabilities; inp: [N, C] */
vct_status log_softmax_forward(float *out, const float *inp, int64_t N, int64_t C, vct_error *err);
/* dinp: [N, C] (+=); dout: [N, C]; out: [N, C] from log_softmax_forward */
vct_status log_softmax_backward(float *dinp, const float *dout, const float *out, int64_t N,
                                int64_t C, vct_error *err);

#endif
