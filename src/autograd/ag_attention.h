/* ag_attention.h: the attention core of ops/attention.h on the tape (see tape.h). */
#ifndef VCT_AUTOGRAD_AG_ATTENTION_H
#define VCT_AUTOGRAD_AG_ATTENTION_H

#include "autograd/tape.h"

/* single-batch multi-head attention core over [BH, L, D] tensors:
 * softmax(q k^T / sqrt(D) + mask) v; mask: NULL, or a boolean [BH, Lq, Lk]
 * (1 = blocked) that must outlive the tape. */
ag_var *ag_attention(ag_tape *t, ag_var *q, ag_var *k, ag_var *v, const unsigned char *mask);

#endif
