/* ag_assign.h: the hard grouping assignment of GroupViT's AssignAttention
 * (VCT transformer_decoder/group_attention.py: gumbel_softmax / hard_softmax with
 * hard=True, then attn / (attn.sum(-1) + assign_eps)) on the tape; the kernel is
 * ops/gumbel_assign.h.
 *
 * logits [B, N, S] (N groups = queries, S pixels); for every (b, s):
 *   Y[:, s]  = softmax over N of (logits[:, s] + G[:, s]) / tau   (G: Gumbel noise, or 0)
 *   idx[b,s] = the first index of max_n Y[n, s] (or force_idx[b,s])
 *   A        = (onehot(idx) - Y) + Y          straight-through: exactly the one-hot in fp32
 * out[b,n,s] = A[b,n,s] / (sum_s' A[b,n,s'] + eps)     = 1/(count+eps) or 0
 * Backward (straight through the one-hot into Y, then the softmax over N):
 *   dA = (dout - sum_s(dout * out)) / (sum_s A + eps);  dlogits = Y * (dA - sum_n(dA * Y)) / tau
 * (The argmax itself is piecewise constant: finite differences of the forward see
 * none of this gradient; it is what torch's straight-through estimator defines.)
 * ops/gumbel_assign.h has no forced index: with force_idx the wrapper rebuilds the
 * one-hot, the straight-through value (h - S) + S and the row sums itself (same fp32
 * arithmetic), then the kernel's backward applies unchanged. */
#ifndef VCT_AUTOGRAD_AG_ASSIGN_H
#define VCT_AUTOGRAD_AG_ASSIGN_H

#include "autograd/tape.h"

/* logits [B, N, S] -> [B, N, S]. gumbel: NULL or [B, N, S] noise (read during the
 * call only). force_idx: NULL or [B, S] indices in [0, N) used instead of the argmax
 * (near-tie injection, frozen decisions); out of range fails the tape. idx: NULL or
 * [B, S]: receives the indices used; in training mode the backward reads it, so it
 * must outlive the tape (NULL: the op keeps its own in the tape's arena). */
ag_var *ag_assign(ag_tape *t, ag_var *logits, const float *gumbel, float tau, float eps, const int64_t *force_idx,
                  int64_t *idx);

#endif
