/* ag_activation.c: tape wrappers of ops/activation.h; see ag_activation.h.
 * GELU saves nothing (its backward reads the input); ReLU and sigmoid backwards
 * read the output. */
#include "autograd/ag_activation.h"

#include "ops/activation.h"

typedef void (*act_fwd)(float *out, const float *inp, int64_t n);

static ag_var *act_op(ag_tape *t, ag_var *x, const char *op, act_fwd fwd, ag_backward_fn bw) {
    if (!x || t->status != VCT_STATUS_OK) return NULL;
    ag_var *y = ag_new(t, x->ndim, x->shape);
    if (!y) return NULL;
    fwd(y->data, x->data, ag_numel(x));
    ag_record(t, op, bw, y, &x, 1);
    return y;
}

static vct_status gelu_bw(ag_node *n, arena *scratch, vct_error *err) {
    gelu_backward(n->in[0]->grad, n->out->grad, n->in[0]->data, ag_numel(n->out));
    return VCT_STATUS_OK;
}

static vct_status relu_bw(ag_node *n, arena *scratch, vct_error *err) {
    relu_backward(n->in[0]->grad, n->out->grad, n->out->data, ag_numel(n->out));
    return VCT_STATUS_OK;
}

static vct_status sigmoid_bw(ag_node *n, arena *scratch, vct_error *err) {
    sigmoid_backward(n->in[0]->grad, n->out->grad, n->out->data, ag_numel(n->out));
    return VCT_STATUS_OK;
}

ag_var *ag_gelu(ag_tape *t, ag_var *x) { return act_op(t, x, "gelu", gelu_forward, gelu_bw); }
ag_var *ag_relu(ag_tape *t, ag_var *x) { return act_op(t, x, "relu", relu_forward, relu_bw); }
ag_var *ag_sigmoid(ag_tape *t, ag_var *x) { return act_op(t, x, "sigmoid", sigmoid_forward, sigmoid_bw); }
