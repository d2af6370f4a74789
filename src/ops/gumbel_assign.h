/* gumbel_assign.h: the hard straight-through assignment of GroupViT's AssignAttention as
 * VCT's PPQG uses it (transformer_decoder/group_attention.py `AssignAttention.get_attn` with
 * hard=True, gumbel=True, sum_assign=False, assign_eps=1; model.md §1.8 item 5, §4 item 12).
 * The q/k/v projections, the logits (q k^T * scale) and the final `attn @ v` and projection
 * are done by the caller.
 *
 * Layout: logits [B, Q, N] = the official [B, heads, Q, N] with heads folded into B (VCT uses
 * one head); Q = group queries (softmax axis, dim -2), N = pixels (keys).
 *
 *   z      = noise ? (logits + noise) / tau : logits     (noise = Gumbel(0,1) draws from the
 *            caller, train only; eval: noise == NULL, tau unused)
 *   S      = softmax over q of z            (for each b, n)
 *   idx[n] = argmax_q S[q, n]               (over the fp32 softmax values; first index on ties)
 *   A'     = (onehot(idx) - S) + S          (straight-through value; exactly the one-hot in fp32)
 *   denom  = sum_n A'[q, n] + assign_eps    (per b, q)
 *   attn   = A' / denom
 *
 * Backward (straight-through: the gradient flows through the soft S only):
 *   dA'[q,n] = dattn[q,n]/denom[q] - sum_m dattn[q,m] A'[q,m] / denom[q]^2
 *   dz[q,n]  = S[q,n] (dA'[q,n] - sum_p S[p,n] dA'[p,n]);   dlogits += dz / (noise ? tau : 1)
 * It ACCUMULATES (+=) into dlogits. No gradient for the noise.
 *
 * Threads: columns (b, n) for the softmax / argmax and its backward, rows (b, q) for the sums. */
#ifndef VCT_OPS_GUMBEL_ASSIGN_H
#define VCT_OPS_GUMBEL_ASSIGN_H

#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"

/* attn [B,Q,N] (output), soft [B,Q,N] (saved S), index [B,N] (saved argmax query),
 * denom [B,Q] (saved row sum + eps); logits [B,Q,N]; noise [B,Q,N] or NULL. */
vct_status gumbel_assign_forward(float *attn, float *soft, int64_t *index, float *denom,
                                 const float *logits, const float *noise, float tau,
                                 float assign_eps, int64_t B, int64_t Q, int64_t N, vct_error *err);

/* dlogits [B,Q,N] (+=); dattn [B,Q,N]; soft/index/denom from the forward; gumbel = whether
 * the forward had noise (then the gradient is divided by tau). scratch: an arena for B*Q
 * floats, or NULL to allocate internally. */
vct_status gumbel_assign_backward(float *dlogits, const float *dattn, const float *soft,
                                  const int64_t *index, const float *denom, int gumbel, float tau,
                                  int64_t B, int64_t Q, int64_t N, arena *scratch, vct_error *err);

#endif
