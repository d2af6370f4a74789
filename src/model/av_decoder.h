/* av_decoder.h: the audio-visual transformer decoder of VCT and its layers,
 * forward on the tape (the backward comes from the tape).
 *
 * Reference: models/modeling/transformer_decoder/vision_centric_transformer_decoder.py,
 * classes MultiScaleMaskedVCTDecoder, CrossAttentionLayer, SelfAttentionLayer,
 * FFNLayer, MLP; torch 1.13 nn.MultiheadAttention (model.md §1.9, §4 items 10-11):
 *   memories (token order row-major):  level 0 = audio A [B,C,6,4], levels 1..3 =
 *     multi_scale_features 0..2 (1/32, 1/16, 1/8); value src_l = x_l + level_embed[l],
 *     key = src_l + sine PE of the level's map; all as [HW, B, C] (sequence first)
 *   out0 = query_feat + vision_queries [Q,B,C];  qpos = query_embed
 *   pred_0 = H(out0)
 *   layer i (level l = i mod 4):
 *     mask = l == 0 ? none : (sigmoid(bilinear(pred_i masks, level size)) < 0.5 in fp32;
 *            a query row that is blocked everywhere is opened completely)
 *     out = LN(out + MHA(out + qpos, src_l + pos_l, src_l, mask))      cross-attention
 *     out = LN(out + MHA(out + qpos, out + qpos, out))                    self-attention
 *     out = LN(out + Lin2(ReLU(Lin1(out))))                               FFN
 *     pred_{i+1} = H(out)
 *   H(out): d = decoder_norm(out) as [B,Q,C]; logits = class_embed(d) [B,Q,K+1];
 *           masks[b,q] = mask_embed(d)[b,q] . mask_features[b] -> [B,Q,Hm,Wm]
 *   MHA (torch 1.13): packed in_proj [3C,C] = [Wq;Wk;Wv]; heads split C into M
 *   blocks of C/M (batch-head index b*M + h); q / sqrt(C/M) before q k^T; a blocked
 *   key gets -inf; softmax over keys; out_proj. Every layer is post-norm, dropout 0.
 *   pred_logits/pred_masks = pred_{n_layers}; aux outputs = pred_0 .. pred_{n_layers-1}.
 *   S4/AVSS: feats.proto_feat = normalize(proto_proj(prototypes)) (no eps); the
 *   audio half (audio_proj) lives in model/audio_model.h.
 * The vision queries come from model/ppqg.h (visual_query_block).
 *
 * Not supported (refused by av_decoder_config_from_yaml): PRE_NORM (pre-norm
 * layers), ENFORCE_INPUT_PROJ / in_channels != hidden_dim (the decoder's input_proj
 * convs; VCT's are identities), the cosine loss's middles_attn_mask output. */
#ifndef VCT_MODEL_AV_DECODER_H
#define VCT_MODEL_AV_DECODER_H

#include <cjson/cJSON.h>

#include "autograd/tape.h"
#include "model/transformer_layers.h"

#define AV_DECODER_MAX_LAYERS 32
#define AV_DECODER_LEVELS 4 /* audio + 3 visual scales (fixed in the reference) */

/* ----------------------------------------------------------------- decoder */

typedef struct av_decoder_config {
    int64_t hidden_dim;      /* 256 (MASK_FORMER.HIDDEN_DIM) */
    int64_t num_heads;       /* 8 (MASK_FORMER.NHEADS) */
    int64_t dim_feedforward; /* 2048 (MASK_FORMER.DIM_FEEDFORWARD); 256 in the reduced preset */
    int64_t num_layers;      /* MASK_FORMER.DEC_LAYERS - 1 = 9; 4 in the reduced preset */
    int64_t num_queries;     /* 100 (NUM_OBJECT_QUERIES); 16 in the reduced preset */
    int64_t num_classes;     /* K = SEM_SEG_HEAD.NUM_CLASSES: 71 AVSS, 2 S4/MS3 (class_embed: K+1) */
    int64_t mask_dim;        /* 256 (SEM_SEG_HEAD.MASK_DIM): channels of mask_features */
    int has_proto_proj;      /* 1 for AVSS/S4 (proto_proj, feats.proto_feat), 0 for MS3 */
} av_decoder_config;

typedef struct av_decoder_weights {           /* prefix "sem_seg_head.predictor." */
    attn_layer_weights cross[AV_DECODER_MAX_LAYERS]; /* transformer_cross_attention_layers.{i} */
    attn_layer_weights self[AV_DECODER_MAX_LAYERS];  /* transformer_self_attention_layers.{i} */
    ffn_layer_weights ffn[AV_DECODER_MAX_LAYERS];    /* transformer_ffn_layers.{i} */
    param_tensor decoder_norm_weight, decoder_norm_bias; /* [C] */
    param_tensor query_feat_weight;                      /* [Q, C] */
    param_tensor query_embed_weight;                     /* [Q, C] */
    param_tensor level_embed_weight;                     /* [4, C]: 0 audio, 1..3 = 1/32, 1/16, 1/8 */
    param_tensor class_embed_weight, class_embed_bias;   /* [K+1, C], [K+1] */
    mlp_weights mask_embed;                   /* C -> C -> C -> mask_dim */
    param_tensor proto_proj_weight; /* [C, C], no bias (unregistered for MS3) */
} av_decoder_weights;

/* MODEL.MASK_FORMER / SEM_SEG_HEAD / INPUT.DATASET_MAPPER_NAME of a merged config.
 * Refuses PRE_NORM, ENFORCE_INPUT_PROJ, MASK_DIM != HIDDEN_DIM and more layers than
 * AV_DECODER_MAX_LAYERS, naming the key. */
vct_status av_decoder_config_from_yaml(av_decoder_config *cfg, const cJSON *root, vct_error *err);
/* Register every decoder tensor under "<prefix>" (official: "sem_seg_head.predictor.").
 * The visual_query_block is registered by ppqg_register; audio_proj by model/audio_model.h. */
void av_decoder_register(param_table *pt, const char *prefix, const av_decoder_config *cfg, av_decoder_weights *w,
                         int trainable);

/* The masked-attention masks of one forward, one per layer ([B*M, Q, HW_l] bytes,
 * 1 = blocked; NULL for audio layers). Filled by the forward (record), or, with
 * replay set, taken from here instead of being computed (tests freeze the
 * decisions this way). rows_opened[i] counts the (batch-head, query) rows of layer
 * i that were blocked everywhere and opened (recorded mode). */
typedef struct av_decoder_masks {
    int replay;
    unsigned char *mask[AV_DECODER_MAX_LAYERS];
    int64_t numel[AV_DECODER_MAX_LAYERS];
    int64_t rows_opened[AV_DECODER_MAX_LAYERS];
} av_decoder_masks;

typedef struct av_decoder_outputs {
    int n_preds;                                      /* num_layers + 1 */
    ag_var *pred_logits[AV_DECODER_MAX_LAYERS + 1];   /* [B, Q, K+1]: 0 = initial queries, i+1 after layer i */
    ag_var *pred_masks[AV_DECODER_MAX_LAYERS + 1];    /* [B, Q, Hm, Wm] */
    ag_var *query_after_layer[AV_DECODER_MAX_LAYERS]; /* [Q, B, C] output of FFN layer i */
} av_decoder_outputs;

/* audio [B,C,Ha,Wa]; ms[0..2] [B,C,h_l,w_l] (1/32, 1/16, 1/8); mask_features
 * [B,mask_dim,Hm,Wm]; vision_queries [Q,B,C] (model/ppqg.h). masks: NULL, or as
 * described above (its buffers come from the tape's arena when recording).
 * Fills out; returns the final pred_masks (NULL with t->status set on failure).
 * In inference mode each layer's temporaries are released as it ends. */
ag_var *av_decoder_forward(ag_tape *t, const av_decoder_config *cfg, const av_decoder_weights *w, ag_var *audio,
                           ag_var *const *ms, ag_var *mask_features, ag_var *vision_queries, av_decoder_masks *masks,
                           av_decoder_outputs *out);

/* feats.proto_feat = normalize(proto_proj(prototypes^T)): prototypes [K_p, B, C]
 * -> [B, K_p, C] (L2 over C, no eps). Fails the tape without proto_proj. */
ag_var *av_decoder_proto_feat(ag_tape *t, const av_decoder_config *cfg, const av_decoder_weights *w,
                              ag_var *prototypes);

#endif
