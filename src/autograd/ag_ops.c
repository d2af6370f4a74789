/* ag_ops.c: tape wrappers of the op kernels; see ag_ops.h. */
#include "autograd/ag_ops.h"

#include <math.h>
#include <string.h>

#include "ops/linear.h"
#include "ops/matmul.h"
#include "ops/norm.h"
#include "ops/softmax.h"

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

/* ---- layer norm ---- */
static vct_status layernorm_bw(ag_node *n, arena *scratch, vct_error *err) {
    ag_var *x = n->in[0], *w = n->in[1], *b = n->in[2];
    return layernorm_backward(x->requires_grad ? x->grad : NULL, w && w->requires_grad ? w->grad : NULL,
                              b && b->requires_grad ? b->grad : NULL, n->out->grad, x->data, w ? w->data : NULL,
                              n->saved[0], n->saved[1], n->iarg[0], n->iarg[1], err);
}

ag_var *ag_layernorm(ag_tape *t, ag_var *x, ag_var *w, ag_var *b, float eps) {
    if (!x || t->status != VCT_STATUS_OK) return NULL;
    char a1[96], a2[96];
    int64_t C = x->ndim ? x->shape[x->ndim - 1] : 1, N = rows_of(x);
    if ((w && !ag_check(t, w->ndim == 1 && w->shape[0] == C, "layernorm", "input %s, weight %s",
                        shp(x, a1, sizeof a1), shp(w, a2, sizeof a2))) ||
        (b && !ag_check(t, b->ndim == 1 && b->shape[0] == C, "layernorm", "input %s, bias %s",
                        shp(x, a1, sizeof a1), shp(b, a2, sizeof a2))))
        return NULL;
    ag_var *y = ag_new(t, x->ndim, x->shape);
    if (!y) return NULL;
    /* mean and rstd live on the arena in training mode (saved), on scratch otherwise */
    arena *ar = t->training ? t->mem : (t->scratch ? t->scratch : t->mem);
    size_t mark = arena_mark(ar);
    float *mean = arena_alloc(ar, (size_t)N * sizeof(float)), *rstd = arena_alloc(ar, (size_t)N * sizeof(float));
    if (!mean || !rstd) return ag_fail(t, VCT_STATUS_NO_MEMORY, "layernorm: arena full");
    vct_status st = layernorm_forward(y->data, mean, rstd, x->data, w ? w->data : NULL, b ? b->data : NULL, N, C,
                                      eps, &t->err);
    if (st != VCT_STATUS_OK) return ag_fail(t, st, "layernorm: %s", t->err.msg);
    ag_var *in[3] = {x, w, b};
    ag_node *n = ag_record(t, "layernorm", layernorm_bw, y, in, 3);
    if (n) {
        n->saved[0] = mean;
        n->saved[1] = rstd;
        n->iarg[0] = N;
        n->iarg[1] = C;
    } else if (!t->training && ar != t->mem) {
        arena_rewind(ar, mark);
    }
    return y;
}

/* ---- add ---- */
static vct_status add_bw(ag_node *n, arena *scratch, vct_error *err) {
    int64_t m = ag_numel(n->out);
    for (int i = 0; i < 2; i++)
        if (n->in[i]->requires_grad)
            for (int64_t k = 0; k < m; k++) n->in[i]->grad[k] += n->out->grad[k];
    return VCT_STATUS_OK;
}

ag_var *ag_add(ag_tape *t, ag_var *a, ag_var *b) {
    if (!a || !b || t->status != VCT_STATUS_OK) return NULL;
    char a1[96], a2[96];
    if (!ag_check(t, shape_equal(a->ndim, a->shape, b->ndim, b->shape), "add", "shapes %s and %s",
                  shp(a, a1, sizeof a1), shp(b, a2, sizeof a2)))
        return NULL;
    ag_var *y = ag_new(t, a->ndim, a->shape);
    if (!y) return NULL;
    int64_t m = ag_numel(y);
    for (int64_t k = 0; k < m; k++) y->data[k] = a->data[k] + b->data[k];
    ag_var *in[2] = {a, b};
    ag_record(t, "add", add_bw, y, in, 2);
    return y;
}

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

/* ---- L2 normalisation over the last dim ---- */
static vct_status l2n_bw(ag_node *n, arena *scratch, vct_error *err) {
    /* y = x / r, r = ||x||: dx = (dy - y * <dy, y>) / r */
    int64_t N = n->iarg[0], C = n->iarg[1];
    const float *y = n->out->data, *dy = n->out->grad, *r = n->saved[0];
    float *dx = n->in[0]->grad;
    for (int64_t i = 0; i < N; i++) {
        double dot = 0;
        for (int64_t c = 0; c < C; c++) dot += (double)dy[i * C + c] * y[i * C + c];
        for (int64_t c = 0; c < C; c++) dx[i * C + c] += (float)((dy[i * C + c] - y[i * C + c] * dot) / r[i]);
    }
    return VCT_STATUS_OK;
}

ag_var *ag_l2normalize(ag_tape *t, ag_var *x) {
    if (!x || t->status != VCT_STATUS_OK) return NULL;
    int64_t C = x->ndim ? x->shape[x->ndim - 1] : 1, N = rows_of(x);
    ag_var *y = ag_new(t, x->ndim, x->shape);
    float *r = arena_alloc(t->mem, (size_t)N * sizeof(float));
    if (!y || !r) return y ? ag_fail(t, VCT_STATUS_NO_MEMORY, "l2normalize: arena full") : NULL;
    for (int64_t i = 0; i < N; i++) {
        /* torch: x.norm(dim=-1, keepdim=True) in float, then x / norm */
        double s = 0;
        for (int64_t c = 0; c < C; c++) s += (double)x->data[i * C + c] * x->data[i * C + c];
        r[i] = (float)sqrt(s);
        for (int64_t c = 0; c < C; c++) y->data[i * C + c] = x->data[i * C + c] / r[i];
    }
    ag_node *n = ag_record(t, "l2normalize", l2n_bw, y, &x, 1);
    if (n) {
        n->saved[0] = r;
        n->iarg[0] = N;
        n->iarg[1] = C;
    }
    return y;
}
