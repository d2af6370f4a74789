/* test_optimizer.c: the whole optimizer step (train/optimizer.h) against the OFFICIAL
 * train_net.py optimizer and scheduler on a tiny model (tests/ref/gen_optim_step.py):
 * Trainer.build_optimizer's groups (backbone multiplier for backbone.* and
 * pre_sam_backbone.*, no weight decay on LayerNorm / GroupNorm / nn.Embedding /
 * relative_position_bias_table, decay on the bare level_embed, MHA in_proj_*,
 * logit_scale), FullModelGradientClippingOptimizer (clip_grad_norm_ 0.01, then
 * AdamW), WarmupPolyLR with a linear warm-up, 4 steps.
 * The table is registered in vct's own order (decoder layers interleaved,
 * proto_proj before the query block, audio_backbone inside the head's range), so
 * the group order must come from train/param_order.c. Checked bit for bit: the
 * group order, every group's lr at every step and weight decay, the total norm and
 * clip factor of each step, every parameter after the 4 steps; frozen tensors and
 * their moments untouched.
 * Bad input: a NaN or an Inf gradient stops the step naming the tensor, leaving
 * parameters, moments and the step count as they were; a table with nothing
 * trainable is refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/yaml.h"
#include "train/optimizer.h"
#include "testlib.h"

#define K 4
static tensor_dict R;

#define W PARAM_KIND_WEIGHT
#define N PARAM_KIND_NORM
#define E PARAM_KIND_EMBEDDING
#define SA "sem_seg_head.predictor.transformer_self_attention_layers."
#define CA "sem_seg_head.predictor.transformer_cross_attention_layers."
#define FF "sem_seg_head.predictor.transformer_ffn_layers."
#define SWIN(P)                                                                                                        \
    {P "patch_embed.proj.weight", W, 1}, {P "patch_embed.proj.bias", W, 1},                                           \
        {P "layers.0.blocks.0.norm1.weight", N, 1}, {P "layers.0.blocks.0.norm1.bias", N, 1},                         \
        {P "layers.0.blocks.0.attn.relative_position_bias_table", W, 1}, {P "layers.0.blocks.0.attn.qkv.weight", W, 1}, \
        {P "layers.0.blocks.0.attn.qkv.bias", W, 1}, {P "layers.0.blocks.1.norm1.weight", N, 1},                      \
        {P "layers.0.blocks.1.norm1.bias", N, 1}, {P "layers.0.blocks.1.attn.relative_position_bias_table", W, 1},    \
        {P "layers.0.blocks.1.attn.qkv.weight", W, 1}, {P "layers.0.blocks.1.attn.qkv.bias", W, 1},                   \
        {P "norm0.weight", N, 1}, {P "norm0.bias", N, 1}
#define ATTN(P, i, a)                                                                                                  \
    {P #i "." a ".in_proj_weight", W, 1}, {P #i "." a ".in_proj_bias", W, 1}, {P #i "." a ".out_proj.weight", W, 1}, \
        {P #i "." a ".out_proj.bias", W, 1}, {P #i ".norm.weight", N, 1}, {P #i ".norm.bias", N, 1}
#define FFN(i)                                                                                                         \
    {FF #i ".linear1.weight", W, 1}, {FF #i ".linear1.bias", W, 1}, {FF #i ".linear2.weight", W, 1},                  \
        {FF #i ".linear2.bias", W, 1}, {FF #i ".norm.weight", N, 1}, {FF #i ".norm.bias", N, 1}

static const struct spec {
    const char *name;
    param_kind kind;
    int trainable;
} SPEC[] = {
    /* vct's registration order, not torch's */
    SWIN("backbone."),
    SWIN("pre_sam_backbone."),
    {"scale_factor_module.0.fc1.weight", W, 1},
    {"scale_factor_module.0.fc1.bias", W, 1},
    {"sem_seg_head.pixel_decoder.transformer.level_embed", W, 1}, /* a bare nn.Parameter: decayed */
    {"sem_seg_head.pixel_decoder.adapter_1.weight", W, 1},
    {"sem_seg_head.pixel_decoder.adapter_1.bias", W, 1},
    {"sem_seg_head.pixel_decoder.adapter_1.norm.weight", N, 1},
    {"sem_seg_head.pixel_decoder.adapter_1.norm.bias", N, 1},
    {"audio_backbone.features.0.weight", W, 0},
    {"audio_backbone.features.0.bias", W, 0},
    {"sem_seg_head.audio_transformation.embeddings.0.weight", W, 1},
    {"sem_seg_head.audio_transformation.embeddings.0.bias", W, 1},
    ATTN(SA, 0, "self_attn"),
    ATTN(CA, 0, "multihead_attn"),
    FFN(0),
    ATTN(SA, 1, "self_attn"),
    ATTN(CA, 1, "multihead_attn"),
    FFN(1),
    {"sem_seg_head.predictor.decoder_norm.weight", N, 1},
    {"sem_seg_head.predictor.decoder_norm.bias", N, 1},
    {"sem_seg_head.predictor.query_feat.weight", E, 1},
    {"sem_seg_head.predictor.query_embed.weight", E, 1},
    {"sem_seg_head.predictor.level_embed.weight", E, 1},
    {"sem_seg_head.predictor.class_embed.weight", W, 1},
    {"sem_seg_head.predictor.class_embed.bias", W, 1},
    {"sem_seg_head.predictor.proto_proj.weight", W, 1},
    {"sem_seg_head.predictor.visual_query_block.prototype.weight", E, 1},
    {"sem_seg_head.predictor.audio_proj.weight", W, 1},
    {"criterion.logit_scale", W, 1},
};
#define NSPEC ((int)(sizeof SPEC / sizeof SPEC[0]))

static param_tensor handles[NSPEC];

static const tensor *ref_t(const char *prefix, const char *name) {
    char key[256];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    const tensor *t = tl_ref_typed(&R, key, VCT_DTYPE_F32, -1);
    return t;
}

/* the tiny model's table, loaded with p0 */
static int build_table(param_table *pt, int all_frozen) {
    param_table_init(pt);
    for (int i = 0; i < NSPEC; i++) {
        const tensor *t = ref_t("p0.", SPEC[i].name);
        if (!t) return 0;
        param_add(pt, "", SPEC[i].name, t->ndim, t->shape, all_frozen ? 0 : SPEC[i].trainable, SPEC[i].kind,
                  &handles[i]);
    }
    vct_error err = {0};
    if (param_table_alloc(pt, &err) || param_table_alloc_grads(pt, &err)) {
        tl_fail("table", "%s", err.msg);
        return 0;
    }
    for (int i = 0; i < NSPEC; i++) {
        const tensor *t = ref_t("p0.", SPEC[i].name);
        memcpy(handles[i].data, t->data, (size_t)tensor_numel(t) * sizeof(float));
    }
    return 1;
}

static int same(const void *a, const void *b, size_t n) { return memcmp(a, b, n) == 0; }

static void set_grads(const optimizer *o, int k) {
    for (int64_t i = 0; i < o->groups.n; i++) {
        char key[300];
        snprintf(key, sizeof key, "g.%d.%s", k, o->groups.g[i].name);
        const float *g = tl_ref_f32_n(&R, key, o->groups.g[i].numel);
        if (g) memcpy(o->pt->grad + o->groups.g[i].offset, g, (size_t)o->groups.g[i].numel * sizeof(float));
    }
}

static void official_steps(const solver_config *sc) {
    param_table pt;
    if (!build_table(&pt, 0)) return;
    optimizer o;
    vct_error err = {0};
    if (!tl_expect(optimizer_init(&o, &pt, sc, 0, &err) == VCT_STATUS_OK, "optimizer_init", "%s", err.msg)) return;
    /* the group order */
    const char *order = tensor_dict_get_meta(&R, "group_order");
    char *buf = order ? malloc(strlen(order) + 1) : NULL;
    int64_t gi = 0, bad_order = 0;
    if (buf) {
        strcpy(buf, order);
        for (char *s = strtok(buf, ","); s; s = strtok(NULL, ","), gi++)
            bad_order += gi >= o.groups.n || strcmp(s, o.groups.g[gi].name) != 0;
    }
    free(buf);
    char oname[160];
    snprintf(oname, sizeof oname, "group order = the official named_parameters order (%lld groups, registered in "
             "another order)", (long long)o.groups.n);
    tl_expect(order && bad_order == 0 && gi == o.groups.n, oname,
              "%lld of %lld differ (vct has %lld groups)", (long long)bad_order, (long long)gi, (long long)o.groups.n);
    int64_t G = o.groups.n;
    const tensor *lr = tl_ref_typed(&R, "lr", VCT_DTYPE_F64, (K + 1) * G), *wd = tl_ref_typed(&R, "wd", VCT_DTYPE_F64, G);
    const float *gn = tl_ref_f32_n(&R, "grad_norm", K), *cc = tl_ref_f32_n(&R, "clip_coef", K);
    if (!lr || !wd || !gn || !cc) return;
    const double *LR = lr->data, *WD = wd->data;
    int64_t bad_wd = 0, bad_lr = 0, bad_clip = 0, clipped = 0;
    for (int64_t i = 0; i < G; i++) bad_wd += !same(&o.groups.g[i].weight_decay, &WD[i], sizeof(double));
    tl_expect(bad_wd == 0, "weight decay of every group = build_optimizer's", "%lld differ", (long long)bad_wd);
    for (int k = 0; k < K; k++) {
        for (int64_t i = 0; i < G; i++) bad_lr += !same(&o.groups.g[i].lr, &LR[k * G + i], sizeof(double));
        set_grads(&o, k);
        optimizer_step_info info;
        if (!tl_expect(optimizer_step(&o, &info, &err) == VCT_STATUS_OK, "optimizer_step", "%s", err.msg)) return;
        bad_clip += !same(&info.grad_norm, &gn[k], sizeof(float)) || !same(&info.clip_coef, &cc[k], sizeof(float));
        clipped += info.clipped;
        if (!tl_expect(optimizer_scheduler_step(&o, &err) == VCT_STATUS_OK, "scheduler step", "%s", err.msg)) return;
    }
    for (int64_t i = 0; i < G; i++) bad_lr += !same(&o.groups.g[i].lr, &LR[K * G + i], sizeof(double));
    tl_expect(bad_lr == 0, "lr of every group at steps 0..4 = WarmupPolyLR's (linear warm-up) bit for bit",
              "%lld differ", (long long)bad_lr);
    tl_expect(bad_clip == 0 && clipped == 2, "total norm and clip factor of every step bit-identical; clipped twice",
              "%lld steps differ, %lld clipped", (long long)bad_clip, (long long)clipped);
    int64_t bad_p = 0, frozen_moved = 0;
    for (int i = 0; i < NSPEC; i++) {
        const tensor *a = ref_t("after.", SPEC[i].name);
        if (!a) return;
        int ok = same(handles[i].data, a->data, (size_t)tensor_numel(a) * sizeof(float));
        if (!ok && bad_p < 3) printf("  %s differs from torch after 4 steps\n", SPEC[i].name);
        bad_p += !ok;
        if (!SPEC[i].trainable) {
            const param_entry *e = param_table_find(&pt, SPEC[i].name);
            for (int64_t j = 0; j < e->numel; j++) frozen_moved += o.exp_avg[e->offset + j] != 0 || o.exp_avg_sq[e->offset + j] != 0;
        }
    }
    tl_expect(bad_p == 0, "every parameter after 4 official steps bit-identical (frozen audio_backbone unchanged)",
              "%lld of %d tensors differ", (long long)bad_p, NSPEC);
    tl_expect(frozen_moved == 0, "the moments of frozen tensors stay zero", "%lld nonzero", (long long)frozen_moved);

    /* a non-finite gradient: the step stops, names the tensor, changes nothing */
    const float bad_vals[2] = {NAN, INFINITY};
    const char *which = "sem_seg_head.predictor.query_embed.weight";
    for (int b = 0; b < 2; b++) {
        set_grads(&o, 0);
        const param_entry *e = param_table_find(&pt, which);
        pt.grad[e->offset + 3] = bad_vals[b];
        float *p_before = tl_dup(pt.data, pt.total), *m_before = tl_dup(o.exp_avg, pt.total);
        float *g_before = tl_dup(pt.grad, pt.total);
        int64_t step_before = o.step;
        vct_status st = optimizer_step(&o, NULL, &err);
        char name[160];
        snprintf(name, sizeof name, "a%s gradient stops the step naming the tensor and element",
                 b ? "n Inf" : " NaN");
        tl_expect(st != VCT_STATUS_OK && strstr(err.msg, which) && strstr(err.msg, "element 3") &&
                      strstr(err.msg, "FloatingPointError"),
                  name, "status %d: %s", (int)st, err.msg);
        printf("  message: %s\n", err.msg);
        tl_expect(same(p_before, pt.data, (size_t)pt.total * sizeof(float)) &&
                      same(m_before, o.exp_avg, (size_t)pt.total * sizeof(float)) &&
                      same(g_before, pt.grad, (size_t)pt.total * sizeof(float)) && o.step == step_before,
                  "... and leaves parameters, gradients, moments and the step count untouched", "something changed");
        free(p_before), free(m_before), free(g_before);
    }
    optimizer_free(&o);
    param_table_free(&pt);
}

static void nothing_trainable(const solver_config *sc) {
    param_table pt;
    if (!build_table(&pt, 1)) return;
    optimizer o;
    vct_error err = {0};
    vct_status st = optimizer_init(&o, &pt, sc, 0, &err);
    tl_expect(st != VCT_STATUS_OK && strstr(err.msg, "no trainable parameter selected"),
              "a model with no trainable parameter is refused", "status %d: %s", (int)st, err.msg);
    printf("  message: %s\n", err.msg);
    param_table_free(&pt);
}

int main(void) {
    if (tl_ref_open("optim_step", &R)) return tl_summary("test_optimizer");
    const char *y = tensor_dict_get_meta(&R, "solver_yaml");
    cJSON *cfg = NULL;
    solver_config sc;
    vct_error err = {0};
    if (tl_expect(y && yaml_parse(y, "optim_step", &cfg, &err) == VCT_STATUS_OK &&
                      solver_config_from_yaml(&sc, cfg, "optim_step", &err) == VCT_STATUS_OK,
                  "the official SOLVER config parses", "%s", err.msg)) {
        official_steps(&sc);
        nothing_trainable(&sc);
    }
    cJSON_Delete(cfg);
    tensor_dict_free(&R);
    return tl_summary("test_optimizer");
}
