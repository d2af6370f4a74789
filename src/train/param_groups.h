/* param_groups.h: the parameter groups of the official Trainer.build_optimizer.
 *
 * Reference: train_net.py:149-195. One group per trainable tensor, in
 * model.named_parameters() order (train/param_order.h), each with:
 *   lr = BASE_LR, times BACKBONE_MULTIPLIER if the string "backbone" occurs in
 *        the name of the module owning the tensor (backbone.*, pre_sam_backbone.*;
 *        not scale_factor_module.*);
 *   weight_decay = WEIGHT_DECAY, except
 *        0 if the tensor's own name contains relative_position_bias_table or
 *          absolute_pos_embed,
 *        WEIGHT_DECAY_NORM for a tensor of a norm module (the table's PARAM_KIND_NORM:
 *          torch.nn LayerNorm, GroupNorm, BatchNorm*, ...),
 *        WEIGHT_DECAY_EMBED for a tensor of an nn.Embedding (PARAM_KIND_EMBEDDING).
 * The module / tensor split of a key is at its last '.', as named_modules and
 * named_parameters(recurse=False) split it. Frozen tensors (trainable 0) are not
 * in the optimizer, as requires_grad=False ones are not. */
#ifndef VCT_TRAIN_PARAM_GROUPS_H
#define VCT_TRAIN_PARAM_GROUPS_H

#include "autograd/param_table.h"
#include "train/solver_config.h"

typedef struct optim_group {
    int64_t entry;       /* index into the table */
    const char *name;    /* the official key (owned by the table) */
    int64_t offset, numel; /* into the table's flat buffers (data, grad, and the optimizer's moments) */
    double initial_lr;   /* the group's lr when built (torch's "initial_lr", the scheduler's base_lr) */
    double lr;           /* current lr, set by the scheduler */
    double weight_decay;
} optim_group;

typedef struct optim_groups {
    optim_group *g;
    int64_t n;
    int64_t n_elements; /* trainable numbers in all groups */
} optim_groups;

/* Build the groups of pt's trainable tensors. No trainable tensor is an error. */
vct_status optim_groups_build(optim_groups *out, const param_table *pt, const solver_config *sc, vct_error *err);
void optim_groups_free(optim_groups *g);

#endif
