/* optimizer.c: see optimizer.h. */
#include "train/optimizer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/adamw.h"
#include "train/grad_clip.h"
#include "train/lr_scheduler.h"
#include "train/sgd.h"

void optimizer_free(optimizer *o) {
    optim_groups_free(&o->groups);
    free(o->exp_avg);
    free(o->exp_avg_sq);
    free(o->max_exp_avg_sq);
    memset(o, 0, sizeof *o);
}

vct_status optimizer_set_iter(optimizer *o, long it, vct_error *err) {
    double *lr = malloc((size_t)o->groups.n * sizeof *lr);
    if (!lr) return vct_fail(err, VCT_STATUS_NO_MEMORY, "LR scheduler: out of memory");
    vct_status st = VCT_STATUS_OK;
    for (int64_t i = 0; i < o->groups.n && st == VCT_STATUS_OK; i++)
        st = lr_scheduler_lr(&o->cfg, o->groups.g[i].initial_lr, it, &lr[i], err);
    if (st == VCT_STATUS_OK) { /* all or nothing */
        for (int64_t i = 0; i < o->groups.n; i++) o->groups.g[i].lr = lr[i];
        o->iter = it;
    }
    free(lr);
    return st;
}

vct_status optimizer_scheduler_step(optimizer *o, vct_error *err) { return optimizer_set_iter(o, o->iter + 1, err); }

vct_status optimizer_init(optimizer *o, param_table *pt, const solver_config *sc, long start_iter, vct_error *err) {
    memset(o, 0, sizeof *o);
    o->cfg = *sc;
    o->pt = pt;
    VCT_TRY(optim_groups_build(&o->groups, pt, sc, err));
    size_t n = (size_t)pt->total;
    o->exp_avg = calloc(n, sizeof(float));
    if (sc->optimizer == SOLVER_ADAMW) o->exp_avg_sq = calloc(n, sizeof(float));
    if (sc->optimizer == SOLVER_ADAMW && sc->amsgrad) o->max_exp_avg_sq = calloc(n, sizeof(float));
    if (!o->exp_avg || (sc->optimizer == SOLVER_ADAMW && !o->exp_avg_sq) ||
        (sc->optimizer == SOLVER_ADAMW && sc->amsgrad && !o->max_exp_avg_sq)) {
        optimizer_free(o);
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "optimizer state: cannot allocate 2 x %lld floats", (long long)n);
    }
    vct_status st = optimizer_set_iter(o, start_iter, err);
    if (st != VCT_STATUS_OK) optimizer_free(o);
    return st;
}

/* the first non-finite gradient element, in group order */
static vct_status check_finite(const optimizer *o, vct_error *err) {
    const float *grad = o->pt->grad;
    int64_t ng = o->groups.n, *bad = malloc((size_t)ng * sizeof *bad);
    if (!bad) return vct_fail(err, VCT_STATUS_NO_MEMORY, "gradient check: out of memory");
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t i = 0; i < ng; i++) {
        const float *g = grad + o->groups.g[i].offset;
        bad[i] = -1;
        for (int64_t k = 0; k < o->groups.g[i].numel; k++)
            if (!isfinite(g[k])) {
                bad[i] = k;
                break;
            }
    }
    vct_status st = VCT_STATUS_OK;
    for (int64_t i = 0; i < ng; i++)
        if (bad[i] >= 0) {
            const optim_group *gr = &o->groups.g[i];
            st = vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                          "non-finite gradient of '%s' (element %lld of %lld is %g): the optimizer step was not taken "
                          "and the parameters are unchanged (the official trainer stops with FloatingPointError)",
                          gr->name, (long long)bad[i], (long long)gr->numel, (double)grad[gr->offset + bad[i]]);
            break;
        }
    free(bad);
    return st;
}

vct_status optimizer_step(optimizer *o, optimizer_step_info *info, vct_error *err) {
    param_table *pt = o->pt;
    if (!pt->grad) return vct_fail(err, VCT_STATUS_INTERNAL, "optimizer step before the gradients were allocated");
    VCT_TRY(check_finite(o, err));
    const solver_config *sc = &o->cfg;
    optimizer_step_info in = {0.0f, 1.0f, 0};
    if (sc->clip == SOLVER_CLIP_FULL_MODEL) {
        VCT_TRY(clip_grad_norm_full(pt->grad, &o->groups, sc->clip_value, &in.grad_norm, &in.clip_coef, err));
        in.clipped = in.clip_coef < 1.0f;
    } else if (sc->clip == SOLVER_CLIP_VALUE || sc->clip == SOLVER_CLIP_NORM) {
#pragma omp parallel for schedule(dynamic, 1)
        for (int64_t i = 0; i < o->groups.n; i++) {
            float *g = pt->grad + o->groups.g[i].offset;
            if (sc->clip == SOLVER_CLIP_VALUE) clip_grad_value_tensor(g, o->groups.g[i].numel, sc->clip_value);
            else clip_grad_norm_tensor(g, o->groups.g[i].numel, sc->clip_value, sc->norm_type);
        }
    }
    int64_t t = o->step + 1;
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t i = 0; i < o->groups.n; i++) {
        const optim_group *gr = &o->groups.g[i];
        int64_t off = gr->offset;
        if (sc->optimizer == SOLVER_ADAMW) {
            adamw_hparams h = {gr->lr, gr->weight_decay, sc->beta1, sc->beta2, sc->eps, sc->amsgrad};
            adamw_update(pt->data + off, pt->grad + off, o->exp_avg + off, o->exp_avg_sq + off,
                         o->max_exp_avg_sq ? o->max_exp_avg_sq + off : NULL, gr->numel, &h, t);
        } else {
            sgd_update(pt->data + off, pt->grad + off, o->exp_avg + off, gr->numel, gr->lr, gr->weight_decay,
                       sc->momentum, t == 1);
        }
    }
    o->step = t;
    if (info) *info = in;
    return VCT_STATUS_OK;
}
