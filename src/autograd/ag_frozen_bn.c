/* ag_frozen_bn.c: tape wrapper of ops/norm.h frozen_bn_*; see ag_frozen_bn.h. */
#include "autograd/ag_frozen_bn.h"

#include "ops/norm.h"

/* parg: the weight [C]; saved[0]: running_var [C]; iarg: N, C, HW; farg[0]: eps */
static vct_status frozen_bn_bw(ag_node *n, arena *scratch, vct_error *err) {
    return frozen_bn_backward(n->in[0]->grad, n->out->grad, (const float *)n->parg, n->saved[0], n->iarg[0], n->iarg[1],
                              n->iarg[2], (float)n->farg[0], err);
}

ag_var *ag_frozen_bn(ag_tape *t, ag_var *x, const float *weight, const float *bias, const float *running_mean,
                     const float *running_var, float eps) {
    if (!x || t->status != VCT_STATUS_OK)
        return NULL;
    char a[96];
    if (!ag_check(t, x->ndim >= 2 && x->shape[1] >= 1, "frozen_bn", "input %s (need [N, C, ...])",
                  shape_str(x->ndim, x->shape, a, sizeof a)))
        return NULL;
    if (!weight || !bias || !running_mean || !running_var)
        return ag_fail(t, VCT_STATUS_INVALID_ARGUMENT, "frozen_bn: a buffer is NULL (not registered?)");
    const int64_t N = x->shape[0], C = x->shape[1], HW = N > 0 ? ag_numel(x) / (N * C) : 0;
    ag_var *y = ag_new(t, x->ndim, x->shape);
    if (!y)
        return NULL;
    vct_status st =
        frozen_bn_forward(y->data, x->data, weight, bias, running_mean, running_var, N, C, HW, eps, &t->err);
    if (st != VCT_STATUS_OK)
        return ag_fail(t, st, "frozen_bn: %s", t->err.msg);
    ag_node *n = ag_record(t, "frozen_bn", frozen_bn_bw, y, &x, 1);
    if (n) {
        n->parg = weight;
        n->saved[0] = (float *)running_var; /* read only */
        n->iarg[0] = N;
        n->iarg[1] = C;
        n->iarg[2] = HW;
        n->farg[0] = eps;
    }
    return y;
}
