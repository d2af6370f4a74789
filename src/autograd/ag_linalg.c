/* ag_linalg.c: the linear-algebra kernels (ops/linear.h, ops/matmul.h) on the tape; see ag_linalg.h. */
#include "autograd/ag_linalg.h"

#include <string.h>

#include "ops/linear.h"
#include "ops/matmul.h"

static const char *shp(const ag_var *v, char *buf, size_t cap) { return shape_str(v->ndim, v->shape, buf, cap); }

static int64_t rows_of(const ag_var *v) { return v->ndim ? ag_numel(v) / v->shape[v->ndim - 1] : 1; }

/* ---- linear ---- */
static vct_status linear_bw(ag_node *n, arena *scratch, vct_error *err) {
    ag_var *x = n->in[0], *w = n->in[1], *b = n->in[2];
    return linear_backward(x->requires_grad ? x->grad : NULL, w->requires_grad ? w->grad : NULL,
                           b && b->requires_grad ? b->grad : NULL, n->out->grad, x->data, w->data, n->iarg[0],
                           n->iarg[1], n->iarg[2], err);
}

ag_var *ag_linear(ag_tape *t, ag_var *x, ag_var *w, ag_var *b) {
    if (!x || !w || t->status != VCT_STATUS_OK) return NULL;
    char a1[96], a2[96];
    int64_t C = x->ndim ? x->shape[x->ndim - 1] : 1, OC = w->shape[0], N = rows_of(x);
    if (!ag_check(t, x->ndim >= 1 && w->ndim == 2 && w->shape[1] == C, "linear", "input %s, weight %s",
                  shp(x, a1, sizeof a1), shp(w, a2, sizeof a2)))
        return NULL;
    if (b && !ag_check(t, b->ndim == 1 && b->shape[0] == OC, "linear", "bias %s for %lld outputs",
                       shp(b, a1, sizeof a1), (long long)OC))
        return NULL;
    int64_t shape[VCT_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = OC;
    ag_var *y = ag_new(t, x->ndim, shape);
    if (!y) return NULL;
    vct_status st = linear_forward(y->data, x->data, w->data, b ? b->data : NULL, N, C, OC, &t->err);
    if (st != VCT_STATUS_OK) return ag_fail(t, st, "linear: %s", t->err.msg);
    ag_var *in[3] = {x, w, b};
    ag_node *n = ag_record(t, "linear", linear_bw, y, in, 3);
    if (n) {
        n->iarg[0] = N;
        n->iarg[1] = C;
        n->iarg[2] = OC;
    }
    return y;
}

/* ---- batched matmul ---- */
static matmul_dims mm_dims(const ag_node *n) {
    matmul_dims d = {n->iarg[0], n->iarg[1], n->iarg[2], n->iarg[3], (int)n->iarg[4], (int)n->iarg[5],
                     (int)n->iarg[6], (int)n->iarg[7]};
    return d;
}

static vct_status matmul_bw(ag_node *n, arena *scratch, vct_error *err) {
    ag_var *a = n->in[0], *b = n->in[1];
    return matmul_backward(a->requires_grad ? a->grad : NULL, b->requires_grad ? b->grad : NULL, n->out->grad,
                           a->data, b->data, mm_dims(n), err);
}

ag_var *ag_matmul(ag_tape *t, ag_var *a, ag_var *b, int trans_a, int trans_b) {
    if (!a || !b || t->status != VCT_STATUS_OK) return NULL;
    char s1[96], s2[96];
    if (!ag_check(t, (a->ndim == 2 || a->ndim == 3) && (b->ndim == 2 || b->ndim == 3), "matmul",
                  "operands %s and %s must be 2-d or 3-d", shp(a, s1, sizeof s1), shp(b, s2, sizeof s2)))
        return NULL;
    int64_t Ba = a->ndim == 3 ? a->shape[0] : 1, Bb = b->ndim == 3 ? b->shape[0] : 1;
    int64_t ar = a->shape[a->ndim - 2], ac = a->shape[a->ndim - 1], br = b->shape[b->ndim - 2], bc = b->shape[b->ndim - 1];
    int64_t M = trans_a ? ac : ar, K = trans_a ? ar : ac, K2 = trans_b ? bc : br, N = trans_b ? br : bc;
    int64_t Bt = Ba > Bb ? Ba : Bb;
    if (!ag_check(t, K == K2 && (Ba == Bb || Ba == 1 || Bb == 1), "matmul", "%s%s x %s%s", shp(a, s1, sizeof s1),
                  trans_a ? "^T" : "", shp(b, s2, sizeof s2), trans_b ? "^T" : ""))
        return NULL;
    int64_t shape[3] = {Bt, M, N};
    ag_var *y = ag_new(t, 3, shape);
    if (!y) return NULL;
    matmul_dims d = {Bt, M, K, N, trans_a, trans_b, Ba == 1 && Bt > 1, Bb == 1 && Bt > 1};
    vct_status st = matmul_forward(y->data, a->data, b->data, d, &t->err);
    if (st != VCT_STATUS_OK) return ag_fail(t, st, "matmul: %s", t->err.msg);
    ag_var *in[2] = {a, b};
    ag_node *n = ag_record(t, "matmul", matmul_bw, y, in, 2);
    if (n) {
        int64_t v[8] = {Bt, M, K, N, trans_a, trans_b, d.bcastA, d.bcastB};
        memcpy(n->iarg, v, sizeof v);
    }
    return y;
}
