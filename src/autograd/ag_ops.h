/* ag_ops.h: the op kernels of src/ops on the tape (see tape.h). Each wrapper
 * checks shapes (a mismatch fails the tape with a message naming the op and
 * both shapes), allocates its output from the tape's arena, runs the forward
 * kernel and, in training mode, records the node whose backward calls the
 * kernel's backward. Inputs may be NULL after an earlier failure: every
 * wrapper then returns NULL. */
#ifndef VCT_AUTOGRAD_AG_OPS_H
#define VCT_AUTOGRAD_AG_OPS_H

#include "autograd/tape.h"

/* y[..., OC] = x[..., C] W^T + b; w [OC, C]; b [OC] or NULL */
ag_var *ag_linear(ag_tape *t, ag_var *x, ag_var *w, ag_var *b);
/* layer norm over the last dim; w, b [C] */
ag_var *ag_layernorm(ag_tape *t, ag_var *x, ag_var *w, ag_var *b, float eps);
/* a + b, same shape */
ag_var *ag_add(ag_tape *t, ag_var *a, ag_var *b);
/* activations (GELU, ReLU, sigmoid): src/autograd/ag_activation.h */
/* single-batch multi-head attention core over [BH, L, D] tensors:
 * softmax(q k^T / sqrt(D) + mask) v; mask: NULL, or a boolean [BH, Lq, Lk]
 * (1 = blocked) that must outlive the tape. */
ag_var *ag_attention(ag_tape *t, ag_var *q, ag_var *k, ag_var *v, const unsigned char *mask);


/* softmax over the last dim */
ag_var *ag_softmax(ag_tape *t, ag_var *x);
/* batched matmul: a [Bt|1, M, K] (or [.., K, M] with trans_a), b [Bt|1, K, N]
 * (or [.., N, K] with trans_b); 2-d operands are batch 1. Out [Bt, M, N]. */
ag_var *ag_matmul(ag_tape *t, ag_var *a, ag_var *b, int trans_a, int trans_b);

/* x / ||x||_2 over the last dim, with no eps (the official prototype-audio
 * code divides by the norm itself; model.md §4 item 15) */
ag_var *ag_l2normalize(ag_tape *t, ag_var *x);

#endif
