/* transformer_layers.c: see transformer_layers.h. */
#include "model/transformer_layers.h"

#include <stdio.h>
#include <string.h>

#include "autograd/ag_activation.h"
#include "autograd/ag_attention.h"
#include "autograd/ag_linalg.h"
#include "autograd/ag_norm.h"
#include "autograd/ag_shape.h"

#define LN_EPS 1e-5f

static void add(param_table *pt, const char *prefix, const char *name, int ndim, int64_t d0, int64_t d1,
                int trainable, param_kind kind, param_tensor *p) {
    int64_t shape[2] = {d0, d1};
    param_add(pt, prefix, name, ndim, shape, trainable, kind, p);
}

/* ------------------------------------------------------------ registration */

void attn_layer_register(param_table *pt, const char *prefix, const char *mha_key, int64_t C,
                         attn_layer_weights *w, int trainable) {
    char n[128];
    mha_weights *a = &w->attn;
    snprintf(n, sizeof n, "%s.in_proj_weight", mha_key);
    add(pt, prefix, n, 2, 3 * C, C, trainable, PARAM_KIND_WEIGHT, &a->in_proj_weight);
    snprintf(n, sizeof n, "%s.in_proj_bias", mha_key);
    add(pt, prefix, n, 1, 3 * C, 0, trainable, PARAM_KIND_WEIGHT, &a->in_proj_bias);
    snprintf(n, sizeof n, "%s.out_proj.weight", mha_key);
    add(pt, prefix, n, 2, C, C, trainable, PARAM_KIND_WEIGHT, &a->out_proj_weight);
    snprintf(n, sizeof n, "%s.out_proj.bias", mha_key);
    add(pt, prefix, n, 1, C, 0, trainable, PARAM_KIND_WEIGHT, &a->out_proj_bias);
    add(pt, prefix, "norm.weight", 1, C, 0, trainable, PARAM_KIND_NORM, &w->norm_weight);
    add(pt, prefix, "norm.bias", 1, C, 0, trainable, PARAM_KIND_NORM, &w->norm_bias);
}

void ffn_layer_register(param_table *pt, const char *prefix, int64_t C, int64_t F, ffn_layer_weights *w,
                        int trainable) {
    add(pt, prefix, "linear1.weight", 2, F, C, trainable, PARAM_KIND_WEIGHT, &w->linear1_weight);
    add(pt, prefix, "linear1.bias", 1, F, 0, trainable, PARAM_KIND_WEIGHT, &w->linear1_bias);
    add(pt, prefix, "linear2.weight", 2, C, F, trainable, PARAM_KIND_WEIGHT, &w->linear2_weight);
    add(pt, prefix, "linear2.bias", 1, C, 0, trainable, PARAM_KIND_WEIGHT, &w->linear2_bias);
    add(pt, prefix, "norm.weight", 1, C, 0, trainable, PARAM_KIND_NORM, &w->norm_weight);
    add(pt, prefix, "norm.bias", 1, C, 0, trainable, PARAM_KIND_NORM, &w->norm_bias);
}

void mlp_register(param_table *pt, const char *prefix, int n_layers, const int64_t *dims, mlp_weights *w,
                  int trainable) {
    memset(w, 0, sizeof *w);
    w->n_layers = n_layers;
    if (n_layers < 1 || n_layers > MLP_MAX_LAYERS) {
        /* a programming error of the caller: make registration fail visibly */
        add(pt, prefix, "layers.<bad count>", 1, -1, 0, 0, PARAM_KIND_WEIGHT, &w->layers_weight[0]);
        return;
    }
    for (int i = 0; i <= n_layers; i++) w->dims[i] = dims[i];
    for (int i = 0; i < n_layers; i++) {
        char n[64];
        snprintf(n, sizeof n, "layers.%d.weight", i);
        add(pt, prefix, n, 2, dims[i + 1], dims[i], trainable, PARAM_KIND_WEIGHT, &w->layers_weight[i]);
        snprintf(n, sizeof n, "layers.%d.bias", i);
        add(pt, prefix, n, 1, dims[i + 1], 0, trainable, PARAM_KIND_WEIGHT, &w->layers_bias[i]);
    }
}

/* ----------------------------------------------------------------- forward */

ag_var *mha_forward(ag_tape *t, const mha_weights *w, int64_t M, ag_var *q, ag_var *k, ag_var *v,
                    const unsigned char *mask) {
    if (!q || !k || !v || t->status != VCT_STATUS_OK) return NULL;
    char a[96], b[96], c[96];
    if (!ag_check(t, q->ndim == 3 && k->ndim == 3 && shape_equal(3, k->shape, v->ndim, v->shape) &&
                         q->shape[1] == k->shape[1] && q->shape[2] == k->shape[2] && M >= 1 && q->shape[2] % M == 0,
                  "multihead_attention", "q %s, k %s, v %s with %lld heads (need [Lq,B,C], [Lk,B,C], C %% heads == 0)",
                  shape_str(q->ndim, q->shape, a, sizeof a), shape_str(k->ndim, k->shape, b, sizeof b),
                  shape_str(v->ndim, v->shape, c, sizeof c), (long long)M))
        return NULL;
    const int64_t Lq = q->shape[0], B = q->shape[1], C = q->shape[2], Lk = k->shape[0], D = C / M;
    /* in_proj rows [0,C) = Wq, [C,2C) = Wk, [2C,3C) = Wv (torch's w.chunk(3)); views, so
     * the gradients land in the packed parameter's */
    ag_var *w_in = ag_param(t, &w->in_proj_weight), *b_in = ag_param(t, &w->in_proj_bias);
    ag_var *wq = ag_narrow(t, w_in, 0, C), *wk = ag_narrow(t, w_in, C, C), *wv = ag_narrow(t, w_in, 2 * C, C);
    ag_var *bq = ag_narrow(t, b_in, 0, C), *bk = ag_narrow(t, b_in, C, C), *bv = ag_narrow(t, b_in, 2 * C, C);
    const int heads_first[3] = {1, 0, 2};
    /* [L,B,C] -> [L,B*M,D] -> [B*M,L,D]: batch-head index b*M + h */
    ag_var *qh = ag_permute(t, ag_reshape(t, ag_linear(t, q, wq, bq), 3, (int64_t[3]){Lq, B * M, D}), heads_first);
    ag_var *kh = ag_permute(t, ag_reshape(t, ag_linear(t, k, wk, bk), 3, (int64_t[3]){Lk, B * M, D}), heads_first);
    ag_var *vh = ag_permute(t, ag_reshape(t, ag_linear(t, v, wv, bv), 3, (int64_t[3]){Lk, B * M, D}), heads_first);
    /* softmax(q / sqrt(D) k^T + mask) v per batch-head */
    ag_var *o = ag_attention(t, qh, kh, vh, mask);
    o = ag_reshape(t, ag_permute(t, o, heads_first), 3, (int64_t[3]){Lq, B, C});
    return ag_linear(t, o, ag_param(t, &w->out_proj_weight), ag_param(t, &w->out_proj_bias));
}

static ag_var *with_pos(ag_tape *t, ag_var *x, ag_var *pos) { return pos ? ag_badd(t, x, pos) : x; }

static ag_var *post_norm(ag_tape *t, const param_tensor *nw, const param_tensor *nb, ag_var *x, ag_var *y) {
    if (!x) return NULL;
    return ag_layernorm(t, ag_add(t, x, y), ag_param(t, nw), ag_param(t, nb), LN_EPS);
}

ag_var *cross_attn_layer_forward(ag_tape *t, const attn_layer_weights *w, int64_t M, ag_var *tgt,
                                 ag_var *memory, const unsigned char *mask, ag_var *pos, ag_var *query_pos) {
    ag_var *a = mha_forward(t, &w->attn, M, with_pos(t, tgt, query_pos), with_pos(t, memory, pos), memory, mask);
    return post_norm(t, &w->norm_weight, &w->norm_bias, tgt, a);
}

ag_var *self_attn_layer_forward(ag_tape *t, const attn_layer_weights *w, int64_t M, ag_var *tgt,
                                ag_var *query_pos) {
    ag_var *qk = with_pos(t, tgt, query_pos);
    ag_var *a = mha_forward(t, &w->attn, M, qk, qk, tgt, NULL);
    return post_norm(t, &w->norm_weight, &w->norm_bias, tgt, a);
}

ag_var *ffn_layer_forward(ag_tape *t, const ffn_layer_weights *w, ag_var *x) {
    ag_var *h = ag_relu(t, ag_linear(t, x, ag_param(t, &w->linear1_weight), ag_param(t, &w->linear1_bias)));
    h = ag_linear(t, h, ag_param(t, &w->linear2_weight), ag_param(t, &w->linear2_bias));
    return post_norm(t, &w->norm_weight, &w->norm_bias, x, h);
}

ag_var *mlp_forward(ag_tape *t, const mlp_weights *w, ag_var *x) {
    for (int i = 0; i < w->n_layers && x; i++) {
        x = ag_linear(t, x, ag_param(t, &w->layers_weight[i]), ag_param(t, &w->layers_bias[i]));
        if (i < w->n_layers - 1) x = ag_relu(t, x);
    }
    return x;
}

