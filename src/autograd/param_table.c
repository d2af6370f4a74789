/* param_table.c: see param_table.h. */
#include "autograd/param_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void param_table_init(param_table *pt) { memset(pt, 0, sizeof *pt); }

void param_table_free(param_table *pt) {
    for (int64_t i = 0; i < pt->count; i++) free(pt->items[i].name);
    free(pt->items);
    free(pt->data);
    free(pt->grad);
    memset(pt, 0, sizeof *pt);
}

void param_add(param_table *pt, const char *prefix, const char *name, int ndim, const int64_t *shape,
               int trainable, param_kind kind, param_tensor *p) {
    if (pt->status != VCT_STATUS_OK) return;
    if (pt->data) {
        pt->status = vct_fail(&pt->err, VCT_STATUS_INTERNAL, "param_add(%s%s) after allocation", prefix, name);
        return;
    }
    if (!p) {
        pt->status = vct_fail(&pt->err, VCT_STATUS_INTERNAL, "param %s%s: no handle", prefix, name);
        return;
    }
    if (ndim < 0 || ndim > PARAM_MAX_DIMS) {
        pt->status = vct_fail(&pt->err, VCT_STATUS_INTERNAL, "param %s%s: %d dims", prefix, name, ndim);
        return;
    }
    if (pt->count == pt->cap) {
        int64_t nc = pt->cap ? 2 * pt->cap : 256;
        param_entry *ni = realloc(pt->items, (size_t)nc * sizeof *ni);
        if (!ni) {
            pt->status = vct_fail(&pt->err, VCT_STATUS_NO_MEMORY, "parameter table: out of memory");
            return;
        }
        pt->items = ni;
        pt->cap = nc;
    }
    size_t l = strlen(prefix) + strlen(name) + 1;
    char *full = malloc(l);
    if (!full) {
        pt->status = vct_fail(&pt->err, VCT_STATUS_NO_MEMORY, "parameter table: out of memory");
        return;
    }
    snprintf(full, l, "%s%s", prefix, name);
    for (int64_t i = 0; i < pt->count; i++)
        if (strcmp(pt->items[i].name, full) == 0) {
            pt->status = vct_fail(&pt->err, VCT_STATUS_INTERNAL, "parameter %s registered twice", full);
            free(full);
            return;
        }
    param_entry *e = &pt->items[pt->count++];
    memset(e, 0, sizeof *e);
    e->name = full;
    e->ndim = ndim;
    for (int i = 0; i < ndim; i++) e->shape[i] = shape[i];
    e->numel = shape_numel(ndim, shape);
    e->offset = pt->total;
    /* keep every tensor 16-float (64-byte) aligned */
    pt->total += (e->numel + 15) / 16 * 16;
    e->trainable = trainable;
    e->kind = kind;
    e->handle = p;
    memset(p, 0, sizeof *p);
    p->ndim = ndim;
    for (int i = 0; i < ndim; i++) p->shape[i] = shape[i];
    p->name = full;
    p->trainable = trainable;
    p->kind = kind;
}

vct_status param_table_alloc(param_table *pt, vct_error *err) {
    if (pt->status != VCT_STATUS_OK) return vct_fail(err, pt->status, "%s", pt->err.msg);
    if (pt->count == 0) return vct_fail(err, VCT_STATUS_INTERNAL, "parameter table is empty");
    pt->data = aligned_alloc(64, (size_t)pt->total * sizeof(float));
    if (!pt->data)
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "cannot allocate %lld parameters", (long long)pt->total);
    memset(pt->data, 0, (size_t)pt->total * sizeof(float));
    for (int64_t i = 0; i < pt->count; i++)
        pt->items[i].handle->data = pt->data + pt->items[i].offset;
    return VCT_STATUS_OK;
}

vct_status param_table_alloc_grads(param_table *pt, vct_error *err) {
    if (!pt->data) return vct_fail(err, VCT_STATUS_INTERNAL, "gradients before parameters");
    if (!pt->grad) {
        pt->grad = aligned_alloc(64, (size_t)pt->total * sizeof(float));
        if (!pt->grad) return vct_fail(err, VCT_STATUS_NO_MEMORY, "cannot allocate %lld gradients", (long long)pt->total);
    }
    memset(pt->grad, 0, (size_t)pt->total * sizeof(float));
    for (int64_t i = 0; i < pt->count; i++)
        if (pt->items[i].trainable) pt->items[i].handle->grad = pt->grad + pt->items[i].offset;
    return VCT_STATUS_OK;
}

const param_entry *param_table_find(const param_table *pt, const char *name) {
    for (int64_t i = 0; i < pt->count; i++)
        if (strcmp(pt->items[i].name, name) == 0) return &pt->items[i];
    return NULL;
}

int64_t param_table_count(const param_table *pt) { return pt->count; }

const param_entry *param_table_at(const param_table *pt, int64_t i) {
    return i >= 0 && i < pt->count ? &pt->items[i] : NULL;
}

const char *param_kind_name(param_kind kind) {
    switch (kind) {
    case PARAM_KIND_WEIGHT: return "weight";
    case PARAM_KIND_NORM: return "norm";
    case PARAM_KIND_EMBEDDING: return "embedding";
    }
    return "?";
}

vct_status param_table_load(param_table *pt, const tensor_dict *sd, const char *what, int64_t *n_unused,
                            vct_error *err) {
    if (!pt->data) return vct_fail(err, VCT_STATUS_INTERNAL, "load before allocation");
    for (int64_t i = 0; i < pt->count; i++) {
        const param_entry *e = &pt->items[i];
        const tensor *t = tensor_dict_find(sd, e->name);
        char got[128], want[128];
        if (!t) return vct_fail(err, VCT_STATUS_FORMAT, "%s: tensor '%s' is missing", what, e->name);
        if (!shape_equal(t->ndim, t->shape, e->ndim, e->shape))
            return vct_fail(err, VCT_STATUS_SHAPE, "%s: tensor '%s': shape %s, expected %s", what, e->name,
                            shape_str(t->ndim, t->shape, got, sizeof got), shape_str(e->ndim, e->shape, want, sizeof want));
        float *dst = pt->data + e->offset;
        if (t->dtype == VCT_DTYPE_F32) {
            memcpy(dst, t->data, (size_t)e->numel * sizeof(float));
        } else if (t->dtype == VCT_DTYPE_F64 || t->dtype == VCT_DTYPE_F16 || t->dtype == VCT_DTYPE_BF16) {
            for (int64_t k = 0; k < e->numel; k++) dst[k] = (float)dtype_get_f64(t->data, t->dtype, k);
        } else {
            return vct_fail(err, VCT_STATUS_FORMAT, "%s: tensor '%s': dtype %s, expected a float type", what,
                            e->name, dtype_name(t->dtype));
        }
    }
    if (n_unused) {
        int64_t unused = 0;
        for (int64_t i = 0; i < sd->count; i++)
            if (!param_table_find(pt, sd->items[i].name)) unused++;
        *n_unused = unused;
    }
    return VCT_STATUS_OK;
}
