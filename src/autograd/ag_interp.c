/* ag_interp.c: tape wrapper of ops/interpolate.h; see ag_interp.h. */
#include "autograd/ag_interp.h"

#include "ops/interpolate.h"

/* iarg: Ho, Wo, align_corners; dims of x from the input */
static vct_status interp_bw(ag_node *n, arena *scratch, vct_error *err) {
    ag_var *x = n->in[0];
    return interpolate_bilinear_backward(x->grad, n->out->grad, x->shape[0], x->shape[1], x->shape[2], x->shape[3],
                                         n->iarg[0], n->iarg[1], (int)n->iarg[2], scratch, err);
}

ag_var *ag_interpolate_bilinear(ag_tape *t, ag_var *x, int64_t Ho, int64_t Wo, int align_corners) {
    if (!x || t->status != VCT_STATUS_OK) return NULL;
    char a[96];
    if (!ag_check(t, x->ndim == 4 && Ho >= 1 && Wo >= 1, "interpolate", "input %s to %lldx%lld",
                  shape_str(x->ndim, x->shape, a, sizeof a), (long long)Ho, (long long)Wo))
        return NULL;
    int64_t shape[4] = {x->shape[0], x->shape[1], Ho, Wo};
    ag_var *y = ag_new(t, 4, shape);
    if (!y) return NULL;
    vct_status st = interpolate_bilinear_forward(y->data, x->data, x->shape[0], x->shape[1], x->shape[2], x->shape[3],
                                                 Ho, Wo, align_corners != 0, t->scratch, &t->err);
    if (st != VCT_STATUS_OK) return ag_fail(t, st, "interpolate: %s", t->err.msg);
    ag_node *n = ag_record(t, "interpolate", interp_bw, y, &x, 1);
    if (n) {
        n->iarg[0] = Ho;
        n->iarg[1] = Wo;
        n->iarg[2] = align_corners != 0;
    }
    return y;
}
