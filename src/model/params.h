/* params.h: the parameter table. Every module registers its tensors under the
 * official state_dict keys with their shapes and the address of the struct
 * field that will point at them; param_table_alloc() then carves all of them
 * from ONE float buffer (and the gradients from a second buffer of the same
 * layout), so AdamW and clipping are flat loops. The .pth/safetensors loader,
 * the checkpoint writer, the gradient dump and the "every tensor present with
 * the right shape" check all go through this one table. */
#ifndef VCT_MODEL_PARAMS_H
#define VCT_MODEL_PARAMS_H

#include "core/tensor.h"

typedef struct param_entry {
    char *name; /* official state_dict key */
    int ndim;
    int64_t shape[4];
    int64_t offset, numel; /* into the flat buffers */
    int trainable;         /* 0: frozen (VGGish, buffers) */
    float **slot;          /* the module field that points at the data */
    float **grad_slot;     /* the module field that points at the gradient, or NULL */
} param_entry;

typedef struct param_table {
    param_entry *items;
    int64_t count, cap;
    int64_t total;   /* floats */
    float *data;     /* [total] */
    float *grad;     /* [total] or NULL until param_table_alloc_grads */
    vct_status status; /* sticky registration error */
    vct_error err;
} param_table;

void param_table_init(param_table *pt);
void param_table_free(param_table *pt);
/* Register "<prefix><name>" (prefix may be "" or end with '.'). Errors are sticky
 * (checked by param_table_alloc) so module constructors read as a flat list. */
void param_add(param_table *pt, const char *prefix, const char *name, int ndim, const int64_t *shape,
               int trainable, float **slot, float **grad_slot);
/* Allocate the buffer (zeroed) and point every slot into it. */
vct_status param_table_alloc(param_table *pt, vct_error *err);
vct_status param_table_alloc_grads(param_table *pt, vct_error *err);
const param_entry *param_table_find(const param_table *pt, const char *name);
/* Copy every registered tensor from sd. A missing tensor, a wrong dtype or shape
 * fails naming the tensor ("<what>: tensor 'x': shape [..], expected [..]").
 * Keys of sd that no module registered are ignored (as detectron2 does); their
 * count is returned in *n_unused (may be NULL). F64/F16/BF16 are converted. */
vct_status param_table_load(param_table *pt, const tensor_dict *sd, const char *what, int64_t *n_unused,
                            vct_error *err);

#endif
