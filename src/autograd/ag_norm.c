/* ag_norm.c: the normalisation kernels (ops/norm.h) and the L2 normalisation on the tape; see ag_norm.h. */
#include "autograd/ag_norm.h"

#include <math.h>
#include <string.h>

#include "ops/norm.h"

static const char *shp(const ag_var *v, char *buf, size_t cap) { return shape_str(v->ndim, v->shape, buf, cap); }

static int64_t rows_of(const ag_var *v) { return v->ndim ? ag_numel(v) / v->shape[v->ndim - 1] : 1; }

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

/* ---- group norm ---- */
/* iarg: N, C, HW, G; saved: mean, rstd [N, G] */
static vct_status groupnorm_bw(ag_node *n, arena *scratch, vct_error *err) {
    ag_var *x = n->in[0], *w = n->in[1], *b = n->in[2];
    return groupnorm_backward(x->requires_grad ? x->grad : NULL, w && w->requires_grad ? w->grad : NULL,
                              b && b->requires_grad ? b->grad : NULL, n->out->grad, x->data, w ? w->data : NULL,
                              n->saved[0], n->saved[1], n->iarg[0], n->iarg[1], n->iarg[2], n->iarg[3], err);
}

ag_var *ag_groupnorm(ag_tape *t, ag_var *x, ag_var *w, ag_var *b, int64_t G, float eps) {
    if (!x || t->status != VCT_STATUS_OK) return NULL;
    char a1[96], a2[96];
    if (!ag_check(t, x->ndim >= 2, "groupnorm", "input %s (need [N, C, ...])", shp(x, a1, sizeof a1))) return NULL;
    int64_t N = x->shape[0], C = x->shape[1], HW = (N > 0 && C > 0) ? ag_numel(x) / (N * C) : 0;
    if (!ag_check(t, G >= 1 && C % G == 0, "groupnorm", "%lld groups for input %s", (long long)G,
                  shp(x, a1, sizeof a1)))
        return NULL;
    if ((w && !ag_check(t, w->ndim == 1 && w->shape[0] == C, "groupnorm", "input %s, weight %s",
                        shp(x, a1, sizeof a1), shp(w, a2, sizeof a2))) ||
        (b && !ag_check(t, b->ndim == 1 && b->shape[0] == C, "groupnorm", "input %s, bias %s",
                        shp(x, a1, sizeof a1), shp(b, a2, sizeof a2))))
        return NULL;
    ag_var *y = ag_new(t, x->ndim, x->shape);
    if (!y) return NULL;
    /* mean and rstd live on the arena in training mode (saved), on scratch otherwise */
    arena *ar = t->training ? t->mem : (t->scratch ? t->scratch : t->mem);
    size_t mark = arena_mark(ar);
    size_t bytes = (size_t)(N * G) * sizeof(float);
    float *mean = arena_alloc(ar, bytes ? bytes : 1), *rstd = arena_alloc(ar, bytes ? bytes : 1);
    if (!mean || !rstd) return ag_fail(t, VCT_STATUS_NO_MEMORY, "groupnorm: arena full");
    vct_status st = groupnorm_forward(y->data, mean, rstd, x->data, w ? w->data : NULL, b ? b->data : NULL, N, C,
                                      HW, G, eps, &t->err);
    if (st != VCT_STATUS_OK) return ag_fail(t, st, "groupnorm: %s", t->err.msg);
    ag_var *in[3] = {x, w, b};
    ag_node *n = ag_record(t, "groupnorm", groupnorm_bw, y, in, 3);
    if (n) {
        n->saved[0] = mean;
        n->saved[1] = rstd;
        n->iarg[0] = N;
        n->iarg[1] = C;
        n->iarg[2] = HW;
        n->iarg[3] = G;
    } else if (ar != t->mem) {
        arena_rewind(ar, mark);
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
