/* ag_conv.c: tape wrapper of ops/conv2d.h; see ag_conv.h. */
#include "autograd/ag_conv.h"

#include "ops/conv2d.h"

static const char *shp(const ag_var *v, char *buf, size_t cap) { return shape_str(v->ndim, v->shape, buf, cap); }

static conv2d_dims dims_of(const ag_var *x, const ag_var *w, int64_t stride, int64_t pad, int64_t dil,
                           int64_t groups) {
    conv2d_dims d = {x->shape[0], x->shape[1], x->shape[2], x->shape[3], w->shape[0], w->shape[2], w->shape[3],
                     stride, stride, pad, pad, dil, dil, groups};
    return d;
}

static vct_status conv2d_bw(ag_node *n, arena *scratch, vct_error *err) {
    ag_var *x = n->in[0], *w = n->in[1], *b = n->in[2];
    conv2d_dims d = dims_of(x, w, n->iarg[0], n->iarg[1], n->iarg[2], n->iarg[3]);
    /* without a scratch arena, the activation arena's free top (nothing else
     * allocates from it while this node's backward runs) */
    arena *ar = scratch ? scratch : (arena *)n->parg;
    size_t mark = arena_mark(ar);
    vct_status st = conv2d_backward(x->requires_grad ? x->grad : NULL, w->requires_grad ? w->grad : NULL,
                                    b && b->requires_grad ? b->grad : NULL, n->out->grad, x->data, w->data, &d, ar,
                                    err);
    arena_rewind(ar, mark);
    return st;
}

ag_var *ag_conv2d(ag_tape *t, ag_var *x, ag_var *w, ag_var *b, int64_t stride, int64_t pad, int64_t dil,
                  int64_t groups) {
    if (!x || !w || t->status != VCT_STATUS_OK) return NULL;
    char a1[96], a2[96];
    if (!ag_check(t, x->ndim == 4 && w->ndim == 4, "conv2d", "input %s, weight %s", shp(x, a1, sizeof a1),
                  shp(w, a2, sizeof a2)))
        return NULL;
    if (!ag_check(t, groups >= 1 && x->shape[1] % groups == 0 && w->shape[0] % groups == 0 &&
                         w->shape[1] == x->shape[1] / groups,
                  "conv2d", "input %s, weight %s, groups %lld", shp(x, a1, sizeof a1), shp(w, a2, sizeof a2),
                  (long long)groups))
        return NULL;
    if (b && !ag_check(t, b->ndim == 1 && b->shape[0] == w->shape[0], "conv2d", "bias %s for weight %s",
                       shp(b, a1, sizeof a1), shp(w, a2, sizeof a2)))
        return NULL;
    conv2d_dims d = dims_of(x, w, stride, pad, dil, groups);
    int64_t OH, OW;
    vct_status st = conv2d_out_size(&d, &OH, &OW, &t->err);
    if (st != VCT_STATUS_OK) return ag_fail(t, st, "conv2d: %s", t->err.msg);
    int64_t shape[4] = {d.B, d.OC, OH, OW};
    ag_var *y = ag_new(t, 4, shape);
    if (!y) return NULL;
    arena *ar = t->scratch ? t->scratch : t->mem;
    size_t mark = arena_mark(ar);
    st = conv2d_forward(y->data, x->data, w->data, b ? b->data : NULL, &d, ar, &t->err);
    arena_rewind(ar, mark);
    if (st != VCT_STATUS_OK) return ag_fail(t, st, "conv2d: %s", t->err.msg);
    ag_var *in[3] = {x, w, b};
    ag_node *n = ag_record(t, "conv2d", conv2d_bw, y, in, 3);
    if (n) {
        n->iarg[0] = stride;
        n->iarg[1] = pad;
        n->iarg[2] = dil;
        n->iarg[3] = groups;
        n->parg = t->mem;
    }
    return y;
}
