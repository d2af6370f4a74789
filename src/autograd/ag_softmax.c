/* ag_softmax.c: ops/softmax.h on the tape; see ag_softmax.h. */
#include "autograd/ag_softmax.h"

#include "ops/softmax.h"

static int64_t rows_of(const ag_var *v) { return v->ndim ? ag_numel(v) / v->shape[v->ndim - 1] : 1; }

/* ---- softmax ---- */
static vct_status softmax_bw(ag_node *n, arena *scratch, vct_error *err) {
    return softmax_backward(n->in[0]->grad, n->out->grad, n->out->data, n->iarg[0], n->iarg[1], err);
}

ag_var *ag_softmax(ag_tape *t, ag_var *x) {
    if (!x || t->status != VCT_STATUS_OK) return NULL;
    int64_t C = x->ndim ? x->shape[x->ndim - 1] : 1, N = rows_of(x);
    ag_var *y = ag_new(t, x->ndim, x->shape);
    if (!y) return NULL;
    vct_status st = softmax_forward(y->data, x->data, N, C, &t->err);
    if (st != VCT_STATUS_OK) return ag_fail(t, st, "softmax: %s", t->err.msg);
    ag_node *n = ag_record(t, "softmax", softmax_bw, y, &x, 1);
    if (n) {
        n->iarg[0] = N;
        n->iarg[1] = C;
    }
    return y;
}
