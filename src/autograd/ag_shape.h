/* ag_shape.h: data-movement, elementwise and broadcasting ops on the tape:
 * views, permutes, rolls, concatenation, slices, zero padding, add, broadcast
 * add/mul, scaling and means. All backward passes accumulate. */
#ifndef VCT_AUTOGRAD_AG_SHAPE_H
#define VCT_AUTOGRAD_AG_SHAPE_H

#include "autograd/tape.h"

/* Same data, new shape (numel must match). The view shares data AND gradient
 * with x, so it costs nothing and needs no node. */
ag_var *ag_reshape(ag_tape *t, ag_var *x, int ndim, const int64_t *shape);
/* x[start : start + len] along dim 0 as a view: it shares data AND gradient
 * with x (like ag_reshape; no copy, no node), so a gradient reaching the view
 * accumulates straight into x's (e.g. one chunk of a packed parameter). */
ag_var *ag_narrow(ag_tape *t, ag_var *x, int64_t start, int64_t len);
/* out.shape[i] = x.shape[perm[i]] (torch.permute) */
ag_var *ag_permute(ag_tape *t, ag_var *x, const int *perm);
/* torch.roll(x, shifts, dims) over n dims */
ag_var *ag_roll(ag_tape *t, ag_var *x, int n, const int *dims, const int64_t *shifts);
/* torch.cat(xs, axis) */
ag_var *ag_concat(ag_tape *t, ag_var *const *xs, int n, int axis);
/* x.narrow(axis, start, len) */
ag_var *ag_slice(ag_tape *t, ag_var *x, int axis, int64_t start, int64_t len);
/* zero padding along one axis: before, after >= 0 */
ag_var *ag_pad(ag_tape *t, ag_var *x, int axis, int64_t before, int64_t after);
/* a + b, same shape */
ag_var *ag_add(ag_tape *t, ag_var *a, ag_var *b);
/* a + b and a * b with numpy broadcasting (shapes aligned on the right) */
ag_var *ag_badd(ag_tape *t, ag_var *a, ag_var *b);
ag_var *ag_bmul(ag_tape *t, ag_var *a, ag_var *b);
/* s * x */
ag_var *ag_scale(ag_tape *t, ag_var *x, float s);
/* mean over the axes flagged in `axes` (keepdim: size 1 stays) */
ag_var *ag_mean(ag_tape *t, ag_var *x, const int *axes, int n_axes, int keepdim);

#endif
