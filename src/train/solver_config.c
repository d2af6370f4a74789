/* solver_config.c: see solver_config.h. */
#include "train/solver_config.h"

#include <math.h>
#include <string.h>

#include "io/yaml.h"

static vct_status get_bool(const cJSON *cfg, const char *key, int *out, const char *what, vct_error *err) {
    const cJSON *n = yaml_get(cfg, key);
    if (!n) return vct_fail(err, VCT_STATUS_FORMAT, "%s: config key %s is missing", what, key);
    if (!cJSON_IsBool(n)) return vct_fail(err, VCT_STATUS_FORMAT, "%s: config key %s: expected true or false", what, key);
    *out = cJSON_IsTrue(n);
    return VCT_STATUS_OK;
}

/* the typed lookups of io/yaml.h, with the config's name in front */
static vct_status named(vct_status st, const char *what, vct_error *err) {
    return st == VCT_STATUS_OK ? st : vct_error_wrap(err, "%s", what);
}
#define GET_D(key, dst) VCT_TRY(named(yaml_get_double(cfg, key, dst, err), what, err))
#define GET_I(key, dst) VCT_TRY(named(yaml_get_int(cfg, key, dst, err), what, err))
#define GET_S(key, dst) VCT_TRY(named(yaml_get_str(cfg, key, dst, err), what, err))

const char *solver_optimizer_name(solver_optimizer o) { return o == SOLVER_SGD ? "SGD" : "ADAMW"; }

const char *solver_scheduler_name(solver_scheduler s) {
    switch (s) {
    case SOLVER_WARMUP_POLY: return "WarmupPolyLR";
    case SOLVER_WARMUP_MULTISTEP: return "WarmupMultiStepLR";
    case SOLVER_WARMUP_COSINE: return "WarmupCosineLR";
    case SOLVER_WARMUP_STEP_FIXED_GAMMA: return "WarmupStepWithFixedGammaLR";
    }
    return "?";
}

static vct_status read_clip(solver_config *sc, const cJSON *cfg, const char *what, vct_error *err) {
    int enabled = 0;
    const char *type;
    VCT_TRY(get_bool(cfg, "SOLVER.CLIP_GRADIENTS.ENABLED", &enabled, what, err));
    GET_S("SOLVER.CLIP_GRADIENTS.CLIP_TYPE", &type);
    GET_D("SOLVER.CLIP_GRADIENTS.CLIP_VALUE", &sc->clip_value);
    sc->norm_type = 2.0;
    sc->clip = SOLVER_CLIP_NONE;
    if (strcmp(type, "full_model") == 0) {
        /* train_net.py maybe_add_full_model_gradient_clipping: L2, NORM_TYPE not read */
        if (enabled && sc->clip_value > 0.0) sc->clip = SOLVER_CLIP_FULL_MODEL;
        return VCT_STATUS_OK;
    }
    if (!enabled) return VCT_STATUS_OK; /* d2 maybe_add_gradient_clipping returns the optimizer as is */
    if (strcmp(type, "value") == 0) {
        sc->clip = SOLVER_CLIP_VALUE;
    } else if (strcmp(type, "norm") == 0) {
        sc->clip = SOLVER_CLIP_NORM;
        GET_D("SOLVER.CLIP_GRADIENTS.NORM_TYPE", &sc->norm_type);
        if (sc->norm_type != 2.0 && !isinf(sc->norm_type))
            return vct_fail(err, VCT_STATUS_UNSUPPORTED,
                            "%s: SOLVER.CLIP_GRADIENTS.NORM_TYPE %g is not implemented (vct clips by the 2-norm or the "
                            "inf-norm)", what, sc->norm_type);
    } else {
        return vct_fail(err, VCT_STATUS_UNSUPPORTED,
                        "%s: SOLVER.CLIP_GRADIENTS.CLIP_TYPE '%s' is unknown (train_net.py knows full_model, "
                        "detectron2 value and norm)", what, type);
    }
    return VCT_STATUS_OK;
}

static vct_status read_scheduler(solver_config *sc, const cJSON *cfg, const char *what, vct_error *err) {
    const char *name, *method;
    GET_S("SOLVER.LR_SCHEDULER_NAME", &name);
    if (strcmp(name, "WarmupPolyLR") == 0) sc->scheduler = SOLVER_WARMUP_POLY;
    else if (strcmp(name, "WarmupMultiStepLR") == 0) sc->scheduler = SOLVER_WARMUP_MULTISTEP;
    else if (strcmp(name, "WarmupCosineLR") == 0) sc->scheduler = SOLVER_WARMUP_COSINE;
    else if (strcmp(name, "WarmupStepWithFixedGammaLR") == 0) sc->scheduler = SOLVER_WARMUP_STEP_FIXED_GAMMA;
    else
        return vct_fail(err, VCT_STATUS_UNSUPPORTED,
                        "%s: SOLVER.LR_SCHEDULER_NAME '%s' is not implemented (vct has WarmupPolyLR, "
                        "WarmupMultiStepLR, WarmupCosineLR, WarmupStepWithFixedGammaLR)", what, name);
    GET_I("SOLVER.MAX_ITER", &sc->max_iter);
    GET_I("SOLVER.WARMUP_ITERS", &sc->warmup_iters);
    GET_D("SOLVER.WARMUP_FACTOR", &sc->warmup_factor);
    GET_S("SOLVER.WARMUP_METHOD", &method);
    if (sc->max_iter <= 0) return vct_fail(err, VCT_STATUS_FORMAT, "%s: SOLVER.MAX_ITER %ld: must be > 0", what, sc->max_iter);
    if (sc->warmup_iters < 0)
        return vct_fail(err, VCT_STATUS_FORMAT, "%s: SOLVER.WARMUP_ITERS %ld: must be >= 0", what, sc->warmup_iters);
    if (strcmp(method, "linear") == 0) sc->warmup_method = SOLVER_WARMUP_LINEAR;
    else if (strcmp(method, "constant") == 0) sc->warmup_method = SOLVER_WARMUP_CONSTANT;
    else
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: SOLVER.WARMUP_METHOD '%s' is unknown (linear, constant)",
                        what, method);
    switch (sc->scheduler) {
    case SOLVER_WARMUP_POLY:
        GET_D("SOLVER.POLY_LR_POWER", &sc->poly_power);
        GET_D("SOLVER.POLY_LR_CONSTANT_ENDING", &sc->poly_constant_ending);
        break;
    case SOLVER_WARMUP_MULTISTEP: {
        long all[SOLVER_MAX_STEPS];
        int n = 0;
        GET_D("SOLVER.GAMMA", &sc->gamma);
        VCT_TRY(named(yaml_get_int_list(cfg, "SOLVER.STEPS", all, SOLVER_MAX_STEPS, &n, err), what, err));
        sc->n_steps = 0;
        /* d2 build_lr_scheduler drops steps beyond MAX_ITER (with a warning) */
        for (int i = 0; i < n; i++)
            if (all[i] <= sc->max_iter) sc->steps[sc->n_steps++] = all[i];
        /* fvcore MultiStepParamScheduler's checks */
        long prev = 0;
        for (int i = 0; i < sc->n_steps; i++) {
            if (sc->steps[i] >= sc->max_iter)
                return vct_fail(err, VCT_STATUS_FORMAT, "%s: SOLVER.STEPS: milestone %ld must be smaller than MAX_ITER %ld",
                                what, sc->steps[i], sc->max_iter);
            if (prev >= sc->steps[i])
                return vct_fail(err, VCT_STATUS_FORMAT, "%s: SOLVER.STEPS: milestone %ld must be larger than %ld", what,
                                sc->steps[i], prev);
            prev = sc->steps[i];
        }
        if (sc->max_iter < sc->n_steps + 1)
            return vct_fail(err, VCT_STATUS_FORMAT, "%s: SOLVER.MAX_ITER %ld is shorter than the %d-value schedule", what,
                            sc->max_iter, sc->n_steps + 1);
        break;
    }
    case SOLVER_WARMUP_COSINE:
        GET_D("SOLVER.BASE_LR_END", &sc->base_lr_end);
        if (!(sc->base_lr_end / sc->base_lr >= 0.0 && sc->base_lr_end / sc->base_lr <= 1.0))
            return vct_fail(err, VCT_STATUS_FORMAT, "%s: SOLVER.BASE_LR_END / BASE_LR = %g: must be in [0, 1]", what,
                            sc->base_lr_end / sc->base_lr);
        break;
    case SOLVER_WARMUP_STEP_FIXED_GAMMA:
        GET_D("SOLVER.GAMMA", &sc->gamma);
        GET_I("SOLVER.NUM_DECAYS", &sc->num_decays);
        if (!(sc->gamma > 0) || sc->num_decays <= 0)
            return vct_fail(err, VCT_STATUS_FORMAT, "%s: SOLVER.GAMMA %g and NUM_DECAYS %ld must be positive", what,
                            sc->gamma, sc->num_decays);
        break;
    }
    if (sc->scheduler != SOLVER_WARMUP_POLY) {
        const cJSON *r = yaml_get(cfg, "SOLVER.RESCALE_INTERVAL");
        sc->rescale_interval = cJSON_IsTrue(r); /* absent in old configs: d2's default False */
    }
    return VCT_STATUS_OK;
}

vct_status solver_config_from_yaml(solver_config *sc, const cJSON *cfg, const char *what, vct_error *err) {
    memset(sc, 0, sizeof *sc);
    const char *opt;
    GET_S("SOLVER.OPTIMIZER", &opt);
    if (strcmp(opt, "ADAMW") == 0) sc->optimizer = SOLVER_ADAMW;
    else if (strcmp(opt, "SGD") == 0) sc->optimizer = SOLVER_SGD;
    else
        return vct_fail(err, VCT_STATUS_UNSUPPORTED,
                        "%s: SOLVER.OPTIMIZER '%s' is not implemented (train_net.py build_optimizer knows ADAMW and SGD)",
                        what, opt);
    GET_D("SOLVER.BASE_LR", &sc->base_lr);
    GET_D("SOLVER.WEIGHT_DECAY", &sc->weight_decay);
    GET_D("SOLVER.WEIGHT_DECAY_NORM", &sc->weight_decay_norm);
    GET_D("SOLVER.WEIGHT_DECAY_EMBED", &sc->weight_decay_embed);
    GET_D("SOLVER.BACKBONE_MULTIPLIER", &sc->backbone_multiplier);
    if (!(sc->base_lr > 0) || !isfinite(sc->base_lr))
        return vct_fail(err, VCT_STATUS_FORMAT, "%s: SOLVER.BASE_LR %g: must be a positive number", what, sc->base_lr);
    if (sc->optimizer == SOLVER_SGD) GET_D("SOLVER.MOMENTUM", &sc->momentum);
    /* torch 1.13 AdamW defaults: train_net.py passes only the LR */
    sc->beta1 = 0.9;
    sc->beta2 = 0.999;
    sc->eps = 1e-8;
    sc->amsgrad = 0;
    VCT_TRY(read_clip(sc, cfg, what, err));
    VCT_TRY(read_scheduler(sc, cfg, what, err));
    const cJSON *amp = yaml_get(cfg, "SOLVER.AMP.ENABLED");
    sc->amp = cJSON_IsTrue(amp);
    return VCT_STATUS_OK;
}
