/* lr_scheduler.h: the learning rate of a parameter group at an iteration,
 * exactly as detectron2's schedulers compute it (Python doubles, the same
 * operations in the same order).
 *
 * Reference:
 *  - WarmupPolyLR (d2 projects/DeepLab/deeplab/lr_scheduler.py; the scheduler of
 *    every VCT config):
 *      f = warmup factor at it (d2 _get_warmup_factor_at_iter: 1 for it >= W;
 *          constant: WARMUP_FACTOR; linear: WARMUP_FACTOR * (1 - it/W) + it/W)
 *      lr = base * f * (1 - it / MAX_ITER) ** POWER, or base * CONSTANT_ENDING when
 *          CONSTANT_ENDING > 0, f == 1 and the poly factor is below it.
 *  - WarmupMultiStepLR, WarmupCosineLR, WarmupStepWithFixedGammaLR (d2
 *    solver/build.py build_lr_scheduler): lr = base * m(it / MAX_ITER), m the fvcore
 *    MultiStep / Cosine / StepWithFixedGamma param scheduler behind d2's
 *    WarmupParamScheduler (a CompositeParamScheduler of the warm-up and the
 *    schedule, lengths min(W / MAX_ITER, 1) and the rest).
 * `it` is the torch LRScheduler's last_epoch: 0 when the optimizer is built, +1
 * after every iteration (d2's LRScheduler hook steps it after optimizer.step()).
 * Where the Python code raises (WarmupPolyLR past MAX_ITER: math.pow of a negative
 * number; MultiStep past MAX_ITER; StepWithFixedGamma at MAX_ITER: an index past
 * its values), this fails naming the iteration. */
#ifndef VCT_TRAIN_LR_SCHEDULER_H
#define VCT_TRAIN_LR_SCHEDULER_H

#include "train/solver_config.h"

/* lr of a group whose initial lr is base_lr, at iteration it (>= 0). */
vct_status lr_scheduler_lr(const solver_config *sc, double base_lr, long it, double *lr, vct_error *err);

#endif
