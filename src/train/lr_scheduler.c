/* lr_scheduler.c: see lr_scheduler.h. Every expression keeps the operand order
 * of the Python it mirrors, so the doubles are the same bit for bit. */
#include "train/lr_scheduler.h"

#include <math.h>

#define WHERE_EPSILON 1e-6 /* fvcore ParamScheduler.WHERE_EPSILON */
#define PI_D 3.141592653589793 /* math.pi */

/* d2 solver/lr_scheduler.py _get_warmup_factor_at_iter */
static double warmup_factor_at(const solver_config *sc, long it) {
    if (it >= sc->warmup_iters) return 1.0;
    if (sc->warmup_method == SOLVER_WARMUP_CONSTANT) return sc->warmup_factor;
    double alpha = (double)it / (double)sc->warmup_iters;
    return sc->warmup_factor * (1 - alpha) + alpha;
}

static vct_status poly_lr(const solver_config *sc, double base_lr, long it, double *lr, vct_error *err) {
    double wf = warmup_factor_at(sc, it);
    double x = 1.0 - (double)it / (double)sc->max_iter;
    if (x < 0)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "WarmupPolyLR at iteration %ld: past SOLVER.MAX_ITER %ld (detectron2 fails there: math.pow of a "
                        "negative number)", it, sc->max_iter);
    if (sc->poly_constant_ending > 0 && wf == 1.0 && pow(x, sc->poly_power) < sc->poly_constant_ending) {
        *lr = base_lr * sc->poly_constant_ending;
        return VCT_STATUS_OK;
    }
    *lr = base_lr * wf * pow(x, sc->poly_power);
    return VCT_STATUS_OK;
}

/* the fvcore schedule behind the warm-up, at progress `where` */
static vct_status schedule_value(const solver_config *sc, double where, double *v, vct_error *err) {
    switch (sc->scheduler) {
    case SOLVER_WARMUP_MULTISTEP: {
        if (where > 1.0)
            return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                            "WarmupMultiStepLR: progress %.17g is past SOLVER.MAX_ITER (fvcore refuses where > 1)", where);
        long epoch = (long)((where + WHERE_EPSILON) * (double)sc->max_iter);
        int k = 0; /* bisect_right(milestones, epoch) */
        while (k < sc->n_steps && sc->steps[k] <= epoch) k++;
        *v = pow(sc->gamma, (double)k); /* values = [GAMMA ** k for k in range(len(steps) + 1)] */
        return VCT_STATUS_OK;
    }
    case SOLVER_WARMUP_COSINE: {
        double end = sc->base_lr_end / sc->base_lr; /* CosineParamScheduler(1, end) */
        *v = end + 0.5 * (1 - end) * (1 + cos(PI_D * where));
        return VCT_STATUS_OK;
    }
    case SOLVER_WARMUP_STEP_FIXED_GAMMA: {
        long n = sc->num_decays + 1;
        long ind = (long)((where + WHERE_EPSILON) * (double)n);
        if (ind < 0 || ind >= n)
            return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                            "WarmupStepWithFixedGammaLR: progress %.17g gives step %ld of %ld values (fvcore fails with "
                            "an IndexError at and past SOLVER.MAX_ITER)", where, ind, n);
        double value = 1.0; /* values[i] = values[i-1] * gamma, values[0] = base_value 1.0 */
        for (long i = 0; i < ind; i++) value = value * sc->gamma;
        *v = value;
        return VCT_STATUS_OK;
    }
    case SOLVER_WARMUP_POLY: break;
    }
    return vct_fail(err, VCT_STATUS_INTERNAL, "schedule_value: scheduler %d", (int)sc->scheduler);
}

/* d2 WarmupParamScheduler = fvcore CompositeParamScheduler([warm-up, schedule],
 * lengths [wl, 1 - wl], interval scaling [rescaled, rescaled if RESCALE_INTERVAL else fixed]) */
static vct_status multiplier(const solver_config *sc, double where, double *m, vct_error *err) {
    double wl = fmin((double)sc->warmup_iters / (double)sc->max_iter, 1.0);
    double len[2] = {wl, 1.0 - wl};
    int i = 0;
    double running = len[0];
    while (where + WHERE_EPSILON > running && i < 1) {
        i++;
        running += len[i];
    }
    if (i == 1) {
        double w = where;
        if (sc->rescale_interval) w = (where - (running - len[1])) / len[1];
        return schedule_value(sc, w, m, err);
    }
    double s0, end;
    VCT_TRY(schedule_value(sc, 0.0, &s0, err));
    VCT_TRY(schedule_value(sc, sc->rescale_interval ? 0.0 : wl, &end, err));
    double start = sc->warmup_factor * s0;
    double w = (where - (running - len[0])) / len[0];
    if (sc->warmup_method == SOLVER_WARMUP_CONSTANT) *m = start;
    else *m = end * w + start * (1 - w); /* LinearParamScheduler(start, end) */
    return VCT_STATUS_OK;
}

vct_status lr_scheduler_lr(const solver_config *sc, double base_lr, long it, double *lr, vct_error *err) {
    if (it < 0) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "LR scheduler: iteration %ld < 0", it);
    if (sc->scheduler == SOLVER_WARMUP_POLY) return poly_lr(sc, base_lr, it, lr, err);
    double m;
    VCT_TRY(multiplier(sc, (double)it / (double)sc->max_iter, &m, err)); /* d2 LRMultiplier.get_lr */
    *lr = base_lr * m;
    return VCT_STATUS_OK;
}
