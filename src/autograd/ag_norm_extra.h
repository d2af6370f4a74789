/* ag_norm_extra.h: the normalisation layers of ops/norm.h that ag_ops.h does
 * not wrap, on the tape (see tape.h). Backward accumulates into x, w and b. */
#ifndef VCT_AUTOGRAD_AG_NORM_EXTRA_H
#define VCT_AUTOGRAD_AG_NORM_EXTRA_H

#include "autograd/tape.h"

/* nn.GroupNorm(G, C, eps): x [N, C, *] (any trailing dims, flattened to HW),
 * statistics per (n, group of C/G channels); w, b [C] or NULL. Same shape out.
 * G must divide C. */
ag_var *ag_groupnorm(ag_tape *t, ag_var *x, ag_var *w, ag_var *b, int64_t G, float eps);

#endif
