/* param_order.h: the order in which torch's model.named_parameters() lists the
 * official model's tensors, for the entries of a parameter table.
 *
 * Why: train_net.py build_optimizer makes one param group per parameter while
 * walking model.named_modules(), so the group order is named_parameters order.
 * It fixes the order of the per-tensor norms that clip_grad_norm_ reduces (a
 * float32 reduction: the order changes its last bits) and the parameter
 * indices of an optimizer state_dict.
 *
 * torch's rule (nn.Module._named_members over named_modules): a module's own
 * parameters first, then each child module's subtree, children in the order
 * __init__ assigned them. vct's table is in registration order, which follows
 * the official tree except where a C module registers in another order; those
 * places are listed, with their official source, in param_order.c (the decoder's
 * three layer lists, which vct registers layer by layer; `proto_proj`, which vct
 * registers with the decoder but the official decoder creates after
 * `audio_proj`; the VCT top level, where `audio_backbone` precedes
 * `sem_seg_head` and `criterion` comes last). Children not listed keep their
 * registration order, after the listed ones. */
#ifndef VCT_TRAIN_PARAM_ORDER_H
#define VCT_TRAIN_PARAM_ORDER_H

#include "autograd/param_table.h"

/* order[i] = table index of the i-th tensor in named_parameters order; order
 * holds param_table_count(pt) entries (every entry, frozen ones too). */
vct_status param_order_official(const param_table *pt, int64_t *order, vct_error *err);

#endif
