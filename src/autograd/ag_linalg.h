/* ag_linalg.h: the linear-algebra ops on the tape (see tape.h): linear layers
 * and batched matrix products. Each wrapper checks shapes (a mismatch fails the
 * tape with a message naming the op and both shapes), allocates its output from
 * the tape's arena, runs the forward kernel and, in training mode, records the
 * node whose backward calls the kernel's backward (accumulating). Inputs may be
 * NULL after an earlier failure: every wrapper then returns NULL. */
#ifndef VCT_AUTOGRAD_AG_LINALG_H
#define VCT_AUTOGRAD_AG_LINALG_H

#include "autograd/tape.h"

/* y[..., OC] = x[..., C] W^T + b; w [OC, C]; b [OC] or NULL */
ag_var *ag_linear(ag_tape *t, ag_var *x, ag_var *w, ag_var *b);
/* batched matmul: a [Bt|1, M, K] (or [.., K, M] with trans_a), b [Bt|1, K, N]
 * (or [.., N, K] with trans_b); 2-d operands are batch 1. Out [Bt, M, N]. */
ag_var *ag_matmul(ag_tape *t, ag_var *a, ag_var *b, int trans_a, int trans_b);

#endif
