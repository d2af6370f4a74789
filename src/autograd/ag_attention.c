/* ag_attention.c: ops/attention.h on the tape; see ag_attention.h. */
#include "autograd/ag_attention.h"

#include "ops/attention.h"

static vct_status attention_bw(ag_node *n, arena *scratch, vct_error *err) {
    ag_var *q = n->in[0], *k = n->in[1], *v = n->in[2];
    return attention_backward(q->requires_grad ? q->grad : NULL, k->requires_grad ? k->grad : NULL,
                              v->requires_grad ? v->grad : NULL, n->out->grad, n->saved[0], q->data, k->data, v->data,
                              n->iarg[0], n->iarg[1], n->iarg[2], n->iarg[3], n->iarg[4], scratch, err);
}

ag_var *ag_attention(ag_tape *t, ag_var *q, ag_var *k, ag_var *v, const unsigned char *mask) {
    if (!q || !k || !v || t->status != VCT_STATUS_OK) return NULL;
    char a[96], b[96], c[96];
    if (!ag_check(t, q->ndim == 3 && k->ndim == 3 && v->ndim == 3 && k->shape[0] == q->shape[0] &&
                         v->shape[0] == q->shape[0] && k->shape[2] == q->shape[2] && v->shape[1] == k->shape[1] &&
                         q->shape[2] >= 1,
                  "attention", "q %s, k %s, v %s: need [BH,Lq,D], [BH,Lk,D], [BH,Lk,Dv]",
                  shape_str(q->ndim, q->shape, a, sizeof a), shape_str(k->ndim, k->shape, b, sizeof b),
                  shape_str(v->ndim, v->shape, c, sizeof c)))
        return NULL;
    const int64_t BH = q->shape[0], Lq = q->shape[1], D = q->shape[2], Lk = k->shape[1], Dv = v->shape[2];
    ag_var *out = ag_new(t, 3, (int64_t[3]){BH, Lq, Dv});
    if (!out) return NULL;
    float *probs = arena_alloc(t->mem, (size_t)(BH * Lq * Lk) * sizeof(float));
    if (!probs)
        return ag_fail(t, VCT_STATUS_NO_MEMORY, "attention: activation arena full (%zu more bytes for the probabilities)",
                       (size_t)(BH * Lq * Lk) * sizeof(float));
    vct_status st = attention_forward(out->data, probs, q->data, k->data, v->data, NULL, mask, 1, BH, Lq, Lk, D, Dv,
                                      t->scratch, &t->err);
    if (st != VCT_STATUS_OK) return ag_fail(t, st, "attention: %s", t->err.msg);
    ag_var *in[3] = {q, k, v};
    ag_node *n = ag_record(t, "attention", attention_bw, out, in, 3);
    if (n) {
        n->saved[0] = probs;
        n->iarg[0] = BH;
        n->iarg[1] = Lq;
        n->iarg[2] = Lk;
        n->iarg[3] = D;
        n->iarg[4] = Dv;
    }
    return out;
}
