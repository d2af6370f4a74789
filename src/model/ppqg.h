/* ppqg.h: VCT's vision-query generators, forward on the tape: PPQG
 * (prototype-prompted query generation, S4/AVSS) and VCQ (MS3).
 *
 * Reference: models/modeling/transformer_decoder/vision_centric_transformer_decoder.py,
 * classes ProtoVCQ and VCQ (model.md §1.8, §1.8b):
 *   X  = pre_proj(mask_features): Conv1x1(Cin->P) ReLU Conv3x3(P->P, pad 1) ReLU
 *        Conv1x1(P->C), all with bias -> [B,C,H,W] -> [B,C,HW]
 *   E  = query_mixer(X): MLP over the pixel axis HW -> MH -> MH -> Q (ReLU between)
 *        -> [B,C,Q] -> permute -> [Q,B,C]
 *   PPQG: prototypes P = prototype.weight [K_p,C] repeated over B -> [K_p,B,C];
 *         E = pre_attn(E, P): LN(E + MHA_4heads(E, P, P)), no positions, no FFN
 *   Vq = E + AssignAttention(E, X^T)  (model/group_attention.h)  -> [Q,B,C]
 * The reference hard-codes HW = 96*96 (a 384x384 input), P = MH = 256, pre_attn's
 * width 256 and 4 heads, and VCQ's Q = 100; here they are configuration read from
 * (and checked against) the checkpoint's shapes by ppqg_config_from_case.
 * Not supported: other pre_attn variants (pre-norm, dropout). */
#ifndef VCT_MODEL_PPQG_H
#define VCT_MODEL_PPQG_H

#include "model/av_decoder.h"
#include "model/group_attention.h"

typedef struct ppqg_config {
    int64_t in_channels;    /* Cin of mask_features: 256 (= hidden_dim) */
    int64_t proj_channels;  /* P: pre_proj's inner width, 256 (hard-coded) */
    int64_t out_channels;   /* C: 256 (hidden_dim) */
    int64_t num_pixel;      /* HW of mask_features: 96*96 (hard-coded, 384x384 input) */
    int64_t mixer_hidden;   /* MH: 256 (hard-coded in MLP(num_pixel, 256, num_query, 3)) */
    int64_t num_query;      /* Q: NUM_OBJECT_QUERIES (PPQG); 100 for VCQ (its default) */
    int64_t num_prototypes; /* K_p: AVSS NUM_CLASSES (71), S4 23 (hard-coded); 0 = VCQ (MS3) */
    int64_t pre_attn_heads; /* 4 (hard-coded) */
    assign_attn_config assign;
} ppqg_config;

typedef struct ppqg_weights {               /* prefix "...predictor.visual_query_block." */
    param_tensor prototype_weight;                   /* [K_p, C] (unregistered for VCQ) */
    param_tensor pre_proj_0_weight, pre_proj_0_bias; /* [P, Cin, 1, 1], [P] */
    param_tensor pre_proj_2_weight, pre_proj_2_bias; /* [P, P, 3, 3], [P] */
    param_tensor pre_proj_4_weight, pre_proj_4_bias; /* [C, P, 1, 1], [C] */
    mlp_weights query_mixer;                /* HW -> MH -> MH -> Q */
    attn_layer_weights pre_attn;            /* multihead_attn [3C,C].., norm [C] (PPQG only) */
    assign_attn_weights assign_attn;
} ppqg_weights;

/* Sizes from the checkpoint sd under prefix (e.g. "sem_seg_head.predictor.visual_query_block."),
 * checked against the decoder config: a prototype table means PPQG (K_p must be
 * NUM_CLASSES for AVSS, 23 for S4), none means VCQ (MS3 only); Q must equal the
 * decoder's queries; C its width. Messages name the tensor and both shapes. */
vct_status ppqg_config_from_case(ppqg_config *cfg, const av_decoder_config *dec, const char *mapper_name,
                                 const tensor_dict *sd, const char *prefix, vct_error *err);
void ppqg_register(param_table *pt, const char *prefix, const ppqg_config *cfg, ppqg_weights *w, int trainable);

typedef struct ppqg_outputs {
    ag_var *queries;          /* Vq [Q, B, C] */
    ag_var *prototypes;       /* [K_p, B, C] (NULL for VCQ) */
    ag_var *assign_logits;    /* [B, Q, HW]: AssignAttention's logits (the case's [B,1,Q,HW]) */
    int64_t *assign_idx;      /* [B, HW]: the query each pixel went to (tape arena) */
} ppqg_outputs;

/* mask_features [B, Cin, H, W] with H*W = num_pixel. draws: NULL = eval; otherwise
 * training with the Gumbel draw. force_idx: NULL or [B, HW] assignments to use
 * instead of the argmax (`vct conform --inject ppqg.assign_idx`, frozen decisions).
 * Fills out (may be NULL); returns Vq. */
ag_var *ppqg_forward(ag_tape *t, const ppqg_config *cfg, const ppqg_weights *w, ag_var *mask_features,
                     draw_source *draws, const int64_t *force_idx, ppqg_outputs *out);

#endif
