/* conform_optim.c: the optimizer stage of `vct conform` (optim.npz; the
 * conformance README, section "optim.npz").
 *
 * K steps of the official optimizer (src/train/optimizer.h: the build_optimizer
 * groups, full-model clipping, AdamW, WarmupPolyLR) on model_best.pth, with the
 * case's seeded gradients instead of back-propagated ones:
 *   grad of tensor n at step k = torch.randn(shape, generator seeded with
 *   zlib.crc32("optim:<k>:<n>")) * s_k,  s_k = optim.grad_scale[k] (an input).
 * Reads only what the README allows: config.yaml (SOLVER.*), model_best.pth, the
 * three input entries of optim.npz (optim.grad_scale, optim.step_iter,
 * optim.sched_probe_iters), manifest.json's optim.steps / start_iter /
 * group_order (checked against the order vct derives, never used to make it) and
 * gradient_recipe.N_trainable_elements (checked), and the tensor names (which
 * optim.param.* the case stores). The groups, LRs, weight decays and everything
 * else are vct's own.
 * Dumps: optim.lr, optim.weight_decay [K+1, G]; optim.sched_lr.<N> [G];
 * optim.step.<k>.grad_norm / clip_coef / delta_sumsq [1]; optim.clipped u8 [K];
 * optim.param.<name> (after K steps); optim.delta_sum / delta_sumsq /
 * delta_dot_before.<name> [1] of every group (float64 sums, stored as float).
 * The parameters come from src/train/train_params.h: the model's entries, the
 * official trainability while the model registers for inference only, and
 * criterion.logit_scale from the checkpoint while the model does not register it
 * (both logged). A case without an "optim" manifest section gets no entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform_stages.h"
#include "core/crc32.h"
#include "core/log.h"
#include "core/rng.h"
#include "model/vct_model.h"
#include "train/lr_scheduler.h"
#include "train/optimizer.h"
#include "train/train_params.h"

vct_status conform_optim(const conform_case *c, tensor_dict *dump, vct_error *err);

typedef struct optim_run {
    int K;
    long start_iter;
    const float *grad_scale;   /* [K] */
    const int64_t *step_iter;  /* [K+1] */
    const int64_t *probes;     /* [n_probes] */
    int64_t n_probes;
    train_params tp;
    optimizer o;
    float *before;             /* [pt.total] the checkpoint's values */
} optim_run;

static vct_status input(const conform_case *c, const char *name, vct_dtype dt, int64_t want, const void **out,
                        int64_t *n, vct_error *err) {
    const tensor *t = tensor_dict_find(&c->optim_inputs, name);
    if (!t || t->dtype != dt || (want >= 0 && tensor_numel(t) != want))
        return vct_fail(err, VCT_STATUS_FORMAT, "%s/optim.npz: input '%s' missing or not %s[%lld]", c->dir, name,
                        dtype_name(dt), (long long)want);
    *out = t->data;
    if (n) *n = tensor_numel(t);
    return VCT_STATUS_OK;
}

static vct_status read_inputs(const conform_case *c, const cJSON *om, optim_run *r, vct_error *err) {
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(om, "steps");
    const cJSON *start = cJSON_GetObjectItemCaseSensitive(om, "start_iter");
    if (!cJSON_IsNumber(steps) || steps->valueint < 1 || !cJSON_IsNumber(start))
        return vct_fail(err, VCT_STATUS_FORMAT, "%s/manifest.json: optim.steps / optim.start_iter missing", c->dir);
    r->K = steps->valueint;
    r->start_iter = (long)start->valuedouble;
    const void *p;
    VCT_TRY(input(c, "optim.grad_scale", VCT_DTYPE_F32, r->K, &p, NULL, err));
    r->grad_scale = p;
    VCT_TRY(input(c, "optim.step_iter", VCT_DTYPE_I64, r->K + 1, &p, NULL, err));
    r->step_iter = p;
    VCT_TRY(input(c, "optim.sched_probe_iters", VCT_DTYPE_I64, -1, &p, &r->n_probes, err));
    r->probes = p;
    for (int k = 0; k <= r->K; k++)
        if (r->step_iter[k] != r->start_iter + k)
            return vct_fail(err, VCT_STATUS_FORMAT, "%s: optim.step_iter[%d] = %lld, expected start_iter + %d", c->dir, k,
                            (long long)r->step_iter[k], k);
    return VCT_STATUS_OK;
}

/* the case's group order and trainable count against vct's */
static vct_status check_groups(const conform_case *c, const cJSON *om, const optim_groups *gs, vct_error *err) {
    const cJSON *order = cJSON_GetObjectItemCaseSensitive(om, "group_order");
    if (!cJSON_IsArray(order)) return vct_fail(err, VCT_STATUS_FORMAT, "%s/manifest.json: no optim.group_order", c->dir);
    int64_t i = 0;
    for (const cJSON *e = order->child; e; e = e->next, i++) {
        if (i >= gs->n || !cJSON_IsString(e) || strcmp(e->valuestring, gs->g[i].name) != 0)
            return vct_fail(err, VCT_STATUS_FORMAT,
                            "parameter group %lld: the official order has '%s', vct '%s' (train/param_order.c)",
                            (long long)i, cJSON_IsString(e) ? e->valuestring : "?", i < gs->n ? gs->g[i].name : "none");
    }
    if (i != gs->n)
        return vct_fail(err, VCT_STATUS_FORMAT, "vct has %lld parameter groups, the official optimizer %lld",
                        (long long)gs->n, (long long)i);
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(om, "gradient_recipe");
    const cJSON *nt = rec ? cJSON_GetObjectItemCaseSensitive(rec, "N_trainable_elements") : NULL;
    if (cJSON_IsNumber(nt) && (int64_t)nt->valuedouble != gs->n_elements)
        return vct_fail(err, VCT_STATUS_FORMAT, "vct has %lld trainable numbers, the case %lld", (long long)gs->n_elements,
                        (long long)nt->valuedouble);
    return VCT_STATUS_OK;
}

static void seeded_grads(optim_run *r, int k) {
    param_table *pt = &r->tp.pt;
    const optim_groups *gs = &r->o.groups;
    float s = r->grad_scale[k];
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t i = 0; i < gs->n; i++) {
        char seed[1200];
        snprintf(seed, sizeof seed, "optim:%d:%s", k, gs->g[i].name);
        torch_generator g;
        torch_generator_manual_seed(&g, crc32_str(seed));
        float *grad = pt->grad + gs->g[i].offset;
        torch_normal_f32(&g, grad, gs->g[i].numel, 0.0, 1.0);
        for (int64_t e = 0; e < gs->g[i].numel; e++) grad[e] = grad[e] * s; /* exact: s is a power of two */
    }
}

static double delta_sumsq(const optim_run *r) {
    const optim_groups *gs = &r->o.groups;
    const float *p = r->tp.pt.data;
    double tot = 0;
    for (int64_t i = 0; i < gs->n; i++)
        for (int64_t e = gs->g[i].offset; e < gs->g[i].offset + gs->g[i].numel; e++) {
            double d = (double)p[e] - (double)r->before[e];
            tot += d * d;
        }
    return tot;
}

static vct_status put1(tensor_dict *dump, const char *name, double v, vct_error *err) {
    float f = (float)v;
    return tensor_dict_add(dump, name, VCT_DTYPE_F32, 1, (int64_t[1]){1}, &f, NULL, err);
}

static vct_status run_steps(const conform_case *c, optim_run *r, tensor_dict *dump, vct_error *err) {
    int K = r->K;
    int64_t G = r->o.groups.n;
    float *lr = malloc((size_t)(K + 1) * (size_t)G * sizeof *lr), *wd = malloc((size_t)(K + 1) * (size_t)G * sizeof *wd);
    uint8_t *clipped = calloc((size_t)K, 1);
    vct_status st = lr && wd && clipped ? VCT_STATUS_OK : vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    char name[1200];
    for (int k = 0; k <= K && st == VCT_STATUS_OK; k++) {
        for (int64_t i = 0; i < G; i++) {
            lr[k * G + i] = (float)r->o.groups.g[i].lr;
            wd[k * G + i] = (float)r->o.groups.g[i].weight_decay;
        }
        if (k == K) break;
        seeded_grads(r, k);
        optimizer_step_info info;
        st = optimizer_step(&r->o, &info, err);
        if (st == VCT_STATUS_OK) st = optimizer_scheduler_step(&r->o, err);
        if (st != VCT_STATUS_OK) break;
        clipped[k] = (uint8_t)info.clipped;
        log_info("conform: optim step %d: grad norm %.6g, clip factor %.6g, lr[0] %.6g", k, (double)info.grad_norm,
                 (double)info.clip_coef, r->o.groups.g[0].lr);
        snprintf(name, sizeof name, "optim.step.%d.grad_norm", k);
        st = put1(dump, name, info.grad_norm, err);
        snprintf(name, sizeof name, "optim.step.%d.clip_coef", k);
        if (st == VCT_STATUS_OK) st = put1(dump, name, info.clip_coef, err);
        snprintf(name, sizeof name, "optim.step.%d.delta_sumsq", k);
        if (st == VCT_STATUS_OK) st = put1(dump, name, delta_sumsq(r), err);
    }
    int64_t shape[2] = {K + 1, G};
    if (st == VCT_STATUS_OK) st = tensor_dict_add(dump, "optim.lr", VCT_DTYPE_F32, 2, shape, lr, NULL, err);
    if (st == VCT_STATUS_OK) st = tensor_dict_add(dump, "optim.weight_decay", VCT_DTYPE_F32, 2, shape, wd, NULL, err);
    if (st == VCT_STATUS_OK)
        st = tensor_dict_add(dump, "optim.clipped", VCT_DTYPE_U8, 1, (int64_t[1]){K}, clipped, NULL, err);
    free(lr), free(wd), free(clipped);
    return st == VCT_STATUS_OK ? st : vct_error_wrap(err, "%s: optimizer steps", c->dir);
}

/* per-group statistics and the stored after-values */
static vct_status dump_after(const conform_case *c, const optim_run *r, tensor_dict *dump, vct_error *err) {
    const optim_groups *gs = &r->o.groups;
    const param_table *pt = &r->tp.pt;
    char name[1200];
    vct_status st = VCT_STATUS_OK;
    static const char *const stat[3] = {"delta_sum", "delta_sumsq", "delta_dot_before"};
    for (int s = 0; s < 3 && st == VCT_STATUS_OK; s++)
        for (int64_t i = 0; i < gs->n && st == VCT_STATUS_OK; i++) {
            double acc = 0;
            for (int64_t e = gs->g[i].offset; e < gs->g[i].offset + gs->g[i].numel; e++) {
                double b = r->before[e], d = (double)pt->data[e] - b;
                acc += s == 0 ? d : (s == 1 ? d * d : d * b);
            }
            snprintf(name, sizeof name, "optim.%s.%s", stat[s], gs->g[i].name);
            st = put1(dump, name, acc, err);
        }
    int64_t stored = 0;
    for (int64_t i = 0; i < gs->n && st == VCT_STATUS_OK; i++) {
        snprintf(name, sizeof name, "optim.param.%s", gs->g[i].name);
        if (!conform_case_manifest_entry(c, name)) continue; /* the case stores a subset */
        const param_entry *e = param_table_at(pt, gs->g[i].entry);
        st = tensor_dict_add(dump, name, VCT_DTYPE_F32, e->ndim, e->shape, pt->data + e->offset, NULL, err);
        stored++;
    }
    if (st == VCT_STATUS_OK) log_info("conform: optim: %lld after-values stored whole", (long long)stored);
    return st;
}

static vct_status dump_schedule(const optim_run *r, tensor_dict *dump, vct_error *err) {
    const optim_groups *gs = &r->o.groups;
    float *v = malloc((size_t)gs->n * sizeof *v);
    if (!v) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    vct_status st = VCT_STATUS_OK;
    char name[64];
    for (int64_t p = 0; p < r->n_probes && st == VCT_STATUS_OK; p++) {
        for (int64_t i = 0; i < gs->n && st == VCT_STATUS_OK; i++) {
            double lr;
            st = lr_scheduler_lr(&r->o.cfg, gs->g[i].initial_lr, (long)r->probes[p], &lr, err);
            v[i] = (float)lr;
        }
        snprintf(name, sizeof name, "optim.sched_lr.%lld", (long long)r->probes[p]);
        if (st == VCT_STATUS_OK) st = tensor_dict_add(dump, name, VCT_DTYPE_F32, 1, (int64_t[1]){gs->n}, v, NULL, err);
    }
    free(v);
    return st;
}

vct_status conform_optim(const conform_case *c, tensor_dict *dump, vct_error *err) {
    const cJSON *om = cJSON_GetObjectItemCaseSensitive(c->manifest, "optim");
    if (!om || !c->has_optim) {
        log_info("conform: optim: the case has no optim.npz: no optimizer entries");
        return VCT_STATUS_OK;
    }
    optim_run r;
    memset(&r, 0, sizeof r);
    VCT_TRY(read_inputs(c, om, &r, err));
    solver_config sc;
    VCT_TRY(solver_config_from_yaml(&sc, c->config, "config.yaml", err));
    if (sc.amp) log_info("conform: optim: SOLVER.AMP.ENABLED is set; vct steps in float32 (as the case does)");
    vct_model m;
    cJSON *cfg = cJSON_Duplicate(c->config, 1);
    if (!cfg) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    vct_status st = vct_model_build(&m, cfg, "config.yaml", &c->weights, "model_best.pth", err);
    if (st == VCT_STATUS_OK) st = train_params_build(&r.tp, &m.pt, 1, c->config, &c->weights, "model_best.pth", err);
    vct_model_release(&m);
    if (st == VCT_STATUS_OK) {
        if (r.tp.n_flags_changed) /* vct_model_build registers for inference: see train/train_params.h */
            log_info("conform: optim: trainable = the official requires_grad (all but the frozen audio_backbone); "
                     "%lld tensors were registered otherwise by the inference build", (long long)r.tp.n_flags_changed);
        if (r.tp.added_logit_scale)
            log_info("conform: optim: criterion.logit_scale is not registered by the model; taken from model_best.pth");
        st = optimizer_init(&r.o, &r.tp.pt, &sc, r.start_iter, err);
    }
    if (st == VCT_STATUS_OK) st = check_groups(c, om, &r.o.groups, err);
    if (st == VCT_STATUS_OK) {
        r.before = malloc((size_t)r.tp.pt.total * sizeof(float));
        if (!r.before) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
        else memcpy(r.before, r.tp.pt.data, (size_t)r.tp.pt.total * sizeof(float));
    }
    if (st == VCT_STATUS_OK)
        log_info("conform: optim: %lld groups, %lld trainable numbers, %d steps from iteration %ld",
                 (long long)r.o.groups.n, (long long)r.o.groups.n_elements, r.K, r.start_iter);
    if (st == VCT_STATUS_OK) st = run_steps(c, &r, dump, err);
    if (st == VCT_STATUS_OK) st = dump_after(c, &r, dump, err);
    if (st == VCT_STATUS_OK) st = dump_schedule(&r, dump, err);
    free(r.before);
    optimizer_free(&r.o);
    train_params_free(&r.tp);
    return st;
}
