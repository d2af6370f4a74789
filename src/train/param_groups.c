/* param_groups.c: see param_groups.h. */
#include "train/param_groups.h"

#include <stdlib.h>
#include <string.h>

#include "train/param_order.h"

void optim_groups_free(optim_groups *g) {
    free(g->g);
    memset(g, 0, sizeof *g);
}

/* "backbone" in the owning module's name (the key up to its last '.') */
static int in_backbone_module(const char *key) {
    const char *dot = strrchr(key, '.');
    if (!dot) return 0; /* a parameter of the root module: module name "" */
    const char *p = key;
    size_t mlen = (size_t)(dot - key), w = strlen("backbone");
    for (; (size_t)(p - key) + w <= mlen; p++)
        if (strncmp(p, "backbone", w) == 0) return 1;
    return 0;
}

vct_status optim_groups_build(optim_groups *out, const param_table *pt, const solver_config *sc, vct_error *err) {
    memset(out, 0, sizeof *out);
    int64_t n = param_table_count(pt), nt = 0;
    for (int64_t i = 0; i < n; i++) nt += param_table_at(pt, i)->trainable != 0;
    if (nt == 0)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "no trainable parameter selected: all %lld tensors of the model are frozen, so the optimizer "
                        "has nothing to update", (long long)n);
    int64_t *order = malloc((size_t)n * sizeof *order);
    out->g = calloc((size_t)nt, sizeof *out->g);
    if (!order || !out->g) {
        free(order);
        optim_groups_free(out);
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "parameter groups: out of memory");
    }
    vct_status st = param_order_official(pt, order, err);
    for (int64_t k = 0; k < n && st == VCT_STATUS_OK; k++) {
        const param_entry *e = param_table_at(pt, order[k]);
        if (!e->trainable) continue;
        const char *dot = strrchr(e->name, '.'), *own = dot ? dot + 1 : e->name;
        optim_group *g = &out->g[out->n++];
        g->entry = order[k];
        g->name = e->name;
        g->offset = e->offset;
        g->numel = e->numel;
        g->initial_lr = sc->base_lr;
        if (in_backbone_module(e->name)) g->initial_lr = g->initial_lr * sc->backbone_multiplier;
        g->lr = g->initial_lr;
        g->weight_decay = sc->weight_decay;
        if (strstr(own, "relative_position_bias_table") || strstr(own, "absolute_pos_embed")) g->weight_decay = 0.0;
        if (e->kind == PARAM_KIND_NORM) g->weight_decay = sc->weight_decay_norm;
        if (e->kind == PARAM_KIND_EMBEDDING) g->weight_decay = sc->weight_decay_embed;
        out->n_elements += e->numel;
    }
    free(order);
    if (st != VCT_STATUS_OK) optim_groups_free(out);
    return st;
}
