/* transformer_layers.h: the generic transformer layers of the VCT decoder and the
 * PPQG, forward on the tape (the backward comes from the tape).
 *
 * Reference: models/modeling/transformer_decoder/vision_centric_transformer_decoder.py,
 * classes CrossAttentionLayer, SelfAttentionLayer, FFNLayer, MLP; torch 1.13
 * nn.MultiheadAttention (model.md §1.9, §4 items 10-11):
 *   MHA: packed in_proj [3C,C] = [Wq;Wk;Wv]; heads split C into M blocks of C/M
 *   (batch-head index b*M + h); q / sqrt(C/M) before q k^T; a blocked key gets
 *   -inf; softmax over keys; out_proj. Every layer is post-norm, dropout 0.
 * Users: model/av_decoder.h (the decoder), model/ppqg.h (pre_attn, query_mixer). */
#ifndef VCT_MODEL_TRANSFORMER_LAYERS_H
#define VCT_MODEL_TRANSFORMER_LAYERS_H

#include "autograd/param_table.h"
#include "autograd/tape.h"

#define MLP_MAX_LAYERS 4

typedef struct mha_weights {                  /* nn.MultiheadAttention */
    param_tensor in_proj_weight, in_proj_bias;   /* [3C, C], [3C]: rows q, k, v */
    param_tensor out_proj_weight, out_proj_bias; /* [C, C], [C] */
} mha_weights;

typedef struct attn_layer_weights {           /* CrossAttentionLayer / SelfAttentionLayer */
    mha_weights attn;                         /* multihead_attn / self_attn */
    param_tensor norm_weight, norm_bias; /* [C] */
} attn_layer_weights;

typedef struct ffn_layer_weights {            /* FFNLayer */
    param_tensor linear1_weight, linear1_bias; /* [F, C], [F] */
    param_tensor linear2_weight, linear2_bias; /* [C, F], [C] */
    param_tensor norm_weight, norm_bias;       /* [C] */
} ffn_layer_weights;

typedef struct mlp_weights {                  /* MLP: layers.{i}, ReLU between layers */
    int n_layers;
    int64_t dims[MLP_MAX_LAYERS + 1];         /* in, hidden..., out */
    param_tensor layers_weight[MLP_MAX_LAYERS]; /* [dims[i+1], dims[i]] */
    param_tensor layers_bias[MLP_MAX_LAYERS];   /* [dims[i+1]] */
} mlp_weights;

/* Registration under "<prefix>" (e.g. "...transformer_cross_attention_layers.0.");
 * mha_key is "multihead_attn" or "self_attn". trainable = 0 registers no gradients. */
void attn_layer_register(param_table *pt, const char *prefix, const char *mha_key, int64_t C,
                         attn_layer_weights *w, int trainable);
void ffn_layer_register(param_table *pt, const char *prefix, int64_t C, int64_t F, ffn_layer_weights *w,
                        int trainable);
/* dims: n_layers + 1 sizes (in, hidden..., out) */
void mlp_register(param_table *pt, const char *prefix, int n_layers, const int64_t *dims, mlp_weights *w,
                  int trainable);

/* nn.MultiheadAttention forward (torch 1.13 semantics; dropout 0). q [Lq,B,C],
 * k and v [Lk,B,C] (sequence first); M heads; mask NULL or [B*M, Lq, Lk] bytes
 * (1 = blocked, b*M + h; no row may be blocked everywhere) that must outlive the
 * tape. Returns [Lq, B, C]. */
ag_var *mha_forward(ag_tape *t, const mha_weights *w, int64_t M, ag_var *q, ag_var *k, ag_var *v,
                    const unsigned char *mask);
/* post-norm CrossAttentionLayer: LN(tgt + MHA(tgt + query_pos, memory + pos, memory, mask));
 * query_pos [Lq,1|B,C] and pos [Lk,1|B,C] may be NULL (broadcast over B) */
ag_var *cross_attn_layer_forward(ag_tape *t, const attn_layer_weights *w, int64_t M, ag_var *tgt,
                                 ag_var *memory, const unsigned char *mask, ag_var *pos, ag_var *query_pos);
/* post-norm SelfAttentionLayer: LN(tgt + MHA(tgt + query_pos, tgt + query_pos, tgt)) */
ag_var *self_attn_layer_forward(ag_tape *t, const attn_layer_weights *w, int64_t M, ag_var *tgt,
                                ag_var *query_pos);
/* post-norm FFNLayer: LN(x + Lin2(ReLU(Lin1(x)))) */
ag_var *ffn_layer_forward(ag_tape *t, const ffn_layer_weights *w, ag_var *x);
/* MLP over the last dim: ReLU after every layer but the last */
ag_var *mlp_forward(ag_tape *t, const mlp_weights *w, ag_var *x);

#endif
