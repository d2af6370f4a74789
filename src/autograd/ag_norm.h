/* ag_norm.h: the normalisation ops on the tape (see tape.h): layer norm, group
 * norm and L2 normalisation. Backward accumulates into x, w and b. Inputs may be
 * NULL after an earlier failure: every wrapper then returns NULL. */
#ifndef VCT_AUTOGRAD_AG_NORM_H
#define VCT_AUTOGRAD_AG_NORM_H

#include "autograd/tape.h"

/* layer norm over the last dim; w, b [C] */
ag_var *ag_layernorm(ag_tape *t, ag_var *x, ag_var *w, ag_var *b, float eps);
/* nn.GroupNorm(G, C, eps): x [N, C, *] (any trailing dims, flattened to HW),
 * statistics per (n, group of C/G channels); w, b [C] or NULL. Same shape out.
 * G must divide C. */
ag_var *ag_groupnorm(ag_tape *t, ag_var *x, ag_var *w, ag_var *b, int64_t G, float eps);
/* x / ||x||_2 over the last dim, with no eps (the official prototype-audio
 * code divides by the norm itself; model.md §4 item 15) */
ag_var *ag_l2normalize(ag_tape *t, ag_var *x);

#endif
