/* solver_config.h: the SOLVER.* values of a detectron2 config tree that the
 * official optimizer, gradient clipping and LR scheduler read, checked once.
 *
 * Reference: train_net.py Trainer.build_optimizer (SOLVER.OPTIMIZER ADAMW | SGD,
 * BASE_LR, WEIGHT_DECAY, WEIGHT_DECAY_NORM, WEIGHT_DECAY_EMBED,
 * BACKBONE_MULTIPLIER, MOMENTUM, CLIP_GRADIENTS.*), detectron2
 * solver/build.py maybe_add_gradient_clipping (CLIP_TYPE value | norm) and
 * build_lr_scheduler, projects/DeepLab build_solver.py (WarmupPolyLR).
 * training.md §1.3 lists the values of the VCT configs.
 *
 * What the official code does not read is not read here either:
 * BIAS_LR_FACTOR, WEIGHT_DECAY_BIAS, ADAPTER_MULTIPLIER, NESTEROV (the builder
 * passes only lr [and momentum] to the torch optimizer, so betas, eps and
 * amsgrad are torch 1.13's defaults). A name the official code would reject, or
 * one it accepts that vct does not implement, is refused naming it. */
#ifndef VCT_TRAIN_SOLVER_CONFIG_H
#define VCT_TRAIN_SOLVER_CONFIG_H

#include <cjson/cJSON.h>

#include "core/error.h"

#define SOLVER_MAX_STEPS 32

typedef enum solver_optimizer {
    SOLVER_ADAMW = 0, /* torch.optim.AdamW(params, BASE_LR) */
    SOLVER_SGD,       /* torch.optim.SGD(params, BASE_LR, momentum=MOMENTUM) */
} solver_optimizer;

typedef enum solver_clip {
    SOLVER_CLIP_NONE = 0,
    SOLVER_CLIP_FULL_MODEL, /* clip_grad_norm_(every param of every group, CLIP_VALUE), L2 */
    SOLVER_CLIP_VALUE,      /* detectron2 per parameter: clip_grad_value_(p, CLIP_VALUE) */
    SOLVER_CLIP_NORM,       /* detectron2 per parameter: clip_grad_norm_(p, CLIP_VALUE, NORM_TYPE) */
} solver_clip;

typedef enum solver_scheduler {
    SOLVER_WARMUP_POLY = 0,      /* DeepLab WarmupPolyLR */
    SOLVER_WARMUP_MULTISTEP,     /* d2 LRMultiplier(WarmupParamScheduler(MultiStepParamScheduler)) */
    SOLVER_WARMUP_COSINE,        /* d2 LRMultiplier(WarmupParamScheduler(CosineParamScheduler)) */
    SOLVER_WARMUP_STEP_FIXED_GAMMA, /* d2 LRMultiplier(WarmupParamScheduler(StepWithFixedGammaParamScheduler)) */
} solver_scheduler;

typedef enum solver_warmup { SOLVER_WARMUP_LINEAR = 0, SOLVER_WARMUP_CONSTANT } solver_warmup;

typedef struct solver_config {
    solver_optimizer optimizer;
    double base_lr, weight_decay, weight_decay_norm, weight_decay_embed, backbone_multiplier;
    double momentum;                 /* SGD only */
    double beta1, beta2, eps;        /* AdamW: torch 1.13 defaults 0.9, 0.999, 1e-8 */
    int amsgrad;                     /* AdamW: torch default 0 (the builder never sets it) */
    solver_clip clip;
    double clip_value, norm_type;    /* norm_type: SOLVER_CLIP_NORM only (2 or inf); full model is always L2 */
    solver_scheduler scheduler;
    long max_iter;
    long warmup_iters;
    double warmup_factor;
    solver_warmup warmup_method;
    double poly_power, poly_constant_ending; /* WarmupPolyLR */
    double gamma;                    /* multi-step, step-with-fixed-gamma */
    long steps[SOLVER_MAX_STEPS];    /* multi-step milestones (SOLVER.STEPS <= MAX_ITER) */
    int n_steps;
    long num_decays;                 /* step-with-fixed-gamma */
    double base_lr_end;              /* cosine */
    int rescale_interval;            /* SOLVER.RESCALE_INTERVAL (d2 schedulers) */
    int amp;                         /* SOLVER.AMP.ENABLED: recorded; vct steps in float32 */
} solver_config;

/* Read SOLVER.* from cfg; `what` names the config in messages. */
vct_status solver_config_from_yaml(solver_config *sc, const cJSON *cfg, const char *what, vct_error *err);
const char *solver_optimizer_name(solver_optimizer o);  /* "ADAMW", "SGD" */
const char *solver_scheduler_name(solver_scheduler s);  /* "WarmupPolyLR", ... */

#endif
