/* attention.h: the scaled-dot-product core of torch 1.13 nn.MultiheadAttention
 * (F.multi_head_attention_forward -> _scaled_dot_product_attention), dropout 0.
 * The in/out projections and the head split/merge are done by the caller (linear.h).
 *
 * Per batch-head b (BH = batch * heads, head split as torch: features h*D .. h*D+D-1):
 *   q'     = q / fp32(sqrt(D))                        (scaled BEFORE the product, as torch)
 *   S      = q' k^T + add_mask;  S[i,j] = -inf where block_mask[i,j] != 0
 *   P      = softmax over j (rows)                    (softmax.h: torch semantics)
 *   out    = P v
 * A row whose every entry is -inf gives NaN in that row of P and out, as torch does; the
 * VCT decoder avoids it with attention_mask_open_blocked_rows() first (the Mask2Former rule,
 * model.md §4 item 10).
 *
 * Masks (either may be NULL): add_mask float [*, Lq, Lk], block_mask uint8 [*, Lq, Lk]
 * (nonzero = blocked). mask_group = how many consecutive batch-heads share one [Lq, Lk] mask:
 *   1   torch's 3-D mask [B*heads, Lq, Lk] (index b*heads + h),
 *   heads  one mask per batch element shared by its heads,
 *   BH  torch's 2-D mask [Lq, Lk] for everything.
 * mask_group must divide BH.
 *
 * Shapes: q [BH, Lq, D], k [BH, Lk, D], v [BH, Lk, Dv], out [BH, Lq, Dv],
 *         probs [BH, Lq, Lk] (saved for the backward: the softmax output P).
 *
 * Backward ACCUMULATES (+=) into dq, dk, dv (any may be NULL); no gradient for the masks:
 *   dP = dout v^T;  dv += P^T dout;  dS = P (dP - rowsum(dP P));
 *   dq += (dS k) / sqrt(D);  dk += dS^T q'.
 *
 * Matmuls go through gemm.h (gemm_strided_batched). scratch: an arena for temporaries
 * (forward BH*Lq*D floats; backward Lq*(Lk+D) floats), or NULL to allocate internally. */
#ifndef VCT_OPS_ATTENTION_H
#define VCT_OPS_ATTENTION_H

#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"

vct_status attention_forward(float *out, float *probs, const float *q, const float *k,
                             const float *v, const float *add_mask, const uint8_t *block_mask,
                             int64_t mask_group, int64_t BH, int64_t Lq, int64_t Lk, int64_t D,
                             int64_t Dv, arena *scratch, vct_error *err);

vct_status attention_backward(float *dq, float *dk, float *dv, const float *dout,
                              const float *probs, const float *q, const float *k, const float *v,
                              int64_t BH, int64_t Lq, int64_t Lk, int64_t D, int64_t Dv,
                              arena *scratch, vct_error *err);

/* Mask2Former's rule: every row of block_mask [rows, Lk] that is entirely blocked is opened
 * (set to all 0). Returns the number of rows opened. */
int64_t attention_mask_open_blocked_rows(uint8_t *block_mask, int64_t rows, int64_t Lk);

/* Naive reference (plain loops, double accumulation, no gemm/threads), for the tests. */
void attention_forward_naive(float *out, float *probs, const float *q, const float *k,
                             const float *v, const float *add_mask, const uint8_t *block_mask,
                             int64_t mask_group, int64_t BH, int64_t Lq, int64_t Lk, int64_t D,
                             int64_t Dv);

#endif
