/* group_attention.c: see group_attention.h. */
#include "model/group_attention.h"

#include <math.h>
#include <string.h>

#include "autograd/ag_assign.h"
#include "autograd/ag_linalg.h"
#include "autograd/ag_shape.h"

assign_attn_config assign_attn_default_config(int64_t C) {
    assign_attn_config c;
    c.dim = C;
    c.scale = (float)pow((double)C, -0.5); /* Python: head_dim ** -0.5, used as a float32 scalar */
    c.gumbel = 1;
    c.gumbel_tau = 1.0f;
    c.assign_eps = 1.0f;
    return c;
}

static void add(param_table *pt, const char *prefix, const char *name, int ndim, int64_t C, int trainable,
                param_tensor *p) {
    int64_t shape[2] = {C, C};
    param_add(pt, prefix, name, ndim, shape, trainable, PARAM_KIND_WEIGHT, p); /* nn.Linear */
}

void assign_attn_register(param_table *pt, const char *prefix, const assign_attn_config *cfg,
                          assign_attn_weights *w, int trainable) {
    const int64_t C = cfg->dim;
    memset(w, 0, sizeof *w);
    add(pt, prefix, "q_proj.weight", 2, C, trainable, &w->q_proj_weight);
    add(pt, prefix, "q_proj.bias", 1, C, trainable, &w->q_proj_bias);
    add(pt, prefix, "k_proj.weight", 2, C, trainable, &w->k_proj_weight);
    add(pt, prefix, "k_proj.bias", 1, C, trainable, &w->k_proj_bias);
    add(pt, prefix, "v_proj.weight", 2, C, trainable, &w->v_proj_weight);
    add(pt, prefix, "v_proj.bias", 1, C, trainable, &w->v_proj_bias);
    add(pt, prefix, "proj.weight", 2, C, trainable, &w->proj_weight);
    add(pt, prefix, "proj.bias", 1, C, trainable, &w->proj_bias);
}

ag_var *assign_attn_forward(ag_tape *t, const assign_attn_config *cfg, const assign_attn_weights *w, ag_var *query,
                            ag_var *key, draw_source *draws, const char *site, const int64_t *force_idx,
                            assign_attn_trace *trace) {
    if (trace) memset(trace, 0, sizeof *trace);
    if (!query || !key || t->status != VCT_STATUS_OK) return NULL;
    const int64_t C = cfg->dim;
    char a[96], b[96];
    if (!ag_check(t, query->ndim == 3 && key->ndim == 3 && query->shape[2] == C && key->shape[2] == C &&
                         query->shape[0] == key->shape[0],
                  "assign_attn", "query %s, key %s: need [B,N,%lld], [B,S,%lld]",
                  shape_str(query->ndim, query->shape, a, sizeof a), shape_str(key->ndim, key->shape, b, sizeof b),
                  (long long)C, (long long)C))
        return NULL;
    const int64_t B = query->shape[0], N = query->shape[1], S = key->shape[1];
    ag_var *q = ag_linear(t, query, ag_param(t, &w->q_proj_weight), ag_param(t, &w->q_proj_bias));
    ag_var *k = ag_linear(t, key, ag_param(t, &w->k_proj_weight), ag_param(t, &w->k_proj_bias));
    ag_var *v = ag_linear(t, key, ag_param(t, &w->v_proj_weight), ag_param(t, &w->v_proj_bias));
    /* raw_attn = (q @ k^T) * scale */
    ag_var *raw = ag_scale(t, ag_matmul(t, q, k, 0, 1), cfg->scale);
    float *noise = NULL;
    if (draws && cfg->gumbel && t->status == VCT_STATUS_OK) {
        noise = arena_alloc(t->mem, (size_t)(B * N * S) * sizeof(float));
        if (!noise) return ag_fail(t, VCT_STATUS_NO_MEMORY, "assign_attn: no memory for the Gumbel noise");
        /* the reference draws Gumbel(0,1).sample(logits.shape) for logits [B, heads=1, N, S] */
        vct_status st = draw_source_gumbel(draws, noise, 4, (int64_t[4]){B, 1, N, S}, site, &t->err);
        if (st != VCT_STATUS_OK) return ag_fail(t, st, "assign_attn: %s", t->err.msg);
    }
    int64_t *idx = arena_alloc(t->mem, (size_t)(B * S) * sizeof(int64_t));
    if (!idx) return ag_fail(t, VCT_STATUS_NO_MEMORY, "assign_attn: no memory for the assignment");
    ag_var *attn = ag_assign(t, raw, noise, cfg->gumbel_tau, cfg->assign_eps, force_idx, idx);
    ag_var *out = ag_matmul(t, attn, v, 0, 0); /* [B,N,S] @ [B,S,C] */
    out = ag_linear(t, out, ag_param(t, &w->proj_weight), ag_param(t, &w->proj_bias));
    if (trace && t->status == VCT_STATUS_OK) {
        trace->logits = raw;
        trace->idx = idx;
        trace->gumbel = noise;
    }
    return out;
}
