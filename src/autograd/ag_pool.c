/* ag_pool.c: tape wrapper of ops/pool.h max pooling; see ag_pool.h. */
#include "autograd/ag_pool.h"

#include "ops/pool.h"

/* parg: argmax [N, C, OH, OW] (int64); iarg: N, C, H, W, k, stride, pad */
static vct_status maxpool_bw(ag_node *n, arena *scratch, vct_error *err) {
    pool2d_params p = {
        .kh = n->iarg[4], .kw = n->iarg[4], .sh = n->iarg[5], .sw = n->iarg[5], .ph = n->iarg[6], .pw = n->iarg[6]};
    return maxpool2d_backward(n->in[0]->grad, n->out->grad, (const int64_t *)n->parg, n->iarg[0], n->iarg[1],
                              n->iarg[2], n->iarg[3], p, err);
}

ag_var *ag_maxpool2d(ag_tape *t, ag_var *x, int64_t k, int64_t stride, int64_t pad) {
    if (!x || t->status != VCT_STATUS_OK)
        return NULL;
    char a[96];
    if (!ag_check(t, x->ndim == 4, "maxpool2d", "input %s (need [N, C, H, W])",
                  shape_str(x->ndim, x->shape, a, sizeof a)))
        return NULL;
    if (!ag_check(t, k >= 1 && stride >= 1 && pad >= 0 && 2 * pad <= k, "maxpool2d",
                  "kernel %lld, stride %lld, padding %lld (need padding <= kernel / 2)", (long long)k,
                  (long long)stride, (long long)pad))
        return NULL;
    const int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    const int64_t OH = pool2d_out_dim(H, k, stride, pad), OW = pool2d_out_dim(W, k, stride, pad);
    if (!ag_check(t, OH >= 1 && OW >= 1, "maxpool2d", "input %s too small for kernel %lld, padding %lld",
                  shape_str(x->ndim, x->shape, a, sizeof a), (long long)k, (long long)pad))
        return NULL;
    ag_var *y = ag_new(t, 4, (int64_t[4]){N, C, OH, OW});
    if (!y)
        return NULL;
    /* the argmax lives on the arena in training mode (saved), on scratch otherwise */
    arena *ar = t->training ? t->mem : (t->scratch ? t->scratch : t->mem);
    size_t mark = arena_mark(ar);
    size_t bytes = (size_t)(N * C * OH * OW) * sizeof(int64_t);
    int64_t *argmax = arena_alloc(ar, bytes ? bytes : 1);
    if (!argmax)
        return ag_fail(t, VCT_STATUS_NO_MEMORY, "maxpool2d: arena full (%zu bytes for the argmax)", bytes);
    pool2d_params p = {.kh = k, .kw = k, .sh = stride, .sw = stride, .ph = pad, .pw = pad};
    vct_status st = maxpool2d_forward(y->data, argmax, x->data, N, C, H, W, p, &t->err);
    if (st != VCT_STATUS_OK)
        return ag_fail(t, st, "maxpool2d: %s", t->err.msg);
    ag_node *n = ag_record(t, "maxpool2d", maxpool_bw, y, &x, 1);
    if (n) {
        n->parg = argmax;
        n->iarg[0] = N;
        n->iarg[1] = C;
        n->iarg[2] = H;
        n->iarg[3] = W;
        n->iarg[4] = k;
        n->iarg[5] = stride;
        n->iarg[6] = pad;
    } else if (ar != t->mem) {
        arena_rewind(ar, mark);
    }
    return y;
}
