/* param_table.h: the parameter table and the parameter handle.
 *
 * A parameter is a `param_tensor` handle held BY VALUE in a module's weight
 * struct (`param_tensor norm1_weight;` with a shape comment). The module registers it under
 * its official state_dict key with param_add(), which records the shape, kind
 * and trainability in the handle. param_table_alloc() then carves every tensor
 * from ONE float buffer and points each handle's `data` into it;
 * param_table_alloc_grads() points each trainable handle's `grad` into a second
 * buffer of the same layout, so AdamW, clipping, gradient dumps and an
 * all-reduce are flat loops over pt->data / pt->grad (or over the entries:
 * param_table_count / param_table_at). ag_param() (autograd/tape.h) puts a
 * handle on the tape. The .pth/safetensors loader, the checkpoint writer, the
 * gradient dump and the "every tensor present with the right shape" check all
 * go through this one table.
 *
 * The handle must not move between param_add() and param_table_free() (the
 * table keeps its address). */
#ifndef VCT_AUTOGRAD_PARAM_TABLE_H
#define VCT_AUTOGRAD_PARAM_TABLE_H

#include "core/tensor.h"

#define PARAM_MAX_DIMS 4

/* What owns the tensor in the official model; the optimizer's parameter groups
 * (train_net.py build_optimizer: weight decay 0 for norm modules and
 * nn.Embedding) are derived from it. */
typedef enum param_kind {
    PARAM_KIND_WEIGHT = 0,    /* everything else: Linear/Conv weights and biases, bare nn.Parameter, MHA in_proj */
    PARAM_KIND_NORM = 1,      /* owned by a norm module: LayerNorm, GroupNorm, BatchNorm (FrozenBN's buffers too) */
    PARAM_KIND_EMBEDDING = 2, /* owned by an nn.Embedding (query_feat, query_embed, level_embed, prototype) */
} param_kind;

typedef struct param_tensor {
    float *data;      /* [numel] in the table's buffer; NULL until param_table_alloc */
    float *grad;      /* same layout in the gradient buffer; NULL if frozen or before param_table_alloc_grads */
    int ndim;
    int64_t shape[PARAM_MAX_DIMS];
    const char *name; /* the full official key (owned by the table); NULL: never registered */
    int trainable;    /* 0: frozen (VGGish, buffers) */
    param_kind kind;
} param_tensor;

typedef struct param_entry {
    char *name; /* official state_dict key */
    int ndim;
    int64_t shape[PARAM_MAX_DIMS];
    int64_t offset, numel; /* into the flat buffers (offset: floats, 16-float aligned) */
    int trainable;
    param_kind kind;
    param_tensor *handle; /* the module's handle, filled by the table */
} param_entry;

typedef struct param_table {
    param_entry *items;
    int64_t count, cap;
    int64_t total;     /* floats */
    float *data;       /* [total] */
    float *grad;       /* [total] or NULL until param_table_alloc_grads */
    vct_status status; /* sticky registration error */
    vct_error err;
} param_table;

void param_table_init(param_table *pt);
void param_table_free(param_table *pt);
/* Register "<prefix><name>" (prefix may be "" or end with '.') and fill p's
 * name, shape, trainable and kind. Errors are sticky (checked by
 * param_table_alloc) so module constructors read as a flat list. */
void param_add(param_table *pt, const char *prefix, const char *name, int ndim, const int64_t *shape,
               int trainable, param_kind kind, param_tensor *p);
/* Allocate the buffer (zeroed) and point every handle's data into it. */
vct_status param_table_alloc(param_table *pt, vct_error *err);
/* Allocate (or zero) the gradient buffer and point every trainable handle's grad into it. */
vct_status param_table_alloc_grads(param_table *pt, vct_error *err);
const param_entry *param_table_find(const param_table *pt, const char *name);
/* Iteration in registration order: for (i = 0; i < param_table_count(pt); i++) param_table_at(pt, i)->... */
int64_t param_table_count(const param_table *pt);
const param_entry *param_table_at(const param_table *pt, int64_t i);
const char *param_kind_name(param_kind kind); /* "weight", "norm", "embedding" */
/* Copy every registered tensor from sd. A missing tensor, a wrong dtype or shape
 * fails naming the tensor ("<what>: tensor 'x': shape [..], expected [..]").
 * Keys of sd that no module registered are ignored (as detectron2 does); their
 * count is returned in *n_unused (may be NULL). F64/F16/BF16 are converted. */
vct_status param_table_load(param_table *pt, const tensor_dict *sd, const char *what, int64_t *n_unused,
                            vct_error *err);

#endif
