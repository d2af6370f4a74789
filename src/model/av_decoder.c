/* av_decoder.c: see av_decoder.h. */
#include "model/av_decoder.h"

#include <stdio.h>
#include <string.h>

#include "autograd/ag_activation.h"
#include "autograd/ag_linalg.h"
#include "autograd/ag_norm.h"
#include "autograd/ag_shape.h"
#include "io/yaml.h"
#include "model/position_encoding.h"
#include "ops/activation.h"
#include "ops/interpolate.h"

#define LN_EPS 1e-5f

static void add(param_table *pt, const char *prefix, const char *name, int ndim, int64_t d0, int64_t d1,
                int trainable, param_kind kind, param_tensor *p) {
    int64_t shape[2] = {d0, d1};
    param_add(pt, prefix, name, ndim, shape, trainable, kind, p);
}

/* ------------------------------------------------------------ registration */

/* ----------------------------------------------------------------- decoder */

static vct_status get_bool(const cJSON *root, const char *key, int *out, vct_error *err) {
    const cJSON *n = yaml_get(root, key);
    if (!n || !cJSON_IsBool(n)) return vct_fail(err, VCT_STATUS_FORMAT, "config %s: expected true or false", key);
    *out = cJSON_IsTrue(n);
    return VCT_STATUS_OK;
}

vct_status av_decoder_config_from_yaml(av_decoder_config *cfg, const cJSON *root, vct_error *err) {
    long hidden, heads, ffn, layers, queries, classes, mask_dim, convs_dim;
    int pre_norm, enforce;
    const char *mapper;
    memset(cfg, 0, sizeof *cfg);
    VCT_TRY(yaml_get_int(root, "MODEL.MASK_FORMER.HIDDEN_DIM", &hidden, err));
    VCT_TRY(yaml_get_int(root, "MODEL.MASK_FORMER.NHEADS", &heads, err));
    VCT_TRY(yaml_get_int(root, "MODEL.MASK_FORMER.DIM_FEEDFORWARD", &ffn, err));
    VCT_TRY(yaml_get_int(root, "MODEL.MASK_FORMER.DEC_LAYERS", &layers, err));
    VCT_TRY(yaml_get_int(root, "MODEL.MASK_FORMER.NUM_OBJECT_QUERIES", &queries, err));
    VCT_TRY(yaml_get_int(root, "MODEL.SEM_SEG_HEAD.NUM_CLASSES", &classes, err));
    VCT_TRY(yaml_get_int(root, "MODEL.SEM_SEG_HEAD.MASK_DIM", &mask_dim, err));
    VCT_TRY(yaml_get_int(root, "MODEL.SEM_SEG_HEAD.CONVS_DIM", &convs_dim, err));
    VCT_TRY(get_bool(root, "MODEL.MASK_FORMER.PRE_NORM", &pre_norm, err));
    VCT_TRY(get_bool(root, "MODEL.MASK_FORMER.ENFORCE_INPUT_PROJ", &enforce, err));
    VCT_TRY(yaml_get_str(root, "INPUT.DATASET_MAPPER_NAME", &mapper, err));
    if (pre_norm)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config MODEL.MASK_FORMER.PRE_NORM: pre-norm decoder layers are not supported");
    if (enforce || convs_dim != hidden)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED,
                        "config MODEL.MASK_FORMER.ENFORCE_INPUT_PROJ %s with SEM_SEG_HEAD.CONVS_DIM %ld, HIDDEN_DIM %ld: "
                        "the decoder's input_proj convolutions are not supported (VCT's are identities)",
                        enforce ? "true" : "false", convs_dim, hidden);
    if (layers < 2 || layers - 1 > AV_DECODER_MAX_LAYERS)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config MODEL.MASK_FORMER.DEC_LAYERS %ld: need 2..%d", layers,
                        AV_DECODER_MAX_LAYERS + 1);
    if (hidden < 2 || hidden % 2 || heads < 1 || hidden % heads)
        return vct_fail(err, VCT_STATUS_FORMAT, "config MODEL.MASK_FORMER.HIDDEN_DIM %ld with NHEADS %ld: need an even "
                        "width divisible by the heads", hidden, heads);
    if (mask_dim != hidden)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config MODEL.SEM_SEG_HEAD.MASK_DIM %ld != HIDDEN_DIM %ld "
                        "(the query block reads mask_features with HIDDEN_DIM channels)", mask_dim, hidden);
    if (ffn < 1 || queries < 1 || classes < 1)
        return vct_fail(err, VCT_STATUS_FORMAT, "config: DIM_FEEDFORWARD %ld, NUM_OBJECT_QUERIES %ld, NUM_CLASSES %ld",
                        ffn, queries, classes);
    cfg->hidden_dim = hidden;
    cfg->num_heads = heads;
    cfg->dim_feedforward = ffn;
    cfg->num_layers = layers - 1; /* the reference builds DEC_LAYERS - 1 layers */
    cfg->num_queries = queries;
    cfg->num_classes = classes;
    cfg->mask_dim = mask_dim;
    cfg->has_proto_proj = strcmp(mapper, "avsms3_semantic") != 0;
    return VCT_STATUS_OK;
}

void av_decoder_register(param_table *pt, const char *prefix, const av_decoder_config *cfg, av_decoder_weights *w,
                         int trainable) {
    const int64_t C = cfg->hidden_dim, Q = cfg->num_queries, K1 = cfg->num_classes + 1;
    memset(w, 0, sizeof *w);
    char p[256];
    for (int64_t i = 0; i < cfg->num_layers && i < AV_DECODER_MAX_LAYERS; i++) {
        snprintf(p, sizeof p, "%stransformer_self_attention_layers.%lld.", prefix, (long long)i);
        attn_layer_register(pt, p, "self_attn", C, &w->self[i], trainable);
        snprintf(p, sizeof p, "%stransformer_cross_attention_layers.%lld.", prefix, (long long)i);
        attn_layer_register(pt, p, "multihead_attn", C, &w->cross[i], trainable);
        snprintf(p, sizeof p, "%stransformer_ffn_layers.%lld.", prefix, (long long)i);
        ffn_layer_register(pt, p, C, cfg->dim_feedforward, &w->ffn[i], trainable);
    }
    add(pt, prefix, "decoder_norm.weight", 1, C, 0, trainable, PARAM_KIND_NORM, &w->decoder_norm_weight);
    add(pt, prefix, "decoder_norm.bias", 1, C, 0, trainable, PARAM_KIND_NORM, &w->decoder_norm_bias);
    add(pt, prefix, "query_feat.weight", 2, Q, C, trainable, PARAM_KIND_EMBEDDING, &w->query_feat_weight);
    add(pt, prefix, "query_embed.weight", 2, Q, C, trainable, PARAM_KIND_EMBEDDING, &w->query_embed_weight);
    add(pt, prefix, "level_embed.weight", 2, AV_DECODER_LEVELS, C, trainable, PARAM_KIND_EMBEDDING,
        &w->level_embed_weight);
    add(pt, prefix, "class_embed.weight", 2, K1, C, trainable, PARAM_KIND_WEIGHT, &w->class_embed_weight);
    add(pt, prefix, "class_embed.bias", 1, K1, 0, trainable, PARAM_KIND_WEIGHT, &w->class_embed_bias);
    int64_t dims[4] = {C, C, C, cfg->mask_dim};
    snprintf(p, sizeof p, "%smask_embed.", prefix);
    mlp_register(pt, p, 3, dims, &w->mask_embed, trainable);
    if (cfg->has_proto_proj)
        add(pt, prefix, "proto_proj.weight", 2, C, C, trainable, PARAM_KIND_WEIGHT, &w->proto_proj_weight);
}

/* The sine position embedding of an h x w map as a constant [h*w, 1, C] (tokens row-major). */
static ag_var *memory_pos(ag_tape *t, int64_t h, int64_t w, int64_t C) {
    ag_var *pos = ag_new(t, 3, (int64_t[3]){h * w, 1, C});
    if (!pos) return NULL;
    size_t mark = arena_mark(t->mem);
    float *chw = arena_alloc(t->mem, (size_t)(C * h * w) * sizeof(float));
    if (!chw) return ag_fail(t, VCT_STATUS_NO_MEMORY, "av_decoder: no memory for a position embedding");
    vct_status st = position_embedding_sine(chw, h, w, C / 2, 10000.0f, &t->err);
    if (st != VCT_STATUS_OK) return ag_fail(t, st, "av_decoder: %s", t->err.msg);
    for (int64_t c = 0; c < C; c++)
        for (int64_t k = 0; k < h * w; k++) pos->data[k * C + c] = chw[c * h * w + k];
    arena_rewind(t->mem, mark);
    return pos;
}

/* value memory of one level: x [B,C,h,w] -> [h*w, B, C] + level_embed[l] */
static ag_var *memory_src(ag_tape *t, const av_decoder_weights *w, int64_t C, int l, ag_var *x) {
    if (!x) return NULL;
    const int64_t B = x->shape[0], HW = x->shape[2] * x->shape[3];
    const int to_seq[3] = {2, 0, 1};
    ag_var *s = ag_permute(t, ag_reshape(t, x, 3, (int64_t[3]){B, C, HW}), to_seq);
    /* level_embed.weight[l] as [1, 1, C] (a view: its gradient lands in the table) */
    ag_var *le = ag_reshape(t, ag_narrow(t, ag_param(t, &w->level_embed_weight), l, 1), 3, (int64_t[3]){1, 1, C});
    return ag_badd(t, s, le);
}

/* forward_prediction_heads: out [Q,B,C], mf [B,Cm,HW] -> logits [B,Q,K+1], masks [B,Q,Hm,Wm] */
static void heads(ag_tape *t, const av_decoder_config *cfg, const av_decoder_weights *w, ag_var *out, ag_var *mf,
                  int64_t Hm, int64_t Wm, ag_var **logits, ag_var **masks) {
    const int batch_first[3] = {1, 0, 2};
    ag_var *d = ag_layernorm(t, out, ag_param(t, &w->decoder_norm_weight), ag_param(t, &w->decoder_norm_bias), LN_EPS);
    d = ag_permute(t, d, batch_first);
    *logits = ag_linear(t, d, ag_param(t, &w->class_embed_weight), ag_param(t, &w->class_embed_bias));
    ag_var *e = mlp_forward(t, &w->mask_embed, d);           /* [B,Q,Cm] */
    ag_var *m = ag_matmul(t, e, mf, 0, 0);                     /* einsum bqc,bchw->bqhw */
    *masks = m ? ag_reshape(t, m, 4, (int64_t[4]){m->shape[0], m->shape[1], Hm, Wm}) : NULL;
}

/* The attention mask of the next layer from pred masks [B,Q,Hm,Wm]: bilinear to h x w,
 * blocked iff fp32 sigmoid < 0.5, same for all M heads, fully blocked rows opened. */
static unsigned char *attn_mask(ag_tape *t, const ag_var *masks, int64_t h, int64_t w, int64_t M,
                                int64_t *opened) {
    const int64_t B = masks->shape[0], Q = masks->shape[1], Hm = masks->shape[2], Wm = masks->shape[3], HW = h * w;
    unsigned char *mk = arena_alloc(t->mem, (size_t)(B * M * Q * HW));
    if (!mk) {
        ag_fail(t, VCT_STATUS_NO_MEMORY, "av_decoder: no memory for an attention mask");
        return NULL;
    }
    size_t mark = arena_mark(t->mem);
    float *small = arena_alloc(t->mem, (size_t)(B * Q * HW) * sizeof(float));
    unsigned char *row = arena_alloc(t->mem, (size_t)HW);
    if (!small || !row) {
        ag_fail(t, VCT_STATUS_NO_MEMORY, "av_decoder: no memory for an attention mask");
        return NULL;
    }
    vct_status st = interpolate_bilinear_forward(small, masks->data, B, Q, Hm, Wm, h, w, 0, t->scratch, &t->err);
    if (st != VCT_STATUS_OK) {
        ag_fail(t, st, "av_decoder: attention mask: %s", t->err.msg);
        return NULL;
    }
    for (int64_t b = 0; b < B; b++)
        for (int64_t q = 0; q < Q; q++) {
            const float *m = small + (b * Q + q) * HW;
            int64_t n_blocked = 0;
            for (int64_t k = 0; k < HW; k++) n_blocked += row[k] = sigmoid_f32(m[k]) < 0.5f;
            if (n_blocked == HW) { /* the reference opens a row that is blocked everywhere */
                memset(row, 0, (size_t)HW);
                *opened += M;
            }
            for (int64_t hh = 0; hh < M; hh++) memcpy(mk + ((b * M + hh) * Q + q) * HW, row, (size_t)HW);
        }
    arena_rewind(t->mem, mark);
    return mk;
}

ag_var *av_decoder_forward(ag_tape *t, const av_decoder_config *cfg, const av_decoder_weights *w, ag_var *audio,
                           ag_var *const *ms, ag_var *mask_features, ag_var *vision_queries, av_decoder_masks *masks,
                           av_decoder_outputs *out) {
    memset(out, 0, sizeof *out);
    if (!audio || !ms || !ms[0] || !ms[1] || !ms[2] || !mask_features || !vision_queries || t->status != VCT_STATUS_OK)
        return NULL;
    const int64_t C = cfg->hidden_dim, Q = cfg->num_queries, M = cfg->num_heads, L = cfg->num_layers;
    const int64_t B = mask_features->shape[0];
    char a[96], b[96];
    if (!ag_check(t, L >= 1 && L <= AV_DECODER_MAX_LAYERS, "av_decoder", "%lld layers (1..%d)", (long long)L,
                  AV_DECODER_MAX_LAYERS))
        return NULL;
    if (!ag_check(t, mask_features->ndim == 4 && mask_features->shape[1] == cfg->mask_dim, "av_decoder",
                  "mask_features %s: need [B,%lld,H,W]", shape_str(mask_features->ndim, mask_features->shape, a, sizeof a),
                  (long long)cfg->mask_dim) ||
        !ag_check(t, vision_queries->ndim == 3 && vision_queries->shape[0] == Q && vision_queries->shape[1] == B &&
                         vision_queries->shape[2] == C,
                  "av_decoder", "vision queries %s: need [%lld,%lld,%lld]",
                  shape_str(vision_queries->ndim, vision_queries->shape, a, sizeof a), (long long)Q, (long long)B,
                  (long long)C))
        return NULL;
    ag_var *mem_in[AV_DECODER_LEVELS] = {audio, ms[0], ms[1], ms[2]};
    for (int l = 0; l < AV_DECODER_LEVELS; l++)
        if (!ag_check(t, mem_in[l]->ndim == 4 && mem_in[l]->shape[0] == B && mem_in[l]->shape[1] == C, "av_decoder",
                      "memory %d (%s) %s: need [%lld,%lld,h,w]", l, l ? "visual" : "audio",
                      shape_str(mem_in[l]->ndim, mem_in[l]->shape, b, sizeof b), (long long)B, (long long)C))
            return NULL;
    const int64_t Hm = mask_features->shape[2], Wm = mask_features->shape[3];
    ag_var *mf = ag_reshape(t, mask_features, 3, (int64_t[3]){B, cfg->mask_dim, Hm * Wm});

    /* memories: value src_l and positions pos_l (constants) */
    ag_var *src[AV_DECODER_LEVELS], *pos[AV_DECODER_LEVELS];
    for (int l = 0; l < AV_DECODER_LEVELS; l++) {
        pos[l] = memory_pos(t, mem_in[l]->shape[2], mem_in[l]->shape[3], C);
        src[l] = memory_src(t, w, C, l, mem_in[l]);
    }
    /* queries: query_feat (broadcast over B) + vision queries; query_embed as position */
    ag_var *qpos = ag_reshape(t, ag_param(t, &w->query_embed_weight), 3, (int64_t[3]){Q, 1, C});
    ag_var *qfeat = ag_reshape(t, ag_param(t, &w->query_feat_weight), 3, (int64_t[3]){Q, 1, C});
    ag_var *x = ag_badd(t, qfeat, vision_queries);
    heads(t, cfg, w, x, mf, Hm, Wm, &out->pred_logits[0], &out->pred_masks[0]);
    for (int64_t i = 0; i < L && t->status == VCT_STATUS_OK; i++) {
        const int l = (int)(i % AV_DECODER_LEVELS);
        const unsigned char *mk = NULL;
        if (l != 0) { /* audio layers attend everywhere */
            if (masks && masks->replay) {
                const int64_t need = B * M * Q * mem_in[l]->shape[2] * mem_in[l]->shape[3];
                if (!ag_check(t, masks->mask[i] && masks->numel[i] == need, "av_decoder",
                              "replayed mask of layer %lld: %lld entries, need %lld", (long long)i,
                              (long long)masks->numel[i], (long long)need))
                    return NULL;
                mk = masks->mask[i];
            } else {
                int64_t opened = 0;
                mk = attn_mask(t, out->pred_masks[i], mem_in[l]->shape[2], mem_in[l]->shape[3], M, &opened);
                if (!mk) return NULL;
                if (masks) {
                    masks->mask[i] = (unsigned char *)mk;
                    masks->numel[i] = B * M * Q * mem_in[l]->shape[2] * mem_in[l]->shape[3];
                    masks->rows_opened[i] = opened;
                }
            }
        } else if (masks && !masks->replay) {
            masks->mask[i] = NULL;
            masks->numel[i] = 0;
            masks->rows_opened[i] = 0;
        }
        size_t mark = ag_mark(t);
        x = cross_attn_layer_forward(t, &w->cross[i], M, x, src[l], mk, pos[l], qpos);
        x = self_attn_layer_forward(t, &w->self[i], M, x, qpos);
        x = ffn_layer_forward(t, &w->ffn[i], x);
        x = ag_keep(t, mark, x);
        out->query_after_layer[i] = x;
        heads(t, cfg, w, x, mf, Hm, Wm, &out->pred_logits[i + 1], &out->pred_masks[i + 1]);
    }
    if (t->status != VCT_STATUS_OK) return NULL;
    out->n_preds = (int)L + 1;
    return out->pred_masks[L];
}

ag_var *av_decoder_proto_feat(ag_tape *t, const av_decoder_config *cfg, const av_decoder_weights *w,
                              ag_var *prototypes) {
    if (!prototypes || t->status != VCT_STATUS_OK) return NULL;
    const int64_t C = cfg->hidden_dim;
    char a[96];
    if (!ag_check(t, w->proto_proj_weight.data != NULL, "proto_feat", "this decoder has no proto_proj (MS3)") ||
        !ag_check(t, prototypes->ndim == 3 && prototypes->shape[2] == C, "proto_feat", "prototypes %s: need [K,B,%lld]",
                  shape_str(prototypes->ndim, prototypes->shape, a, sizeof a), (long long)C))
        return NULL;
    const int batch_first[3] = {1, 0, 2};
    ag_var *p = ag_linear(t, ag_permute(t, prototypes, batch_first),
                          ag_param(t, &w->proto_proj_weight), NULL);
    return ag_l2normalize(t, p);
}
