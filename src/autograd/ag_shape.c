/* ag_shape.c: see ag_shape.h. Index arithmetic uses int64_t strides; the
 * general paths walk the output with an odometer over its dims. */
#include "autograd/ag_shape.h"

#include <string.h>

static const char *shp(const ag_var *v, char *b, size_t n) { return shape_str(v->ndim, v->shape, b, n); }

static void strides_of(int ndim, const int64_t *shape, int64_t *st) {
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        st[i] = s;
        s *= shape[i];
    }
}

/* ---- reshape ---- */
ag_var *ag_reshape(ag_tape *t, ag_var *x, int ndim, const int64_t *shape) {
    if (!x || t->status != VCT_STATUS_OK) return NULL;
    char a[96], b[96];
    if (!ag_check(t, ndim >= 0 && ndim <= VCT_MAX_DIMS && shape_numel(ndim, shape) == ag_numel(x), "reshape",
                  "%s to %s", shp(x, a, sizeof a), shape_str(ndim, shape, b, sizeof b)))
        return NULL;
    if (x->requires_grad && !ag_grad(t, x)) return NULL; /* share the gradient buffer */
    ag_var *v = ag_leaf(t, x->data, x->grad, ndim, shape, 0);
    if (v) v->requires_grad = x->requires_grad;
    return v;
}

/* ---- narrow (dim 0, a view) ---- */
ag_var *ag_narrow(ag_tape *t, ag_var *x, int64_t start, int64_t len) {
    if (!x || t->status != VCT_STATUS_OK) return NULL;
    char a[96];
    if (!ag_check(t, x->ndim >= 1 && start >= 0 && len >= 1 && start + len <= x->shape[0], "narrow",
                  "rows [%lld, %lld) of %s", (long long)start, (long long)(start + len), shp(x, a, sizeof a)))
        return NULL;
    if (x->requires_grad && !ag_grad(t, x)) return NULL; /* share the gradient buffer */
    const int64_t inner = x->shape[0] ? ag_numel(x) / x->shape[0] : 0;
    int64_t shape[VCT_MAX_DIMS];
    memcpy(shape, x->shape, (size_t)x->ndim * sizeof *shape);
    shape[0] = len;
    ag_var *v = ag_leaf(t, x->data + start * inner, x->grad ? x->grad + start * inner : NULL, x->ndim, shape, 0);
    if (v) v->requires_grad = x->requires_grad;
    return v;
}

/* ---- permute ---- */
/* out[o] = x[src(o)]; backward dx[src(o)] += dout[o] */
static void permute_copy(const float *x, float *out, int nd, const int64_t *oshape, const int64_t *xst_perm,
                         int backward) {
    int64_t idx[VCT_MAX_DIMS] = {0}, n = shape_numel(nd, oshape), off = 0;
    for (int64_t o = 0; o < n; o++) {
        if (backward) ((float *)x)[off] += out[o];
        else out[o] = x[off];
        for (int d = nd - 1; d >= 0; d--) {
            idx[d]++;
            off += xst_perm[d];
            if (idx[d] < oshape[d]) break;
            off -= xst_perm[d] * oshape[d];
            idx[d] = 0;
        }
    }
}

static vct_status permute_bw(ag_node *n, arena *s, vct_error *err) {
    ag_var *x = n->in[0];
    int64_t xst[VCT_MAX_DIMS], pst[VCT_MAX_DIMS];
    strides_of(x->ndim, x->shape, xst);
    for (int i = 0; i < x->ndim; i++) pst[i] = xst[n->iarg[i]];
    permute_copy(x->grad, n->out->grad, x->ndim, n->out->shape, pst, 1);
    return VCT_STATUS_OK;
}

ag_var *ag_permute(ag_tape *t, ag_var *x, const int *perm) {
    if (!x || t->status != VCT_STATUS_OK) return NULL;
    int seen[VCT_MAX_DIMS] = {0}, ok = 1;
    for (int i = 0; i < x->ndim; i++) {
        if (perm[i] < 0 || perm[i] >= x->ndim || seen[perm[i]]) ok = 0;
        else seen[perm[i]] = 1;
    }
    if (!ag_check(t, ok, "permute", "bad permutation of %d dims", x->ndim)) return NULL;
    int64_t oshape[VCT_MAX_DIMS], xst[VCT_MAX_DIMS], pst[VCT_MAX_DIMS];
    strides_of(x->ndim, x->shape, xst);
    for (int i = 0; i < x->ndim; i++) {
        oshape[i] = x->shape[perm[i]];
        pst[i] = xst[perm[i]];
    }
    ag_var *y = ag_new(t, x->ndim, oshape);
    if (!y) return NULL;
    permute_copy(x->data, y->data, x->ndim, oshape, pst, 0);
    ag_node *n = ag_record(t, "permute", permute_bw, y, &x, 1);
    if (n)
        for (int i = 0; i < x->ndim; i++) n->iarg[i] = perm[i];
    return y;
}

/* ---- roll ---- */
static void roll_copy(const float *x, float *y, int nd, const int64_t *shape, const int64_t *shift, int backward) {
    int64_t st[VCT_MAX_DIMS], idx[VCT_MAX_DIMS] = {0}, n = shape_numel(nd, shape);
    strides_of(nd, shape, st);
    for (int64_t o = 0; o < n; o++) {
        int64_t src = 0;
        for (int d = 0; d < nd; d++) {
            int64_t i = (idx[d] - shift[d]) % shape[d];
            if (i < 0) i += shape[d];
            src += i * st[d];
        }
        if (backward) ((float *)x)[src] += y[o];
        else y[o] = x[src];
        for (int d = nd - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) break;
            idx[d] = 0;
        }
    }
}

static vct_status roll_bw(ag_node *n, arena *s, vct_error *err) {
    ag_var *x = n->in[0];
    roll_copy(x->grad, n->out->grad, x->ndim, x->shape, n->iarg, 1);
    return VCT_STATUS_OK;
}

ag_var *ag_roll(ag_tape *t, ag_var *x, int nr, const int *dims, const int64_t *shifts) {
    if (!x || t->status != VCT_STATUS_OK) return NULL;
    int64_t sh[VCT_MAX_DIMS] = {0};
    for (int i = 0; i < nr; i++) {
        if (!ag_check(t, dims[i] >= 0 && dims[i] < x->ndim, "roll", "dim %d of %d", dims[i], x->ndim)) return NULL;
        sh[dims[i]] += shifts[i];
    }
    ag_var *y = ag_new(t, x->ndim, x->shape);
    if (!y) return NULL;
    roll_copy(x->data, y->data, x->ndim, x->shape, sh, 0);
    ag_node *n = ag_record(t, "roll", roll_bw, y, &x, 1);
    if (n) memcpy(n->iarg, sh, sizeof sh);
    return y;
}

/* ---- concat / slice / pad: all are "copy a block along one axis" ---- */
/* view x as [outer, ax, inner] and y as [outer, ay, inner]; copy x's ax rows to y at offset */
static void block_copy(float *y, int64_t ay, const float *x, int64_t ax, int64_t outer, int64_t inner, int64_t off,
                       int to_y, int acc) {
    for (int64_t o = 0; o < outer; o++)
        for (int64_t a = 0; a < ax; a++) {
            float *yr = y + (o * ay + off + a) * inner;
            const float *xr = x + (o * ax + a) * inner;
            if (to_y) memcpy(yr, xr, (size_t)inner * sizeof(float));
            else if (acc)
                for (int64_t i = 0; i < inner; i++) ((float *)xr)[i] += yr[i];
        }
}

static void outer_inner(const ag_var *v, int axis, int64_t *outer, int64_t *inner) {
    *outer = 1;
    *inner = 1;
    for (int i = 0; i < axis; i++) *outer *= v->shape[i];
    for (int i = axis + 1; i < v->ndim; i++) *inner *= v->shape[i];
}

static vct_status concat_bw(ag_node *n, arena *s, vct_error *err) {
    int axis = (int)n->iarg[7];
    int64_t outer, inner, off = 0;
    outer_inner(n->out, axis, &outer, &inner);
    for (int i = 0; i < n->n_in; i++) {
        ag_var *x = n->in[i];
        if (x->requires_grad) block_copy(n->out->grad, n->out->shape[axis], x->grad, x->shape[axis], outer, inner, off, 0, 1);
        off += x->shape[axis];
    }
    return VCT_STATUS_OK;
}

ag_var *ag_concat(ag_tape *t, ag_var *const *xs, int nx, int axis) {
    if (t->status != VCT_STATUS_OK) return NULL;
    if (!ag_check(t, nx >= 1 && nx <= AG_MAX_INPUTS, "concat", "%d inputs (1..%d)", nx, AG_MAX_INPUTS)) return NULL;
    for (int i = 0; i < nx; i++)
        if (!xs[i]) return NULL;
    int64_t shape[VCT_MAX_DIMS];
    memcpy(shape, xs[0]->shape, sizeof shape);
    if (!ag_check(t, axis >= 0 && axis < xs[0]->ndim, "concat", "axis %d of %d dims", axis, xs[0]->ndim)) return NULL;
    shape[axis] = 0;
    for (int i = 0; i < nx; i++) {
        int ok = xs[i]->ndim == xs[0]->ndim;
        for (int d = 0; ok && d < xs[0]->ndim; d++) ok = d == axis || xs[i]->shape[d] == xs[0]->shape[d];
        char a[96], b[96];
        if (!ag_check(t, ok, "concat", "input %d %s vs input 0 %s on axis %d", i, shp(xs[i], a, sizeof a),
                      shp(xs[0], b, sizeof b), axis))
            return NULL;
        shape[axis] += xs[i]->shape[axis];
    }
    ag_var *y = ag_new(t, xs[0]->ndim, shape);
    if (!y) return NULL;
    int64_t outer, inner, off = 0;
    outer_inner(y, axis, &outer, &inner);
    for (int i = 0; i < nx; i++) {
        block_copy(y->data, shape[axis], xs[i]->data, xs[i]->shape[axis], outer, inner, off, 1, 0);
        off += xs[i]->shape[axis];
    }
    ag_node *n = ag_record(t, "concat", concat_bw, y, xs, nx);
    if (n) n->iarg[7] = axis;
    return y;
}

/* slice: y is a block of x; pad: x is a block of y. Both use block_copy with the
 * roles swapped. */
static vct_status slice_bw(ag_node *n, arena *s, vct_error *err) {
    ag_var *x = n->in[0], *y = n->out;
    int axis = (int)n->iarg[0];
    int64_t outer, inner;
    outer_inner(x, axis, &outer, &inner);
    /* dx[block] += dy: treat dx as the big one */
    for (int64_t o = 0; o < outer; o++)
        for (int64_t a = 0; a < y->shape[axis]; a++) {
            float *dx = x->grad + (o * x->shape[axis] + n->iarg[1] + a) * inner;
            const float *dy = y->grad + (o * y->shape[axis] + a) * inner;
            for (int64_t i = 0; i < inner; i++) dx[i] += dy[i];
        }
    return VCT_STATUS_OK;
}

ag_var *ag_slice(ag_tape *t, ag_var *x, int axis, int64_t start, int64_t len) {
    if (!x || t->status != VCT_STATUS_OK) return NULL;
    char a[96];
    if (!ag_check(t, axis >= 0 && axis < x->ndim && start >= 0 && len >= 0 && start + len <= x->shape[axis], "slice",
                  "[%lld, %lld) of axis %d of %s", (long long)start, (long long)(start + len), axis, shp(x, a, sizeof a)))
        return NULL;
    int64_t shape[VCT_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[axis] = len;
    ag_var *y = ag_new(t, x->ndim, shape);
    if (!y) return NULL;
    int64_t outer, inner;
    outer_inner(x, axis, &outer, &inner);
    for (int64_t o = 0; o < outer; o++)
        memcpy(y->data + o * len * inner, x->data + (o * x->shape[axis] + start) * inner, (size_t)(len * inner) * sizeof(float));
    ag_node *n = ag_record(t, "slice", slice_bw, y, &x, 1);
    if (n) {
        n->iarg[0] = axis;
        n->iarg[1] = start;
    }
    return y;
}

static vct_status pad_bw(ag_node *n, arena *s, vct_error *err) {
    ag_var *x = n->in[0], *y = n->out;
    int axis = (int)n->iarg[0];
    int64_t outer, inner;
    outer_inner(x, axis, &outer, &inner);
    block_copy(y->grad, y->shape[axis], x->grad, x->shape[axis], outer, inner, n->iarg[1], 0, 1);
    return VCT_STATUS_OK;
}

ag_var *ag_pad(ag_tape *t, ag_var *x, int axis, int64_t before, int64_t after) {
    if (!x || t->status != VCT_STATUS_OK) return NULL;
    if (!ag_check(t, axis >= 0 && axis < x->ndim && before >= 0 && after >= 0, "pad", "axis %d, %lld/%lld", axis,
                  (long long)before, (long long)after))
        return NULL;
    if (before == 0 && after == 0) return x;
    int64_t shape[VCT_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[axis] += before + after;
    ag_var *y = ag_new(t, x->ndim, shape);
    if (!y) return NULL;
    memset(y->data, 0, (size_t)ag_numel(y) * sizeof(float));
    int64_t outer, inner;
    outer_inner(x, axis, &outer, &inner);
    block_copy(y->data, shape[axis], x->data, x->shape[axis], outer, inner, before, 1, 0);
    ag_node *n = ag_record(t, "pad", pad_bw, y, &x, 1);
    if (n) {
        n->iarg[0] = axis;
        n->iarg[1] = before;
    }
    return y;
}

/* ---- broadcasting ---- */
typedef struct bcast {
    int nd;
    int64_t shape[VCT_MAX_DIMS], sa[VCT_MAX_DIMS], sb[VCT_MAX_DIMS]; /* strides, 0 on broadcast dims */
} bcast;

static int bcast_plan(const ag_var *a, const ag_var *b, bcast *p) {
    p->nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    int64_t sta[VCT_MAX_DIMS], stb[VCT_MAX_DIMS];
    strides_of(a->ndim, a->shape, sta);
    strides_of(b->ndim, b->shape, stb);
    for (int d = 0; d < p->nd; d++) {
        int da = d - (p->nd - a->ndim), db = d - (p->nd - b->ndim);
        int64_t na = da >= 0 ? a->shape[da] : 1, nb = db >= 0 ? b->shape[db] : 1;
        if (na != nb && na != 1 && nb != 1) return 0;
        p->shape[d] = na > nb ? na : nb;
        p->sa[d] = (da >= 0 && na != 1) ? sta[da] : 0;
        p->sb[d] = (db >= 0 && nb != 1) ? stb[db] : 0;
    }
    return 1;
}

/* mode 0: y = a+b, 1: y = a*b, 2: backward of add, 3: backward of mul */
static void bcast_run(const bcast *p, int mode, float *y, const float *a, const float *b, float *da, float *db) {
    int64_t idx[VCT_MAX_DIMS] = {0}, n = shape_numel(p->nd, p->shape), oa = 0, ob = 0;
    for (int64_t o = 0; o < n; o++) {
        switch (mode) {
        case 0: y[o] = a[oa] + b[ob]; break;
        case 1: y[o] = a[oa] * b[ob]; break;
        case 2:
            if (da) da[oa] += y[o];
            if (db) db[ob] += y[o];
            break;
        default:
            if (da) da[oa] += y[o] * b[ob];
            if (db) db[ob] += y[o] * a[oa];
        }
        for (int d = p->nd - 1; d >= 0; d--) {
            idx[d]++;
            oa += p->sa[d];
            ob += p->sb[d];
            if (idx[d] < p->shape[d]) break;
            oa -= p->sa[d] * p->shape[d];
            ob -= p->sb[d] * p->shape[d];
            idx[d] = 0;
        }
    }
}

static vct_status bcast_bw(ag_node *n, arena *s, vct_error *err) {
    ag_var *a = n->in[0], *b = n->in[1];
    bcast p;
    bcast_plan(a, b, &p);
    bcast_run(&p, n->iarg[0] ? 3 : 2, n->out->grad, a->data, b->data, a->requires_grad ? a->grad : NULL,
              b->requires_grad ? b->grad : NULL);
    return VCT_STATUS_OK;
}

static ag_var *bcast_op(ag_tape *t, ag_var *a, ag_var *b, int mul) {
    if (!a || !b || t->status != VCT_STATUS_OK) return NULL;
    bcast p;
    char s1[96], s2[96];
    if (!ag_check(t, bcast_plan(a, b, &p), mul ? "mul" : "add", "cannot broadcast %s with %s", shp(a, s1, sizeof s1),
                  shp(b, s2, sizeof s2)))
        return NULL;
    ag_var *y = ag_new(t, p.nd, p.shape);
    if (!y) return NULL;
    bcast_run(&p, mul, y->data, a->data, b->data, NULL, NULL);
    ag_var *in[2] = {a, b};
    ag_node *n = ag_record(t, mul ? "mul" : "add", bcast_bw, y, in, 2);
    if (n) n->iarg[0] = mul;
    return y;
}

ag_var *ag_badd(ag_tape *t, ag_var *a, ag_var *b) { return bcast_op(t, a, b, 0); }
ag_var *ag_bmul(ag_tape *t, ag_var *a, ag_var *b) { return bcast_op(t, a, b, 1); }

/* ---- scale ---- */
static vct_status scale_bw(ag_node *n, arena *s, vct_error *err) {
    int64_t m = ag_numel(n->out);
    float f = (float)n->farg[0];
    for (int64_t i = 0; i < m; i++) n->in[0]->grad[i] += f * n->out->grad[i];
    return VCT_STATUS_OK;
}

ag_var *ag_scale(ag_tape *t, ag_var *x, float s) {
    if (!x || t->status != VCT_STATUS_OK) return NULL;
    ag_var *y = ag_new(t, x->ndim, x->shape);
    if (!y) return NULL;
    int64_t m = ag_numel(y);
    for (int64_t i = 0; i < m; i++) y->data[i] = x->data[i] * s;
    ag_node *n = ag_record(t, "scale", scale_bw, y, &x, 1);
    if (n) n->farg[0] = s;
    return y;
}

/* ---- mean over axes ---- */
/* reduced strides: for each dim of x, the stride in y (0 on reduced dims) */
static int64_t mean_plan(const ag_var *x, const int *red, int64_t *yst, int64_t *yshape_keep) {
    int64_t count = 1;
    for (int d = 0; d < x->ndim; d++) {
        yshape_keep[d] = red[d] ? 1 : x->shape[d];
        if (red[d]) count *= x->shape[d];
    }
    strides_of(x->ndim, yshape_keep, yst);
    for (int d = 0; d < x->ndim; d++)
        if (red[d]) yst[d] = 0;
    return count;
}

static void mean_walk(const ag_var *x, const int64_t *yst, float *xbuf, double *acc, const float *ygrad, float inv,
                      int backward) {
    int64_t idx[VCT_MAX_DIMS] = {0}, n = ag_numel(x), oy = 0;
    for (int64_t o = 0; o < n; o++) {
        if (backward) xbuf[o] += ygrad[oy] * inv;
        else acc[oy] += xbuf[o];
        for (int d = x->ndim - 1; d >= 0; d--) {
            idx[d]++;
            oy += yst[d];
            if (idx[d] < x->shape[d]) break;
            oy -= yst[d] * x->shape[d];
            idx[d] = 0;
        }
    }
}

static vct_status mean_bw(ag_node *n, arena *s, vct_error *err) {
    ag_var *x = n->in[0];
    int red[VCT_MAX_DIMS];
    int64_t yst[VCT_MAX_DIMS], ks[VCT_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) red[d] = (int)n->iarg[d];
    int64_t cnt = mean_plan(x, red, yst, ks);
    mean_walk(x, yst, x->grad, NULL, n->out->grad, (float)(1.0 / (double)cnt), 1);
    return VCT_STATUS_OK;
}

ag_var *ag_mean(ag_tape *t, ag_var *x, const int *axes, int n_axes, int keepdim) {
    if (!x || t->status != VCT_STATUS_OK) return NULL;
    int red[VCT_MAX_DIMS] = {0};
    for (int i = 0; i < n_axes; i++) {
        if (!ag_check(t, axes[i] >= 0 && axes[i] < x->ndim, "mean", "axis %d of %d dims", axes[i], x->ndim)) return NULL;
        red[axes[i]] = 1;
    }
    int64_t yst[VCT_MAX_DIMS], ks[VCT_MAX_DIMS], shape[VCT_MAX_DIMS];
    int64_t cnt = mean_plan(x, red, yst, ks);
    int nd = 0;
    for (int d = 0; d < x->ndim; d++)
        if (keepdim || !red[d]) shape[nd++] = ks[d];
    ag_var *y = ag_new(t, nd, shape);
    if (!y) return NULL;
    int64_t m = ag_numel(y);
    size_t mark = arena_mark(t->scratch ? t->scratch : t->mem);
    double *acc = arena_calloc(t->scratch ? t->scratch : t->mem, (size_t)m * sizeof(double));
    if (!acc) return ag_fail(t, VCT_STATUS_NO_MEMORY, "mean: scratch arena full");
    mean_walk(x, yst, x->data, acc, NULL, 0, 0);
    /* torch sums in float; a double accumulator is at least as accurate (see docs/pitfalls.md) */
    for (int64_t i = 0; i < m; i++) y->data[i] = (float)(acc[i] / (double)cnt);
    if (t->scratch) arena_rewind(t->scratch, mark);
    ag_node *n = ag_record(t, "mean", mean_bw, y, &x, 1);
    if (n)
        for (int d = 0; d < x->ndim; d++) n->iarg[d] = red[d];
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
