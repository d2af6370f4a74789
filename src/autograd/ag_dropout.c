/* ag_dropout.c: see ag_dropout.h. The keep mask (0/1 per sample) lives on the
 * tape's arena; the kernels are ops/dropout.h's drop_path_forward/backward. */
#include "autograd/ag_dropout.h"

#include "ops/dropout.h"

static vct_status drop_path_bw(ag_node *n, arena *scratch, vct_error *err) {
    return drop_path_backward(n->in[0]->grad, n->out->grad, (const uint8_t *)n->parg, n->iarg[0], n->iarg[1],
                              n->farg[0], err);
}

ag_var *ag_drop_path(ag_tape *t, ag_var *x, double drop_prob, draw_source *draws, const char *site) {
    if (!x || t->status != VCT_STATUS_OK) return NULL;
    if (drop_prob == 0.0 || !draws) return x;
    if (!ag_check(t, x->ndim >= 1 && drop_prob > 0.0 && drop_prob < 1.0, "drop_path", "%d-d input, p = %g",
                  x->ndim, drop_prob))
        return NULL;
    const int64_t B = x->shape[0], D = B ? ag_numel(x) / B : 0;
    /* the draw (float 0/1 [B]) and the kernel's u8 mask, which the backward reads */
    float *drawn = arena_alloc(t->mem, (size_t)(B ? B : 1) * sizeof(float));
    uint8_t *mask = arena_alloc(t->mem, (size_t)(B ? B : 1));
    if (!drawn || !mask) return ag_fail(t, VCT_STATUS_NO_MEMORY, "drop_path: arena full");
    vct_status st = draw_source_droppath_keep(draws, drawn, B, x->ndim, 1.0 - drop_prob, site, &t->err);
    if (st != VCT_STATUS_OK) return ag_fail(t, st, "drop_path: %s", t->err.msg);
    for (int64_t b = 0; b < B; b++) mask[b] = drawn[b] != 0.0f;
    ag_var *y = ag_new(t, x->ndim, x->shape);
    if (!y) return NULL;
    st = drop_path_forward(y->data, x->data, mask, B, D, drop_prob, &t->err);
    if (st != VCT_STATUS_OK) return ag_fail(t, st, "drop_path: %s", t->err.msg);
    ag_node *n = ag_record(t, "drop_path", drop_path_bw, y, &x, 1);
    if (n) {
        n->parg = mask;
        n->iarg[0] = B;
        n->iarg[1] = D;
        n->farg[0] = drop_prob;
    }
    return y;
}
