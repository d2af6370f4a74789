/* optimizer.h: the official optimizer step on a parameter table: the groups of
 * train_net.py build_optimizer (train/param_groups.h), gradient clipping
 * (train/grad_clip.h), AdamW or SGD (train/adamw.h, train/sgd.h) and the LR
 * schedule (train/lr_scheduler.h).
 *
 * Parameters, gradients and the optimizer's moments are flat buffers in ONE
 * layout: the table's data and grad buffers, and exp_avg / exp_avg_sq here,
 * parallel to them (a group's tensor is [offset, offset + numel) of each). The
 * moments are calloc'ed and only trainable ranges are ever written, so frozen
 * tensors (VGGish) cost no resident memory.
 *
 * One training iteration, as detectron2's SimpleTrainer and its LRScheduler hook
 * run it:
 *   zero the table's gradients; forward, loss, backward (they fill pt->grad)
 *   optimizer_step(o, &info, &err)          // finite check, clip, update
 *   optimizer_scheduler_step(o, &err)       // iteration + 1: every group's lr
 * A non-finite gradient stops the step before anything changes, naming the
 * tensor and the element (the official trainer raises FloatingPointError on a
 * non-finite loss; torch would let a NaN gradient into every parameter through
 * the clip factor, vct refuses instead). */
#ifndef VCT_TRAIN_OPTIMIZER_H
#define VCT_TRAIN_OPTIMIZER_H

#include "autograd/param_table.h"
#include "train/param_groups.h"
#include "train/solver_config.h"

typedef struct optimizer {
    solver_config cfg;
    param_table *pt;         /* not owned; pt->grad must be allocated before a step */
    optim_groups groups;
    float *exp_avg;          /* [pt->total] AdamW first moment, or the SGD momentum buffer */
    float *exp_avg_sq;       /* [pt->total] AdamW second moment (NULL for SGD) */
    float *max_exp_avg_sq;   /* [pt->total] AdamW with amsgrad, else NULL */
    int64_t step;            /* steps taken (torch's per-tensor state["step"], equal for all) */
    long iter;               /* the scheduler's last_epoch: the iteration whose lr the groups hold */
} optimizer;

typedef struct optimizer_step_info {
    float grad_norm; /* full-model clipping: the total L2 norm before clipping (clip_grad_norm_'s return), else 0 */
    float clip_coef; /* the factor every gradient was multiplied by (1 without full-model clipping) */
    int clipped;     /* clip_coef < 1 */
} optimizer_step_info;

/* Build the groups of pt's trainable tensors and a fresh state, the scheduler
 * at iteration start_iter (0: training from scratch). */
vct_status optimizer_init(optimizer *o, param_table *pt, const solver_config *sc, long start_iter, vct_error *err);
void optimizer_free(optimizer *o);
/* Put the scheduler at iteration it: every group's lr = schedule(initial_lr, it). */
vct_status optimizer_set_iter(optimizer *o, long it, vct_error *err);
/* optimizer.step(): check every gradient is finite, clip as configured, update.
 * info may be NULL. On failure no parameter, gradient or moment has changed. */
vct_status optimizer_step(optimizer *o, optimizer_step_info *info, vct_error *err);
/* scheduler.step(): optimizer_set_iter(o, o->iter + 1). */
vct_status optimizer_scheduler_step(optimizer *o, vct_error *err);

#endif
