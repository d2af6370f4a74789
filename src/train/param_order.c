/* param_order.c: see param_order.h. */
#include "train/param_order.h"

#include <stdlib.h>
#include <string.h>

/* Official child order of the modules whose C registration order differs. */
static const char *const vct_children[] = {
    /* models/vct_model.py VCT.__init__:90-113 */
    "backbone", "pre_sam_backbone", "scale_factor_module", "audio_backbone", "sem_seg_head", "fusion_module",
    "audio_transformation", "criterion", NULL};
static const char *const head_children[] = {
    /* meta_arch/vct_model_head.py VCT_Model_Head.__init__:79-90 */
    "pixel_decoder", "audio_transformation", "predictor", NULL};
static const char *const predictor_children[] = {
    /* transformer_decoder/vision_centric_transformer_decoder.py MultiScaleMaskedVCTDecoder.__init__:384-469 */
    "transformer_self_attention_layers", "transformer_cross_attention_layers", "transformer_ffn_layers",
    "decoder_norm", "query_feat", "query_embed", "level_embed", "input_proj", "class_embed", "mask_embed",
    "visual_query_block", "audio_proj", "proto_proj", NULL};
static const struct {
    const char *module;
    const char *const *children;
} official_children[] = {
    {"", vct_children},
    {"sem_seg_head", head_children},
    {"sem_seg_head.predictor", predictor_children},
};

typedef struct child {
    const char *name; /* points into an entry's name */
    size_t len;
    int rank;         /* position in the official list, or a large number + first appearance */
} child;

static int child_cmp(const void *a, const void *b) {
    const child *x = a, *y = b;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

static int rank_of(const char *module, size_t mlen, const char *name, size_t len, int appearance) {
    for (size_t i = 0; i < sizeof official_children / sizeof official_children[0]; i++) {
        if (strlen(official_children[i].module) != mlen || strncmp(official_children[i].module, module, mlen) != 0)
            continue;
        for (int k = 0; official_children[i].children[k]; k++)
            if (strlen(official_children[i].children[k]) == len &&
                strncmp(official_children[i].children[k], name, len) == 0)
                return k;
    }
    return 1000000 + appearance;
}

/* Emit idx[0..n) (every name starts with the same module prefix of plen chars,
 * ending in '.' unless plen is 0) in named_parameters order. */
static vct_status emit(const param_table *pt, const int64_t *idx, int64_t n, size_t plen, int64_t *out, int64_t *k,
                       vct_error *err) {
    const char *module = pt->items[idx[0]].name;
    size_t mlen = plen ? plen - 1 : 0;
    for (int64_t i = 0; i < n; i++) /* the module's own parameters */
        if (!strchr(pt->items[idx[i]].name + plen, '.')) out[(*k)++] = idx[i];
    child *ch = malloc((size_t)n * sizeof *ch);
    int64_t *sub = malloc((size_t)n * sizeof *sub);
    if (!ch || !sub) {
        free(ch);
        free(sub);
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "param_order: out of memory");
    }
    int nc = 0;
    for (int64_t i = 0; i < n; i++) {
        const char *rest = pt->items[idx[i]].name + plen, *dot = strchr(rest, '.');
        if (!dot) continue;
        size_t len = (size_t)(dot - rest);
        int seen = 0;
        for (int c = 0; c < nc && !seen; c++) seen = ch[c].len == len && strncmp(ch[c].name, rest, len) == 0;
        if (!seen) {
            ch[nc] = (child){rest, len, rank_of(module, mlen, rest, len, nc)};
            nc++;
        }
    }
    qsort(ch, (size_t)nc, sizeof *ch, child_cmp); /* ranks are distinct: the sort is deterministic */
    vct_status st = VCT_STATUS_OK;
    for (int c = 0; c < nc && st == VCT_STATUS_OK; c++) {
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++) {
            const char *rest = pt->items[idx[i]].name + plen;
            if (strncmp(rest, ch[c].name, ch[c].len) == 0 && rest[ch[c].len] == '.') sub[m++] = idx[i];
        }
        st = emit(pt, sub, m, plen + ch[c].len + 1, out, k, err);
    }
    free(ch);
    free(sub);
    return st;
}

vct_status param_order_official(const param_table *pt, int64_t *order, vct_error *err) {
    int64_t n = param_table_count(pt), k = 0;
    if (n == 0) return VCT_STATUS_OK;
    int64_t *all = malloc((size_t)n * sizeof *all);
    if (!all) return vct_fail(err, VCT_STATUS_NO_MEMORY, "param_order: out of memory");
    for (int64_t i = 0; i < n; i++) all[i] = i;
    vct_status st = emit(pt, all, n, 0, order, &k, err);
    free(all);
    if (st == VCT_STATUS_OK && k != n)
        st = vct_fail(err, VCT_STATUS_INTERNAL, "param_order: %lld of %lld entries placed", (long long)k, (long long)n);
    return st;
}
