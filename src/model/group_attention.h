/* group_attention.h: AssignAttention, the hard grouping attention VCT's query
 * block borrows from GroupViT, forward on the tape.
 *
 * Reference: models/modeling/transformer_decoder/group_attention.py, class
 * AssignAttention (with hard_softmax / gumbel_softmax); model.md §1.8 step 5, §4.12.
 *   q = q_proj(query) [B,N,C];  k = k_proj(key), v = v_proj(key) [B,S,C]  (value = key)
 *   R = (q k^T) * scale                        [B,N,S]   scale = C^-0.5 (fp32, after the product)
 *   train (gumbel): Y = softmax over N of (R + G) / tau, G ~ Gumbel(0,1) [B,1,N,S] drawn
 *          through the draw source (one draw, kind "gumbel");  eval: Y = softmax over N of R
 *   A = onehot(first argmax over N of Y) - Y.detach() + Y   (straight-through; = one-hot)
 *   A = A / (sum over S of A + assign_eps)
 *   out = proj(A v)                             [B,N,C]
 * The assignment kernel is autograd/ag_assign.h.
 * Not supported: num_heads > 1, soft assignment (hard=False), sum_assign, qk_scale,
 * dropout (VCT: 1 head, hard, no sum_assign, dropout 0). */
#ifndef VCT_MODEL_GROUP_ATTENTION_H
#define VCT_MODEL_GROUP_ATTENTION_H

#include "autograd/tape.h"
#include "core/rng.h"
#include "autograd/param_table.h"

typedef struct assign_attn_config {
    int64_t dim;       /* C: 256 (hidden_dim) */
    float scale;       /* dim^-0.5 as fp32 (head_dim ** -0.5 with one head) */
    int gumbel;        /* 1: Gumbel noise when a draw source is given (training) */
    float gumbel_tau;  /* 1.0 */
    float assign_eps;  /* 1.0 */
} assign_attn_config;

typedef struct assign_attn_weights {      /* AssignAttention (qkv_bias=True) */
    param_tensor q_proj_weight, q_proj_bias; /* [C, C], [C] */
    param_tensor k_proj_weight, k_proj_bias; /* [C, C], [C] */
    param_tensor v_proj_weight, v_proj_bias; /* [C, C], [C] */
    param_tensor proj_weight, proj_bias;     /* [C, C], [C] */
} assign_attn_weights;

/* The configuration VCT builds: AssignAttention(C, 1, qkv_bias=True, gumbel=True). */
assign_attn_config assign_attn_default_config(int64_t C);
void assign_attn_register(param_table *pt, const char *prefix, const assign_attn_config *cfg,
                          assign_attn_weights *w, int trainable);

/* What one forward decided (optional; pointers into the tape's arena). */
typedef struct assign_attn_trace {
    ag_var *logits;  /* R [B, N, S] before any noise */
    int64_t *idx;    /* [B, S]: the query each pixel was assigned to */
    float *gumbel;   /* [B, N, S] the noise used, or NULL */
} assign_attn_trace;

/* query [B,N,C], key [B,S,C] -> [B,N,C]. draws: NULL = eval (no noise); otherwise
 * training with Gumbel noise (if cfg->gumbel) drawn from it; site names the call in
 * draw errors. force_idx: NULL, or [B,S] assignments to use instead of the argmax.
 * trace: NULL or filled. */
ag_var *assign_attn_forward(ag_tape *t, const assign_attn_config *cfg, const assign_attn_weights *w, ag_var *query,
                            ag_var *key, draw_source *draws, const char *site, const int64_t *force_idx,
                            assign_attn_trace *trace);

#endif
