/* tape.c: see tape.h. */
#include "autograd/tape.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

vct_status ag_tape_init(ag_tape *t, arena *mem, arena *scratch, int training, int64_t max_nodes, vct_error *err) {
    memset(t, 0, sizeof *t);
    t->mem = mem;
    t->scratch = scratch;
    t->training = training;
    if (training) {
        t->nodes = calloc((size_t)max_nodes, sizeof *t->nodes);
        if (!t->nodes) return vct_fail(err, VCT_STATUS_NO_MEMORY, "tape: cannot allocate %lld nodes", (long long)max_nodes);
        t->max_nodes = max_nodes;
    }
    return VCT_STATUS_OK;
}

void ag_tape_free(ag_tape *t) {
    free(t->nodes);
    t->nodes = NULL;
    t->n_nodes = t->max_nodes = 0;
}

void ag_tape_reset(ag_tape *t) {
    t->n_nodes = 0;
    t->status = VCT_STATUS_OK;
    t->err.msg[0] = '\0';
}

ag_var *ag_fail(ag_tape *t, vct_status st, const char *fmt, ...) {
    if (t->status != VCT_STATUS_OK) return NULL; /* keep the first failure */
    char buf[VCT_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    vct_fail(&t->err, st, "%s", buf);
    t->status = st;
    return NULL;
}

int ag_check(ag_tape *t, int cond, const char *op, const char *fmt, ...) {
    if (cond) return 1;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ag_fail(t, VCT_STATUS_SHAPE, "%s: %s", op, buf);
    return 0;
}

int64_t ag_numel(const ag_var *v) { return shape_numel(v->ndim, v->shape); }

static ag_var *var_struct(ag_tape *t) {
    ag_var *v = arena_calloc(t->mem, sizeof *v);
    if (!v) ag_fail(t, VCT_STATUS_NO_MEMORY, "tape: activation arena full (%zu bytes)", t->mem->cap);
    return v;
}

ag_var *ag_leaf(ag_tape *t, float *data, float *grad, int ndim, const int64_t *shape, int requires_grad) {
    if (t->status != VCT_STATUS_OK) return NULL;
    if (ndim < 0 || ndim > VCT_MAX_DIMS) return ag_fail(t, VCT_STATUS_INVALID_ARGUMENT, "leaf: %d dims", ndim);
    ag_var *v = var_struct(t);
    if (!v) return NULL;
    v->data = data;
    v->grad = grad;
    v->ndim = ndim;
    memcpy(v->shape, shape, (size_t)ndim * sizeof *shape);
    v->requires_grad = requires_grad && t->training;
    return v;
}

ag_var *ag_param(ag_tape *t, const param_tensor *p) {
    if (t->status != VCT_STATUS_OK || !p->name) return NULL;
    if (!p->data) return ag_fail(t, VCT_STATUS_INTERNAL, "parameter %s: the table is not allocated", p->name);
    return ag_leaf(t, p->data, p->grad, p->ndim, p->shape, p->grad != NULL);
}

ag_var *ag_new(ag_tape *t, int ndim, const int64_t *shape) {
    if (t->status != VCT_STATUS_OK) return NULL;
    if (ndim < 0 || ndim > VCT_MAX_DIMS) return ag_fail(t, VCT_STATUS_INVALID_ARGUMENT, "new: %d dims", ndim);
    ag_var *v = var_struct(t);
    if (!v) return NULL;
    v->ndim = ndim;
    memcpy(v->shape, shape, (size_t)ndim * sizeof *shape);
    size_t bytes = (size_t)ag_numel(v) * sizeof(float);
    v->data = arena_alloc(t->mem, bytes ? bytes : 1);
    if (!v->data) return ag_fail(t, VCT_STATUS_NO_MEMORY, "tape: activation arena full (%zu of %zu bytes used, %zu more needed)",
                                 t->mem->used, t->mem->cap, bytes);
    return v;
}

ag_node *ag_record(ag_tape *t, const char *op, ag_backward_fn bw, ag_var *out, ag_var *const *in, int n_in) {
    if (!t->training || t->status != VCT_STATUS_OK) return NULL;
    int any = 0;
    for (int i = 0; i < n_in; i++) any |= in[i] && in[i]->requires_grad;
    if (!any) return NULL; /* nothing upstream wants a gradient */
    if (t->n_nodes == t->max_nodes) {
        ag_fail(t, VCT_STATUS_NO_MEMORY, "tape: more than %lld nodes", (long long)t->max_nodes);
        return NULL;
    }
    ag_node *n = &t->nodes[t->n_nodes++];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->backward = bw;
    n->out = out;
    n->n_in = n_in;
    for (int i = 0; i < n_in; i++) n->in[i] = in[i];
    out->requires_grad = 1;
    return n;
}

float *ag_grad(ag_tape *t, ag_var *v) {
    if (!v || !v->requires_grad) return NULL;
    if (!v->grad) {
        size_t bytes = (size_t)ag_numel(v) * sizeof(float);
        v->grad = arena_calloc(t->mem, bytes ? bytes : 1);
        if (!v->grad) ag_fail(t, VCT_STATUS_NO_MEMORY, "tape: no memory for a gradient of %zu bytes", bytes);
    }
    return v->grad;
}

vct_status ag_backward(ag_tape *t, ag_var *out, const float *dout, vct_error *err) {
    if (t->status != VCT_STATUS_OK) return vct_fail(err, t->status, "%s", t->err.msg);
    if (!t->training) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "backward: the tape is in inference mode");
    if (!out || !out->requires_grad) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "backward: output needs no gradient");
    float *g = ag_grad(t, out);
    if (!g) return vct_fail(err, t->status, "%s", t->err.msg);
    int64_t n = ag_numel(out);
    for (int64_t i = 0; i < n; i++) g[i] += dout ? dout[i] : 1.0f;
    for (int64_t k = t->n_nodes - 1; k >= 0; k--) {
        ag_node *nd = &t->nodes[k];
        if (!nd->out->grad) continue; /* no gradient reached this node */
        for (int i = 0; i < nd->n_in; i++)
            if (nd->in[i] && nd->in[i]->requires_grad && !ag_grad(t, nd->in[i]))
                return vct_fail(err, t->status, "%s", t->err.msg);
        size_t mark = t->scratch ? arena_mark(t->scratch) : 0;
        vct_status st = nd->backward(nd, t->scratch, err);
        if (t->scratch) arena_rewind(t->scratch, mark);
        if (st != VCT_STATUS_OK) return vct_error_wrap(err, "backward of %s (node %lld)", nd->op, (long long)k);
    }
    return VCT_STATUS_OK;
}

size_t ag_mark(ag_tape *t) { return arena_mark(t->mem); }

ag_var *ag_keep(ag_tape *t, size_t mark, ag_var *out) {
    if (t->training || !out || t->status != VCT_STATUS_OK) return out;
    ag_var copy = *out;
    arena_rewind(t->mem, mark);
    size_t bytes = (size_t)ag_numel(&copy) * sizeof(float);
    /* the data goes to the mark, at or below where it was: a memmove is safe;
     * only then the struct, which may overwrite the old copy */
    float *d = arena_alloc(t->mem, bytes ? bytes : 1);
    if (!d) return ag_fail(t, VCT_STATUS_INTERNAL, "keep: arena corrupted");
    memmove(d, copy.data, bytes);
    ag_var *v = var_struct(t);
    if (!v) return NULL;
    *v = copy;
    v->data = d;
    return v;
}
